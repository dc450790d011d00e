"""Prometheus metrics at `GET /metrics`, for the operator's monitoring only.

What is counted: requests and their latency by method, route name and status
class; the background jobs waiting or running; the audit events not yet
sealed into their chain. A label is always one of a few fixed words or the
name of a route (`patients:detail`, the route's pattern when it has no
name), never a path, a query or anything a caller typed, so no metric can
carry a patient's number, name or chart id, and a probe of random paths
cannot grow the label sets.

Under `rewardshub serve` each gunicorn worker writes its counts to files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode; serve.py
makes the folder), and a scrape of any worker adds up all of them. The job
and audit counts are read from the database at scrape time.

Who may read it: a caller whose address is in REWARDSHUB_METRICS_ALLOW
(default: this host only) and that did not come through a proxy, or one that
sends `Authorization: Bearer <REWARDSHUB_METRICS_TOKEN>`. Anyone else gets
the hub's 404, as for an address that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
STATIC = "static"
# Headers a proxy adds: a request carrying one came from elsewhere, whatever its peer address.
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_FORWARDED",
    "HTTP_X_REAL_IP",
)

# This process's own metrics. In multiprocess mode they are written to files
# and scraped from there; otherwise scraped from this registry.
_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "rewardshub_http_requests",
    "HTTP requests answered, by method, route name and status class.",
    ["method", "route", "status"],
    registry=_REGISTRY,
)
LATENCY = Histogram(
    "rewardshub_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route name.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=_REGISTRY,
)


def route_label(request: HttpRequest) -> str:
    """The route's name (or its pattern), never the path the caller sent."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        static = settings.STATIC_URL or "/static/"
        return STATIC if request.path_info.startswith(static) else UNMATCHED
    return match.view_name or match.route or UNMATCHED


class MetricsMiddleware:
    """Counts every answer; first in MIDDLEWARE, so its time is the whole request's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        key = (method, route_label(request), response.status_code // 100)
        children = _children.get(key)
        if children is None:
            # labels() takes a lock and builds its key each call: look each set up once.
            children = _children.setdefault(
                key,
                (LATENCY.labels(key[0], key[1]), REQUESTS.labels(key[0], key[1], f"{key[2]}xx")),
            )
        children[0].observe(time.perf_counter() - started)
        children[1].inc()
        return response


# (method, route, status class) -> its latency and count. Bounded: every part is
# one of a few words or a route of the URLconf.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


class DatabaseCollector:
    """The queue and the audit backlog, counted when scraped (two cheap COUNTs).

    Across every practice on purpose: these are the operator's numbers, with no
    practice or patient in them.
    """

    def collect(self) -> Iterator[Metric]:
        from rewardshub.audit.models import AuditEvent
        from rewardshub.jobs.models import Job, JobStatus

        jobs = GaugeMetricFamily(
            "rewardshub_jobs",
            "Background jobs waiting for the worker or running, by status.",
            labels=["status"],
        )
        unsealed = GaugeMetricFamily(
            "rewardshub_audit_events_unsealed",
            "Audit events written but not yet sealed into their practice's hash chain.",
        )
        try:
            live = (JobStatus.QUEUED, JobStatus.RETRY, JobStatus.RUNNING)
            counts = dict(
                Job.objects.filter(status__in=live)
                .values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            )
            pending = AuditEvent.objects.filter(seq__isnull=True).count()
        except DatabaseError as exc:
            logger.warning("Metrics: the database did not answer (%s).", type(exc).__name__)
            return
        for status in live:
            jobs.add_metric([str(status)], counts.get(status, 0))
        unsealed.add_metric([], pending)
        yield jobs
        yield unsealed


class _ThisProcess:
    def collect(self) -> Iterator[Metric]:
        yield from _REGISTRY.collect()


def exposition() -> bytes:
    """Every metric, in Prometheus's text format."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(DatabaseCollector())  # type: ignore[arg-type]
    return generate_latest(registry)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_read(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    expected = settings.METRICS_TOKEN_SHA256
    if expected and header.startswith("Bearer "):
        given = token_hash(header.removeprefix("Bearer ").strip())
        return hmac.compare_digest(given, expected)
    if any(name in request.META for name in PROXY_HEADERS):
        # Behind a proxy on the same host every caller's address is the proxy's.
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in settings.METRICS_ALLOW)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read(request):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
