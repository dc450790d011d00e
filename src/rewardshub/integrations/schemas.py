"""Request and response bodies of the integration API (docs/integration-api.md).

Limits live here, at the edge: the actions behind them trust their arguments.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rewardshub.patients.changes import DEMOGRAPHIC_FIELDS

CHART_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
CHART_ID_RULE = "1 to 64 letters, digits, '-', '_' or '.'"
MAX_BATCH = 1000
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# No text field may hold a NUL: PostgreSQL cannot store one (a 500 otherwise)
# and no PMS has a reason to send it.
NO_NUL = r"^[^\x00]*$"
# Text is checked as sent (its length, the pattern: what the OpenAPI document
# publishes), then the white space around it is dropped. The white space is
# spelled out, the same in Python, in pydantic's regex engine and in JSON
# Schema's (ECMA) patterns, so "not blank" means one thing everywhere.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WS_CLASS = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_WS_CLASS}][^\x00]*$"


def _strip(value: str) -> str:
    return value.strip(WHITE_SPACE)


STRIP = AfterValidator(_strip)
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), STRIP]
Short = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL), STRIP]
Phone = Annotated[str, StringConstraints(max_length=32, pattern=NO_NUL), STRIP]
LongText = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL), STRIP]
ChartId = Annotated[str, StringConstraints(pattern=CHART_ID_PATTERN)]

# An email address as the hub takes it, published as this very pattern (so the
# OpenAPI document says exactly what is enforced): a dot-atom local part and a
# domain of labels ending in a TLD of letters (what Django's EmailValidator
# also accepts); spaces around it are dropped; blank leaves it empty.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^ *(?:{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}})? *$"
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=EMAIL_PATTERN),
    AfterValidator(lambda value: value.strip(" ")),
]


def whole_number(value: Any) -> Any:
    """2429.0 is the integer 2429 (JSON Schema's rule for "integer"); 2429.5 and
    true stay what they are, and are refused as not whole numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value

# Every field a PMS may send about a patient. Demographics land on the profile;
# pms_status and office only pick tags through the practice's tag mapping.
PROFILE_FIELDS = tuple(name for name in DEMOGRAPHIC_FIELDS if name != "location")


class BodyIn(Schema):
    """A request body, which must be a JSON object. (ninja's Schema reads fields
    as attributes of whatever it is given, wrapped in a DjangoGetter, so a body
    of `[]` or `5` would otherwise pass as an empty object.)"""

    @model_validator(mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        sent = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(sent, dict):
            raise PydanticCustomError("dict_type", "Input should be a JSON object")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        # A body is parsed JSON: nothing in it for ninja's DjangoGetter to
        # convert, and reading a batch's rows through it cost about 80 µs a row
        # (BENCHMARKS.md, "A batch row read as the dict it is").
        return handler(values)


class Demographics(BodyIn):
    first_name: Name | None = None
    last_name: Name | None = None
    preferred_name: Short | None = None
    birth_date: dt.date | None = None
    email: Email | None = None
    phone_mobile: Phone | None = None
    phone_home: Phone | None = None
    responsible_party: LongText | None = None
    pms_status: Short | None = None
    office: Short | None = None

    @field_validator("birth_date", mode="before")
    @classmethod
    def _birth_date_text(cls, value: Any) -> Any:
        # Only YYYY-MM-DD: pydantic would also read a number, or a number in a
        # string, as seconds since 1970 (0 would be January 1, 1970).
        if value is not None and not (isinstance(value, str) and DATE_TEXT.fullmatch(value)):
            raise PydanticCustomError("date_parsing", "Input should be a date written YYYY-MM-DD")
        return value

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: dt.date | None) -> dt.date | None:
        # A day of slack: the PMS's "today" may already be tomorrow in UTC.
        if value is not None and value > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("is in the future")
        return value

    def profile_data(self) -> dict[str, Any]:
        """The demographics that were sent (absent fields are left alone on the profile)."""
        sent = self.model_dump(exclude_unset=True)
        return {name: sent[name] for name in PROFILE_FIELDS if sent.get(name) is not None}


class SetCardIn(Demographics):
    card: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The raw swipe (track 1 and/or 2) or the typed 16-digit number or username."
    )
    pms_user: Short | None = Field(None, description="The PMS user, recorded in the audit log.")


class UpdateIn(Demographics):
    pms_user: Short | None = None


class LaunchIn(BodyIn):
    view: Literal["profile", "chart"] = "profile"
    pms_user: Short | None = None


class BatchPatientIn(Demographics):
    chart_id: ChartId


class BatchIn(BodyIn):
    # Items are checked one by one (api_patients.py) so one bad row answers
    # its own error instead of failing the other 999; the schema is still
    # published in OpenAPI.
    patients: Annotated[
        list[
            Annotated[
                dict[str, Any],
                WithJsonSchema(BatchPatientIn.model_json_schema()),
            ]
        ],
        Field(min_length=1, max_length=MAX_BATCH),
    ]
    pms_user: Short | None = None


class ErrorOut(Schema):
    error: str = Field(description="A stable code for programs.")
    message: str = Field(description="What went wrong, in words a front desk can act on.")


class SetCardOut(Schema):
    outcome: Literal["created", "linked", "already_linked"]
    username: str
    profile_id: str
    browser_url: str
    changed: list[str] = []
    changes: list[str] = Field(
        [], description='What changed, in words: "Email updated from ... to ...".'
    )


class SetCardPendingOut(Schema):
    outcome: Literal["needs_confirmation"]
    username: str
    profile_id: str
    browser_url: str = Field(
        description="One-time, short-lived: the hub window where staff confirm or cancel."
    )
    differences: list[Literal["first_name", "last_name", "birth_date"]]
    message: str
    expires_in: int = Field(description="Seconds the confirmation waits for staff.")


class UpdateOut(Schema):
    outcome: Literal["updated", "unchanged"]
    username: str
    profile_id: str
    changed: list[str]


class LaunchOut(Schema):
    url: str
    expires_in: int
    outcome: Literal["launched", "needs_confirmation"] = "launched"
    message: str | None = None


class StatusOut(Schema):
    linked: bool
    # Only while a set card waits for staff to confirm the link in the hub.
    state: Literal["needs_confirmation"] | None = None
    username: str | None = None
    profile_id: str | None = None
    card_state: Literal["active", "none"] | None = None
    tags: list[str] | None = None
    points: int | None = None
    last_sync: dt.datetime | None = None


class BatchResultOut(Schema):
    chart_id: str
    outcome: Literal["created", "updated", "unchanged", "error"]
    username: str | None = None
    profile_id: str | None = None
    error: str | None = None
    message: str | None = None


class BatchOut(Schema):
    results: list[BatchResultOut]
