"""Prometheus metrics for `serve`: counts and latencies only, never message text."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """One registry per app, so tests and several apps in a process do not share counters."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "guidance_http_requests", "HTTP requests by route and status", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "guidance_http_request_seconds", "HTTP request latency by route", ["route"], buckets=_BUCKETS, registry=self.registry
        )
        self.questions = Counter("guidance_questions", "Questions by outcome", ["outcome"], registry=self.registry)
        self.checks = Counter("guidance_draft_checks", "Draft checks run", registry=self.registry)
        self.flags = Counter("guidance_draft_flags", "Draft-check flags by category", ["category"], registry=self.registry)
        self.ready = Gauge("guidance_ready", "1 when the model and index are loaded", registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
