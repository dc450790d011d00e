"""What each kind of job does: handlers registered by the apps that own the work.

An app registers its handlers in its AppConfig.ready (the notify app: one per
kind of mail), so the jobs app knows no other app. A handler takes the Job
and returns what it did in a few words; it raises to fail the try (the
runner then schedules the retry). A handler must be safe to run again after
a failure: see jobs.runner.finishing for how it records that it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rewardshub.jobs.models import Job


@dataclass(frozen=True)
class Handler:
    kind: str
    # What Settings > Background jobs calls a job of this kind.
    label: str
    run: Callable[[Job], str]


_HANDLERS: dict[str, Handler] = {}


def register(kind: str, label: str, run: Callable[[Job], str]) -> None:
    known = _HANDLERS.get(kind)
    if known is not None and known.run is not run:
        raise ValueError(f"Two handlers for the job kind {kind!r}.")
    _HANDLERS[kind] = Handler(kind, label, run)


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def label_for(kind: str) -> str:
    handler = _HANDLERS.get(kind)
    return handler.label if handler is not None else kind
