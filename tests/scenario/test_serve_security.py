"""The token rule: off loopback `serve` refuses to start without GUIDANCE_BOT_WEB_TOKEN, and with one every
web chat and API request needs it (bearer header or the login form's cookie).

The app is configured for 0.0.0.0 (that is what decides the rule) but the test server still listens on
127.0.0.1 only, so nothing is exposed while the tests run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.serve import create_app
from bot.settings import SettingsError
from tests.scenario.live import LiveServer, request

TOKEN = "correct-horse-battery-staple"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_off_loopback_without_a_token_the_app_is_not_built(settings, fake_assistant) -> None:
    with pytest.raises(SettingsError, match="GUIDANCE_BOT_WEB_TOKEN"):
        create_app(settings.model_copy(update={"host": "0.0.0.0"}), lambda: fake_assistant)


@pytest.fixture
def guarded(settings, fake_assistant) -> Iterator[LiveServer]:
    public = settings.model_copy(update={"host": "0.0.0.0", "web_token": SecretStr(TOKEN)})
    with LiveServer(create_app(public, lambda: fake_assistant)) as live:
        yield live.wait_ready()


def test_the_page_redirects_to_login_and_the_api_says_401(guarded: LiveServer) -> None:
    page = request(guarded.port, "GET", "/")
    assert page.status == 302 and page.headers["location"] == "/login"
    assert request(guarded.port, "GET", "/static/app.js").status == 302
    for path, body in (("/api/ask", {"q": "can I tweet?"}), ("/api/check", {"text": "hello"})):
        refused = request(guarded.port, "POST", path, body)
        assert refused.status == 401 and "Bearer" in refused.json()["error"]
    assert request(guarded.port, "GET", "/metrics").status == 401
    wrong = request(guarded.port, "POST", "/api/ask", {"q": "can I tweet?"}, {"Authorization": "Bearer nope"})
    assert wrong.status == 401


def test_health_checks_and_the_login_form_stay_open(guarded: LiveServer) -> None:
    assert request(guarded.port, "GET", "/healthz").status == 200
    assert request(guarded.port, "GET", "/readyz").status == 200
    login = request(guarded.port, "GET", "/login")
    assert login.status == 200 and b'<label for="token">' in login.body
    assert request(guarded.port, "GET", "/static/app.css").status == 200, "the login page needs its stylesheet"


def test_bearer_token_opens_the_api(guarded: LiveServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert request(guarded.port, "POST", "/api/ask", {"q": "can I share my passwords?"}, auth).status == 200
    assert request(guarded.port, "GET", "/", headers=auth).status == 200
    assert request(guarded.port, "GET", "/metrics", headers=auth).status == 200


def test_login_form_sets_a_session_cookie_that_opens_the_chat(guarded: LiveServer) -> None:
    refused = request(guarded.port, "POST", "/login", "token=guess", FORM)
    assert refused.status == 401 and b"not right" in refused.body and "set-cookie" not in refused.headers
    signed_in = request(guarded.port, "POST", "/login", f"token={TOKEN}", FORM)
    assert signed_in.status == 302 and signed_in.headers["location"] == "/"
    cookie = signed_in.headers["set-cookie"]
    assert TOKEN not in cookie, "the cookie must not carry the token itself"
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    session = {"Cookie": cookie.split(";", 1)[0]}
    assert request(guarded.port, "GET", "/", headers=session).status == 200
    assert request(guarded.port, "POST", "/api/ask", {"q": "can I tweet?"}, session).status == 200
    forged = {"Cookie": "guidance_session=" + "0" * 64}
    assert request(guarded.port, "POST", "/api/ask", {"q": "can I tweet?"}, forged).status == 401


def test_a_token_set_on_loopback_is_required_too(settings, fake_assistant) -> None:
    """Behind a reverse proxy on the same machine every caller is on loopback: a set token still applies."""
    local = settings.model_copy(update={"web_token": SecretStr(TOKEN)})
    with LiveServer(create_app(local, lambda: fake_assistant)) as live:
        live.wait_ready()
        assert request(live.port, "POST", "/api/ask", {"q": "can I tweet?"}).status == 401
        assert request(live.port, "GET", "/").status == 302
        assert request(live.port, "POST", "/api/ask", {"q": "can I tweet?"}, {"Authorization": f"Bearer {TOKEN}"}).status == 200


def test_login_attempts_are_rate_limited(settings, fake_assistant) -> None:
    strict = settings.model_copy(
        update={"host": "0.0.0.0", "web_token": SecretStr(TOKEN), "rate_limit_per_minute": 1, "rate_limit_burst": 2}
    )
    with LiveServer(create_app(strict, lambda: fake_assistant)) as live:
        statuses = [request(live.port, "POST", "/login", "token=guess", FORM).status for _ in range(3)]
        assert statuses == [401, 401, 429]
