"""The one error type actions raise: a code for machines and a sentence for people.

HTML views show `message` next to the form; the API answers
`{"error": code, "message": message}` with `status`.
"""

from __future__ import annotations


class ActionError(Exception):
    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def idempotency_key_reused() -> ActionError:
    """An Idempotency-Key sent again with another request (another chart or body):
    refused, never answered with the other request's result."""
    return ActionError(
        "idempotency_key_reused",
        "This Idempotency-Key was used for another request; send a new key. "
        "(To repeat a request, send the same body to the same address with its key.)",
        status=409,
    )
