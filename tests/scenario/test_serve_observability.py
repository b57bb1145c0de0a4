"""What operators see: Prometheus metrics and JSON-line request logs, and never a member's words in either."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from bot.serve import create_app
from tests.scenario.live import LiveServer, request

QUESTION = "can I share my passwords with my caseworker Zebedee?"
DRAFT = "Councillor Quimby is a crook and the password for our ward page is Marmalade77"
SECRET_WORDS = ("Zebedee", "Quimby", "crook", "Marmalade77")


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """JSON logging into a buffer (a buffer is not a terminal), restoring pytest's handlers afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("INFO", buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def server(settings, fake_assistant) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings, lambda: fake_assistant)) as live:
        yield live.wait_ready()


def _exercise(port: int) -> None:
    assert request(port, "POST", "/api/ask", {"q": QUESTION}).status == 200
    assert request(port, "POST", "/api/ask", {"q": "what is the bus timetable to the moon?"}).status == 200
    checked = request(port, "POST", "/api/check", {"text": DRAFT})
    assert checked.status == 200 and checked.json()["flags"]
    assert request(port, "POST", "/api/check", {"draft": DRAFT}).status == 400
    assert request(port, "POST", "/api/check", b"{" + DRAFT.encode(), {"Content-Type": "application/json"}).status == 400


def test_request_logs_are_json_lines_without_the_text(captured_logs: io.StringIO, server: LiveServer) -> None:
    _exercise(server.port)
    assert request(server.port, "GET", "/healthz", headers={"X-Request-Id": "probe-123"}).headers["x-request-id"] == "probe-123"
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line.strip()]
    requests = [line for line in lines if line.get("name") == "guidance_bot.request"]
    assert len(requests) >= 6
    for entry in requests:
        assert {"request_id", "route", "status", "latency_ms", "outcome", "time", "level"} <= entry.keys()
        assert isinstance(entry["latency_ms"], float | int)
    routes = {(e["route"], e["status"], e["outcome"]) for e in requests}
    assert ("/api/ask", 200, "answered") in routes
    assert ("/api/check", 400, "error") in routes
    assert any(e["route"] == "/api/check" and e["status"] == 200 and e["outcome"].endswith("flags") for e in requests)
    assert any(e["request_id"] == "probe-123" for e in requests)
    text = captured_logs.getvalue()
    for word in SECRET_WORDS:
        assert word not in text, f"{word!r} from a question or draft reached the logs"


def test_metrics_count_requests_outcomes_and_flags_without_the_text(server: LiveServer) -> None:
    _exercise(server.port)
    metrics = request(server.port, "GET", "/metrics")
    assert metrics.status == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.body.decode()
    assert 'guidance_questions_total{outcome="answered"} 1.0' in text
    assert 'guidance_questions_total{outcome="abstained"} 1.0' in text
    assert "guidance_draft_checks_total 1.0" in text
    assert 'guidance_draft_flags_total{category="defamation"}' in text
    assert 'guidance_http_requests_total{route="/api/check",status="400"} 2.0' in text
    assert 'guidance_http_request_seconds_bucket{le="0.1",route="/api/ask"}' in text
    assert "guidance_ready 1.0" in text
    for word in SECRET_WORDS:
        assert word not in text, f"{word!r} from a question or draft reached the metrics"


def test_unknown_paths_share_one_metrics_label(server: LiveServer) -> None:
    for n in range(3):
        assert request(server.port, "GET", f"/probe-{n}-Quimby").status == 404
    text = request(server.port, "GET", "/metrics").body.decode()
    assert 'route="unmatched",status="404"} 3.0' in text and "Quimby" not in text
