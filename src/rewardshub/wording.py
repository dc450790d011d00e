"""Words that follow a count or a name: "1 point", "2 points", "an Interests tag";
and a name a client sent, made safe to show and to store."""

from __future__ import annotations


def count_of(count: int, singular: str, plural: str = "") -> str:
    """`count` with the noun in the number it needs: "1 point", "1,200 points", "-1 point"."""
    noun = singular if abs(count) == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"


def a_or_an(word: str) -> str:
    """The indefinite article for `word` as written: "an" before a vowel letter."""
    return "an" if word[:1].lower() in "aeiou" and word[:1] else "a"


def as_shown(name: str) -> str:
    """A name a client sent (a JSON key, an element), quoted back in an answer that
    is also stored: control characters and lone surrogates are written as escapes
    (\\x00, \\ud9b9), since PostgreSQL stores no NUL and UTF-8 no lone surrogate."""
    return "".join(
        char
        if char.isprintable() and not "\ud800" <= char <= "\udfff"
        else char.encode("unicode_escape").decode("ascii")
        for char in name
    )
