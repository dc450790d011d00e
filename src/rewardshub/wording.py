"""Words that follow a count or a name: "1 point", "2 points", "an Interests tag"."""

from __future__ import annotations


def count_of(count: int, singular: str, plural: str = "") -> str:
    """`count` with the noun in the number it needs: "1 point", "1,200 points", "-1 point"."""
    noun = singular if abs(count) == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"


def a_or_an(word: str) -> str:
    """The indefinite article for `word` as written: "an" before a vowel letter."""
    return "an" if word[:1].lower() in "aeiou" and word[:1] else "a"
