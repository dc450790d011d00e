"""WCAG 2.x contrast of a practice's colours (no Django here).

Relative luminance and contrast ratio as WCAG 2.2 defines them (success
criteria 1.4.3 and 1.4.11). Level AA asks 4.5:1 for normal text and 3:1 for
the parts of a page one must see to use it (a focus ring, the marker of the
current page). So:

- text on the primary colour (the portal's header, the mails' header) is
  white, or near-black when white is not readable on it; whichever is used
  must reach 4.5:1;
- the accent colour (focus ring, current-page marker) must reach 3:1 against
  each background it is drawn on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
WHITE = "#ffffff"
NEAR_BLACK = "#1a1a1a"
# The portal's page background (static/css/portal.css --p-bg) and its cards and
# navigation bar (white): the accent is drawn on both.
PAGE_BACKGROUNDS = (("the portal's page background", "#fff8ec"), ("white", WHITE))
TEXT_AA = 4.5
COMPONENT_AA = 3.0
EXAMPLE = "#1d4ed8"


class ColourError(ValueError):
    """A value that is not a colour, in a sentence for the form."""


def parse_colour(value: str) -> str:
    """`value` as "#rrggbb" in lower case ("1D4ED8", "#1d4ed8" and "#14d" are accepted)."""
    text = value.strip()
    found = HEX.fullmatch(text)
    if found is None:
        raise ColourError(
            f"“{text}” is not a colour the hub can use. Write it as # and six hexadecimal "
            f"digits, e.g. {EXAMPLE}, or leave it empty for the hub's own colours."
        )
    digits = found.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance of "#rrggbb": 0 for black, 1 for white."""
    digits = parse_colour(colour)[1:]
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter colour's luminance on top: 1 to 21."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def shown_ratio(ratio: float, needed: float) -> str:
    """The ratio as people read it ("4.48:1"), never rounded up to a pass it is not."""
    text = f"{ratio:.2f}"
    if ratio < needed <= float(text):
        text = f"{math.floor(ratio * 100) / 100:.2f}"
    return text.rstrip("0").rstrip(".") + ":1"


def text_on(primary: str) -> str | None:
    """The text colour used on `primary`: white when it reaches AA, else near-black
    when that does, else None (no text colour is readable on it).

    The two never both pass: white needs a luminance of at most 0.183 and
    near-black at least 0.221, so the choice is the only readable one.
    """
    for text in (WHITE, NEAR_BLACK):
        if contrast_ratio(text, primary) >= TEXT_AA:
            return text
    return None


@dataclass(frozen=True)
class Problem:
    field: str  # "primary_colour" or "accent_colour"
    message: str


def primary_problem(primary: str) -> Problem | None:
    if text_on(primary) is not None:
        return None
    white = contrast_ratio(WHITE, primary)
    dark = contrast_ratio(NEAR_BLACK, primary)
    return Problem(
        "primary_colour",
        f"Text on the primary colour {primary} would be hard to read: white text on it has a "
        f"contrast of {shown_ratio(white, TEXT_AA)} and near-black text ({NEAR_BLACK}) "
        f"{shown_ratio(dark, TEXT_AA)}, and WCAG AA needs at least 4.5:1 for text. Choose a "
        "darker primary colour (for white text) or a lighter one (for near-black text).",
    )


def accent_problem(accent: str) -> Problem | None:
    worst_name, worst_colour = min(PAGE_BACKGROUNDS, key=lambda bg: contrast_ratio(accent, bg[1]))
    ratio = contrast_ratio(accent, worst_colour)
    if ratio >= COMPONENT_AA:
        return None
    return Problem(
        "accent_colour",
        f"The accent colour {accent} against {worst_name} ({worst_colour}) has a contrast of "
        f"{shown_ratio(ratio, COMPONENT_AA)}, and WCAG AA needs at least 3:1 for the parts of "
        "a page people must see, such as the focus ring and the current page's marker. Choose "
        "a darker accent colour.",
    )


def problems(primary: str, accent: str) -> list[Problem]:
    """What fails AA among the colours given ("" is the hub's own colour, which passes)."""
    found = [primary_problem(primary) if primary else None]
    found.append(accent_problem(accent) if accent else None)
    return [p for p in found if p is not None]
