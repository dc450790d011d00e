"""Names that break careless markup, encodings or text direction (fuzz and browser tests)."""

from __future__ import annotations

from hypothesis import strategies as st

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
QUOTES = "\"quoted\" & 'single'"
# Hebrew and Arabic, with a right-to-left override (U+202E) in the middle.
RTL = "שרה \u202eعلي\u202c Cohen"
# A family (man, woman, girl joined by ZWJ), a skin tone, a flag.
EMOJI = "Zoë 👨\u200d👩\u200d👧 👍🏽 🇺🇸"
MARKUP_NAMES = (SCRIPT, IMG, QUOTES, RTL, EMOJI, "O'Brien-Núñez", "{{ 7*7 }} ${7*7}")

_tricky = st.sampled_from(
    list("<>\"'&/;=%`\\ ")
    + ["\u202e", "\u202c", "\u200f", "\u200d", "👨", "🏽", "ש", "ع", "\x00", "\t", "\n", "&amp;"]
)
# What a name field may receive: the markup above, pieces of it, anything at all.
name_text = st.one_of(
    st.sampled_from(MARKUP_NAMES),
    st.lists(_tricky, max_size=30).map("".join),
    st.text(max_size=40),
    st.text(min_size=95, max_size=130),
    st.lists(st.sampled_from(MARKUP_NAMES), min_size=1, max_size=3).map(" ".join),
)
email_text = st.one_of(
    st.just(""),
    st.emails().filter(lambda e: len(e) <= 254),
    st.text(max_size=40),
    st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=12), st.text(max_size=12)),
    st.sampled_from(
        [
            '"<script>"@example.com',
            "emma@exämple.com",
            "émma@example.com",
            "a@b",
            "=cmd@example.com",
            "x" * 250 + "@example.com",
            "emma@example.com\x00",
        ]
    ),
)
# Names the forms must take: anything but blank, over-long or holding a NUL.
storable_name = st.one_of(
    st.sampled_from(MARKUP_NAMES),
    st.text(
        st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=60
    ).filter(lambda text: text.strip()),
)
four_names = st.one_of(
    st.tuples(name_text, name_text, name_text, name_text),
    st.tuples(
        storable_name, storable_name, st.just("") | storable_name, st.just("") | storable_name
    ),
)
