"""`serve` on a real loopback port with the fast fake assistant: every route, and every way a body can be bad."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from bot.serve import create_app
from tests.scenario.live import LiveServer, request

DRAFT = "Great turnout tonight. Councillor Jones is a crook and everyone knows it."


@pytest.fixture
def server(settings, fake_assistant) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings, lambda: fake_assistant)) as live:
        yield live.wait_ready()


def test_web_chat_page_is_served_with_labelled_controls_and_no_inline_or_remote_script(server: LiveServer) -> None:
    page = request(server.port, "GET", "/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    html = page.body.decode()
    assert '<label for="question">' in html and '<label for="draft">' in html
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline script would break the CSP"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "everything must load from this server (offline)"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("name", "kind"), [("app.js", "application/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")])
def test_static_assets_are_served(server: LiveServer, name: str, kind: str) -> None:
    asset = request(server.port, "GET", f"/static/{name}")
    assert asset.status == 200 and asset.headers["content-type"].startswith(kind) and len(asset.body) > 200


@pytest.mark.parametrize("path", ["/static/login.html", "/static/..%2Fserve.py", "/static/nothing.js", "/nowhere"])
def test_unknown_files_are_404(server: LiveServer, path: str) -> None:
    assert request(server.port, "GET", path).status == 404


def test_login_page_on_loopback_is_harmless(server: LiveServer) -> None:
    assert request(server.port, "GET", "/login").status == 200
    submitted = request(server.port, "POST", "/login", "token=anything", {"Content-Type": "application/x-www-form-urlencoded"})
    assert submitted.status == 302 and submitted.headers["location"] == "/", "no token configured: nothing to sign in to"


def test_ask_returns_exactly_the_cli_json(server: LiveServer, fake_assistant) -> None:
    question = "can I share my passwords with my assistant?"
    answer = request(server.port, "POST", "/api/ask", {"q": question})
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body == fake_assistant.ask(question).model_dump()
    assert body["answered"] and "password" in body["results"][0]["passage"].lower()
    assert answer.headers["x-request-id"]


def test_check_returns_exactly_the_cli_json_with_flag_offsets(server: LiveServer, fake_assistant) -> None:
    checked = request(server.port, "POST", "/api/check", {"text": DRAFT})
    assert checked.status == 200
    body = checked.json()
    assert body == fake_assistant.check(DRAFT).model_dump()
    flag = next(f for f in body["flags"] if f["category"] == "defamation")
    assert DRAFT[flag["start"] : flag["end"]] == flag["evidence"]


@pytest.mark.parametrize(
    ("path", "body", "says"),
    [
        ("/api/ask", b"{not json", "not valid JSON"),
        ("/api/ask", b"", "not valid JSON"),
        ("/api/ask", b'["q"]', '"q"'),
        ("/api/ask", b'{"question": "can I tweet?"}', '"q"'),
        ("/api/ask", b'{"q": 42}', "must be a string"),
        ("/api/ask", b'{"q": "   "}', "empty"),
        ("/api/ask", b"\xff\xfe{}", "UTF-8"),
        ("/api/ask", ('{"q": "' + "why " * 400 + '"}').encode(), "limit"),
        ("/api/check", b'{"q": "wrong field for a check"}', '"text"'),
        ("/api/check", b'{"text": ""}', "empty"),
        ("/api/check", b'{"text": null}', "must be a string"),
    ],
)
def test_bad_bodies_get_400_with_a_json_error_naming_the_problem(server: LiveServer, path: str, body: bytes, says: str) -> None:
    response = request(server.port, "POST", path, body, {"Content-Type": "application/json"})
    assert response.status == 400
    assert says in response.json()["error"]


@pytest.mark.parametrize("path", ["/api/ask", "/api/check"])
def test_bodies_over_64_kib_get_413(server: LiveServer, path: str) -> None:
    big = b'{"text": "' + b"a" * (64 * 1024) + b'"}'
    response = request(server.port, "POST", path, big, {"Content-Type": "application/json"})
    assert response.status == 413
    assert "64 KiB" in response.json()["error"]


def test_wrong_method_is_405(server: LiveServer) -> None:
    assert request(server.port, "GET", "/api/ask").status == 405


def test_health_and_readiness(server: LiveServer, fake_assistant) -> None:
    assert request(server.port, "GET", "/healthz").json() == {"status": "ok"}
    ready = request(server.port, "GET", "/readyz")
    assert ready.status == 200 and ready.json()["guidance_version"] == fake_assistant.guidance_version


def test_readyz_is_503_until_the_assistant_has_loaded(settings, fake_assistant) -> None:
    release = threading.Event()

    def slow_load():  # type: ignore[no-untyped-def]
        release.wait(30)
        return fake_assistant

    with LiveServer(create_app(settings, slow_load)) as live:
        assert request(live.port, "GET", "/healthz").status == 200, "the process is up while the model loads"
        loading = request(live.port, "GET", "/readyz")
        assert loading.status == 503 and loading.json()["status"] == "loading"
        early = request(live.port, "POST", "/api/ask", {"q": "can I tweet?"})
        assert early.status == 503 and "loading" in early.json()["error"]
        release.set()
        live.wait_ready(30)
        assert request(live.port, "POST", "/api/ask", {"q": "can I tweet?"}).status == 200


def test_readyz_says_why_when_loading_failed(settings) -> None:
    def broken_load():  # type: ignore[no-untyped-def]
        raise RuntimeError("the model package is not installed")

    with LiveServer(create_app(settings, broken_load)) as live:
        for _ in range(100):
            ready = request(live.port, "GET", "/readyz")
            if ready.json()["status"] != "loading":
                break
            threading.Event().wait(0.05)
        assert ready.status == 503 and ready.json()["status"] == "failed"
        assert "model package" in ready.json()["error"]
        assert request(live.port, "GET", "/healthz").status == 200


def test_rate_limit_gives_429_with_retry_after(settings, fake_assistant) -> None:
    strict = settings.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 3})
    with LiveServer(create_app(strict, lambda: fake_assistant)) as live:
        live.wait_ready()
        statuses = [request(live.port, "POST", "/api/ask", {"q": "can I tweet?"}).status for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = request(live.port, "POST", "/api/check", {"text": "hello residents"})
        assert limited.status == 429 and int(limited.headers["retry-after"]) >= 1
        assert "too many requests" in limited.json()["error"]
        assert request(live.port, "GET", "/healthz").status == 200, "health checks are never rate limited"
