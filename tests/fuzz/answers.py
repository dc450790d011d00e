"""What an API answer says, with no Django: usable from the schemathesis hooks too."""

from __future__ import annotations

from typing import Any


def refusal(body: Any) -> tuple[str, str] | None:
    """The code and sentence of a refusal: the PMS API's `{"error", "message"}`, or the
    FHIR door's OperationOutcome (its first issue). None when the body is neither."""
    if not isinstance(body, dict):
        return None
    if body.get("resourceType") == "OperationOutcome":
        try:
            details = body["issue"][0]["details"]
            code, message = details["coding"][0]["code"], details["text"]
        except (KeyError, IndexError, TypeError):
            return None
    else:
        code, message = body.get("error"), body.get("message")
    if isinstance(code, str) and code and isinstance(message, str) and message:
        return code, message
    return None
