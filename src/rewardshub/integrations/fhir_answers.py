"""What the FHIR door answers: OperationOutcome resources for refusals, and the
Bundle of outcomes (transaction-response / batch-response). Plain dicts, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from rewardshub.errors import ActionError

FHIR_JSON = "application/fhir+json"
# The coding system of the hub's error codes (the PMS API's "error" values).
ERROR_CODES = "urn:rewardshub:error"

# HTTP status -> OperationOutcome.issue.code (FHIR's IssueType).
_ISSUE_TYPE = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-long",
    422: "invalid",
    429: "throttled",
}


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    # FHIRPath of the field at fault, e.g. Bundle.entry[2].resource.birthDate.
    path: str = ""


class BundleError(ActionError):
    """A refused Bundle, with every issue found (a transaction names each entry
    and field at fault; the first issue is the error's code and message)."""

    def __init__(self, issues: list[Issue], status: int = 422) -> None:
        super().__init__(issues[0].code, issues[0].message, status=status)
        self.issues = issues


def issue_json(issue: Issue, status: int, severity: str = "error") -> dict[str, Any]:
    body: dict[str, Any] = {
        "severity": severity,
        "code": "informational"
        if severity == "information"
        else _ISSUE_TYPE.get(status, "processing"),
        "details": {"text": issue.message},
    }
    if severity != "information":
        body["details"]["coding"] = [{"system": ERROR_CODES, "code": issue.code}]
    if issue.path:
        body["expression"] = [issue.path]
    return body


def operation_outcome(issues: list[Issue], status: int, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [issue_json(issue, status, severity) for issue in issues],
    }


def error_outcome(error: ActionError) -> dict[str, Any]:
    issues = error.issues if isinstance(error, BundleError) else [Issue(error.code, error.message)]
    return operation_outcome(issues, error.status)


def status_line(status: int) -> str:
    """'201 Created': Bundle.entry.response.status (422 as FHIR's own examples name it,
    whatever Python's version calls it)."""
    phrase = "Unprocessable Entity" if status == 422 else HTTPStatus(status).phrase
    return f"{status} {phrase}"


def entry_response(status: int, outcome: dict[str, Any]) -> dict[str, Any]:
    return {"response": {"status": status_line(status), "outcome": outcome}}


def done(status: int, message: str) -> dict[str, Any]:
    """A written entry's response, its message as an informational outcome."""
    return entry_response(status, operation_outcome([Issue("ok", message)], status, "information"))


def failed(error: ActionError, path: str = "") -> dict[str, Any]:
    if isinstance(error, BundleError):
        return entry_response(error.status, error_outcome(error))
    return entry_response(
        error.status, operation_outcome([Issue(error.code, error.message, path)], error.status)
    )


def response_bundle(kind: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": f"{kind}-response", "entry": entries}
