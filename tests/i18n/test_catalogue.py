"""The Spanish catalogue: complete for every portal page and patient mail, and
compiled from its current source, so a stale .mo fails here rather than in front
of a patient."""

from __future__ import annotations

import re
from pathlib import Path

import polib
from tests.i18n.catalogue import MO, po, translations

import rewardshub

TEMPLATES = Path(rewardshub.__file__).resolve().parent / "templates"
# Every template a patient reads: the portal's, its pages in other apps, the mails.
PATIENT_TEMPLATES = sorted(
    [
        *(p for p in (TEMPLATES / "portal").glob("*.html") if "staff" not in p.name),
        *(TEMPLATES / "notify" / "mail").glob("*"),
        # A guardian's portal pages (the staff Family page and its parts stay English).
        *(
            p
            for p in (TEMPLATES / "families").glob("*.html")
            if p.name not in ("staff_family.html", "_link_state.html", "_profile_box.html")
        ),
        *(
            TEMPLATES / name
            for name in (
                "notify/portal_preferences.html",
                "notify/unsubscribe.html",
                "notify/unsubscribe_invalid.html",
                "notify/resubscribed.html",
                "campaigns/collect.html",
                "leads/portal_refer.html",
                "sessions/portal_signed_out.html",
            )
        ),
    ]
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
# What is left of a template once its translated text, its tags and its
# variables are taken out: nothing a person reads may remain.
_TRANSLATED = re.compile(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", re.S)
_COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
_TAGS = re.compile(r"{%.*?%}|{{.*?}}|<!--.*?-->", re.S)
_HTML = re.compile(r"<[^>]*>", re.S)
_SAID = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"{]+)"')
# Words that stay as they are in every language.
UNTRANSLATED = {"RewardsHub"}


def _left_over(source: str) -> list[str]:
    text = _COMMENTS.sub(" ", source)
    text = _TRANSLATED.sub(" ", text)
    said = [value for value in _SAID.findall(text) if re.search("[A-Za-z]", value)]
    text = _HTML.sub(" ", _TAGS.sub(" ", text))
    text = re.sub(r"&\w+;|&#\d+;", " ", text)
    # Words, not class names ("p-auth" in a block that only adds a class).
    words = re.findall(r"(?<![\w-])[A-Za-z][A-Za-z’']+(?![\w-])", text) + said
    return [w for w in words if w not in UNTRANSLATED]


def test_it_has_no_untranslated_text_in_a_patient_template() -> None:
    assert len(PATIENT_TEMPLATES) >= 40
    left = {p.name: _left_over(p.read_text()) for p in PATIENT_TEMPLATES}
    assert {name: words for name, words in left.items() if words} == {}


def test_it_translates_every_string_into_spanish() -> None:
    entries = list(po())
    assert len(entries) > 200
    assert po().metadata["Language"] == "es"
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    empty = [e.msgid for e in entries if not all(translations(e))]
    assert (fuzzy, empty) == ([], [])


def test_it_keeps_every_placeholder_in_the_translation() -> None:
    wrong = []
    for entry in po():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_it_gathers_the_strings_of_every_patient_template() -> None:
    sources = {o[0] for entry in po() for o in entry.occurrences}
    marked = [p for p in PATIENT_TEMPLATES if "translate" in p.read_text()]
    missing = [p.name for p in marked if str(p.relative_to(TEMPLATES.parent)) not in sources]
    assert missing == []


def test_the_compiled_catalogue_matches_its_source() -> None:
    # `make messages` compiles it; a .po edited without compiling fails here.
    compiled = {
        (e.msgid, e.msgid_plural): translations(e) for e in polib.mofile(str(MO)) if e.msgid
    }
    source = {(e.msgid, e.msgid_plural): translations(e) for e in po() if not e.obsolete}
    assert compiled == source
