"""HTTP client for the hub's PMS integration API (docs/integration-api.md).

Standard library only, so a practice can drop the bridge next to its PMS
without a dependency install.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

__all__ = ["HubClient", "HubError", "USER_AGENT"]

USER_AGENT = "rewardshub-bridge/1"
VIEWS = ("profile", "chart")


class HubError(Exception):
    """The hub answered an error, or could not be reached at all.

    `status` is the HTTP status, or None when no HTTP answer came back
    (then `code` is "hub_unreachable").
    """

    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"HubError(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class HubClient:
    """One practice's view of the hub, authenticated by its integration key."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        scheme = urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"Hub URL must start with http:// or https://, got {base_url!r}.")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    # -- the calls of the contract -------------------------------------------

    def set_card(
        self,
        system: str,
        chart_id: str,
        card: str,
        demographics: Mapping[str, Any],
        pms_user: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Link the chart to the profile the card names (creating it if new).

        An answer with outcome "needs_confirmation" (HTTP 202) linked nothing:
        its browser_url opens the hub window where staff confirm the link.
        """
        body = _without_none(demographics)
        body["card"] = card
        if pms_user is not None:
            body["pms_user"] = pms_user
        return self._call(
            "POST", self._patient_path(system, chart_id) + "/card", body, idempotency_key
        )

    def update(
        self,
        system: str,
        chart_id: str,
        demographics: Mapping[str, Any],
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Push changed demographics of an already synced chart."""
        return self._call(
            "PUT",
            self._patient_path(system, chart_id),
            _without_none(demographics),
            idempotency_key,
        )

    def launch(
        self,
        system: str,
        chart_id: str,
        view: str = "profile",
        pms_user: str | None = None,
    ) -> dict[str, Any]:
        """Get a one-time browser URL (valid ~60 s) for the chart's profile or chart view."""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, got {view!r}.")
        body: dict[str, Any] = {"view": view}
        if pms_user is not None:
            body["pms_user"] = pms_user
        return self._call("POST", self._patient_path(system, chart_id) + "/launch", body)

    def status(self, system: str, chart_id: str) -> dict[str, Any]:
        """Whether the chart is synced, and the linked profile's summary."""
        return self._call("GET", self._patient_path(system, chart_id))

    def batch(
        self,
        system: str,
        patients: Iterable[Mapping[str, Any]],
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Upsert many charts' demographics at once (onboarding a practice)."""
        body = {"patients": [_without_none(p) for p in patients]}
        path = f"/api/v1/pms/{_segment(system)}/patients:batch"
        return self._call("POST", path, body, idempotency_key)

    # -- appointments ----------------------------------------------------------

    def put_appointment(
        self,
        system: str,
        chart_id: str,
        appointment_id: str,
        appointment: Mapping[str, Any],
        *,
        pms_updated_at: dt.datetime | str,
        pms_user: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Create or update one appointment as the PMS has it now.

        `pms_updated_at` is the PMS's time of this version: the hub ignores an
        update that is not newer than the one it has (outcome "stale"). A retry
        under the same idempotency key must send the same time. The answer
        names the points the appointment's rules moved ("points") and whether
        the chart is linked yet ("linked").
        """
        body = _times(_without_none(appointment))
        body["pms_updated_at"] = _iso(pms_updated_at, "pms_updated_at")
        if pms_user is not None:
            body["pms_user"] = pms_user
        path = self._appointment_path(system, chart_id, appointment_id)
        return self._call("PUT", path, body, idempotency_key)

    def delete_appointment(
        self,
        system: str,
        chart_id: str,
        appointment_id: str,
        *,
        pms_updated_at: dt.datetime | str | None = None,
    ) -> dict[str, Any]:
        """The PMS deleted the appointment: the hub takes back what it earned.

        Deleting is harmless to repeat (a second answers "unchanged"), so it
        takes no idempotency key.
        """
        path = self._appointment_path(system, chart_id, appointment_id)
        if pms_updated_at is not None:
            path += "?" + urlencode({"pms_updated_at": _iso(pms_updated_at, "pms_updated_at")})
        return self._call("DELETE", path)

    def appointments(self, system: str, chart_id: str) -> dict[str, Any]:
        """What the hub has of the chart's appointments, oldest first, with their points."""
        return self._call("GET", self._patient_path(system, chart_id) + "/appointments")

    def batch_appointments(
        self,
        system: str,
        appointments: Iterable[Mapping[str, Any]],
        pms_user: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Send up to 1,000 appointments (each with chart_id and appointment_id;
        "deleted": true for a deletion). Each row answers its own outcome."""
        body: dict[str, Any] = {
            "appointments": [_times(_without_none(row)) for row in appointments]
        }
        if pms_user is not None:
            body["pms_user"] = pms_user
        path = f"/api/v1/pms/{_segment(system)}/appointments:batch"
        return self._call("POST", path, body, idempotency_key)

    # -- plumbing --------------------------------------------------------------

    def _patient_path(self, system: str, chart_id: str) -> str:
        return f"/api/v1/pms/{_segment(system)}/patients/{_segment(chart_id)}"

    def _appointment_path(self, system: str, chart_id: str, appointment_id: str) -> str:
        return f"{self._patient_path(system, chart_id)}/appointments/{_segment(appointment_id)}"

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        # S310: the constructor only accepts http(s) base URLs.
        url = self.base_url + path
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return _decode_success(response.status, response.read())
        except urllib.error.HTTPError as err:
            raw = err.read() if err.fp is not None else b""
            err.close()
            raise _error_from_answer(err.code, raw) from None
        except (
            urllib.error.URLError,
            ConnectionError,
            TimeoutError,
            http.client.HTTPException,  # something that is not an HTTP server answered
        ) as err:
            raise HubError(None, "hub_unreachable", self._unreachable_message(err)) from None

    def _unreachable_message(self, err: Exception) -> str:
        reason = getattr(err, "reason", err)
        if isinstance(reason, TimeoutError):
            detail = f"it did not answer within {self.timeout:g} seconds"
        else:
            detail = str(reason) or type(reason).__name__
        return (
            f"The hub at {self.base_url} could not be reached ({detail}). "
            "Check the hub URL in the bridge config and that the hub is running."
        )


def _segment(value: str) -> str:
    # safe="" so a "/" or "?" in an id can never change which route is called.
    return quote(value, safe="")


def _without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    # Absent and null are not the same to every validator; absent is always allowed.
    return {key: value for key, value in fields.items() if value is not None}


def _iso(value: dt.datetime | str, name: str) -> str:
    if isinstance(value, str):
        return value
    if value.utcoffset() is None:
        # The hub cannot tell which hour a time without its offset means.
        raise ValueError(f"{name} must be a time with its UTC offset (an aware datetime).")
    return value.isoformat()


def _times(fields: dict[str, Any]) -> dict[str, Any]:
    """The appointment's datetimes as ISO 8601 text, as the hub reads them."""
    return {
        key: _iso(value, key) if isinstance(value, dt.datetime) else value
        for key, value in fields.items()
    }


def _decode_success(status: int, raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        # Typically a wrong URL that lands on some other web server's HTML page.
        raise HubError(
            status,
            "bad_response",
            "The hub's answer was not the expected JSON. Check the hub URL in the bridge config.",
        )
    return payload


def _error_from_answer(status: int, raw: bytes) -> HubError:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return HubError(status, str(payload.get("error") or "hub_error"), payload["message"])
    # A proxy or a crashed hub may answer with an HTML page; don't show that to staff.
    return HubError(status, "hub_error", f"The hub answered HTTP {status} without an explanation.")
