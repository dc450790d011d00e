"""The Spanish catalogue as the tests read it, and the check that a page shows
none of its English: every msgid (cut at its placeholders and tags) that the
catalogue translates into something else must not appear in the text."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib

import rewardshub

LOCALE = Path(rewardshub.__file__).resolve().parent / "locale" / "es" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"
# Pieces shorter than this are words that may stand in either language ("Email", "Order").
SHORTEST = 6
_LINK = re.compile(r"https?://\S+")
_CUTS = re.compile(r"%\(\w+\)[sd]|\{\w+\}|<[^>]*>")


@cache
def po() -> polib.POFile:
    return polib.pofile(str(PO))


def translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _pieces(text: str) -> list[str]:
    return [" ".join(p.split()) for p in _CUTS.split(text)]


@cache
def english_pieces() -> frozenset[str]:
    """The English pieces the Spanish pages must not show."""
    found: set[str] = set()
    for entry in po():
        spanish = " ".join(translations(entry))
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            for piece in _pieces(source):
                piece = piece.strip(" .,:;!?()“”\"'·")
                if len(piece) >= SHORTEST and piece not in spanish:
                    found.add(piece)
    return frozenset(found)


# Tags that end a line of text; the others (strong, a, span, time) run on inside it.
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "br",
        "button",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "label",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "option",
        "p",
        "progress",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "title",
        "tr",
        "ul",
    ]
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag in _BLOCKS:
            self.parts.append(" ")
        # What a screen reader says counts as shown.
        self.parts.extend(f" {v} " for k, v in attrs if k in ("aria-label", "alt", "title") and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def english_in(text: str) -> list[str]:
    """The catalogue's English pieces found in `text` (already visible text), as
    whole words; links are left out ("rewards" is a word, rewards.example.org a host)."""
    text = " ".join(_LINK.sub(" ", text).split())
    return sorted(
        piece
        for piece in english_pieces()
        if piece in text and re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text)
    )
