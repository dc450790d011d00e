"""Card numbers as pure rules: Luhn, the number ranges, and reading what a person or reader typed.

No Django here, so these rules are tested on their own (hypothesis) and the
bridge or any other client could share them.

Keyboard-wedge readers "type" the magnetic stripe followed by Enter:
track 1 `%B<number>^NAME/FIRST^<data>?`, track 2 `;<number>=<data>?`, often
both in a row. A failed read types `E` (some readers `%E?` or `;E?`). Staff
may also type the printed number with spaces or dashes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

CARD_LENGTH = 16
# Hub-issued card numbers start with this issuer prefix.
ISSUER_PREFIX = "6277"
# Usernames generated for profiles that began without a card start with this
# prefix. No card may carry a number in this range (import refuses it), so a
# generated username can never collide with a card number.
USERNAME_PREFIX = "0000"


class CardInputError(ValueError):
    """A card input that cannot be a card number. `code` for machines, `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CardInput:
    number: str
    swiped: bool


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return len(number) >= 2 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def new_card_number() -> str:
    body = ISSUER_PREFIX + "".join(secrets.choice("0123456789") for _ in range(11))
    return body + luhn_check_digit(body)


def new_username() -> str:
    return username_of(secrets.randbelow(10**11))


def username_of(draw: int) -> str:
    """The generated username a number below 10^11 makes (prefix, 11 digits, check digit)."""
    body = USERNAME_PREFIX + f"{draw:011d}"
    return body + luhn_check_digit(body)


def is_reserved_username(number: str) -> bool:
    return number.startswith(USERNAME_PREFIX)


_TRACK1 = re.compile(r"%B(?P<number>[0-9 ]{1,19})\^[^?]*\?")
_TRACK2 = re.compile(r";(?P<number>[0-9]{1,19})=[^?]*\?")
# What a reader types on a failed read: `E`, `%E?`, `;E?` (uppercase, as readers
# send them). Lowercase text is a name to search for.
_READ_ERROR = re.compile(r"^(?:[%;]?E\??)+$")
_TYPED = re.compile(r"^[0-9][0-9 \-]*$")



def is_card_input(text: str) -> bool:
    """Whether a search box holds a typed number, a swipe or a failed read rather than a name."""
    text = text.strip()
    return bool(text) and (
        text[0] in "%;" or bool(_TYPED.match(text)) or bool(_READ_ERROR.match(text))
    )


READ_ERROR_MESSAGE = "The card reader could not read the card. Swipe it again, or type the number."


def _length_error(digits: str) -> CardInputError:
    return CardInputError(
        "card_invalid",
        f"A card number has 16 digits, but {len(digits)} were entered. "
        "Check the number and enter it again.",
    )


def parse_card_input(raw: str) -> CardInput:
    """Read a swipe or a typed number; raise CardInputError saying what is wrong."""
    text = raw.strip().replace("\r", "").replace("\n", "")
    if not text:
        raise CardInputError("card_invalid", "Enter a card number, or swipe the card.")
    if _READ_ERROR.match(text):
        raise CardInputError("card_read_error", READ_ERROR_MESSAGE)
    if text[0] in "%;":
        # Prefer track 2 (digits only, the most reliable); track 1 as fallback.
        match = _TRACK2.search(text) or _TRACK1.search(text)
        if match is None:
            raise CardInputError("card_read_error", READ_ERROR_MESSAGE)
        digits = match.group("number").replace(" ", "")
        if len(digits) != CARD_LENGTH:
            raise _length_error(digits)
        return CardInput(number=digits, swiped=True)
    if not _TYPED.match(text):
        raise CardInputError(
            "card_invalid",
            "A card number has 16 digits and nothing else. "
            "Check the number and enter it again, or swipe the card.",
        )
    digits = re.sub(r"[ \-]", "", text)
    if len(digits) != CARD_LENGTH:
        raise _length_error(digits)
    return CardInput(number=digits, swiped=False)


def track_data(number: str, name: str = "REWARDS/MEMBER") -> tuple[str, str]:
    """Track 1 and track 2 strings a card printer encodes for `number`."""
    clean_name = re.sub(r"[^A-Z /]", "", name.upper())[:26] or "REWARDS/MEMBER"
    return (f"%B{number}^{clean_name}^9912?", f";{number}=9912?")
