"""With an app id configured, /api/messages accepts only Bot Framework tokens signed by a published key.

No network: the test makes an RSA key, publishes it from an OpenID metadata + JWKS server on loopback,
and points botframework-connector's channel validation at it (ChannelValidation.open_id_metadata_endpoint,
the SDK's own override for the metadata URL). Everything else is the SDK's real validation path.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters.teams.mount import build_mount
from adapters.teams.settings import TeamsSettings
from bot.serve import create_app
from tests.scenario.live import LiveServer, request

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/uk/"
QUESTION = "Can I share my password with my assistant?"


class KeyServer:
    """OpenID metadata and a JWKS with one test key, on loopback."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "endorsements": ["msteams"]})

        async def openid(request: web.Request) -> web.Response:
            return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.server.url}/keys"})

        async def jwks(request: web.Request) -> web.Response:
            return web.json_response({"keys": [jwk]})

        app = web.Application()
        app.router.add_get("/openid", openid)
        app.router.add_get("/keys", jwks)
        self.server = LiveServer(app).start()

    def token(self, key: Any = None, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10, "exp": now + 600, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyServer]:
    server = KeyServer()
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", f"{server.server.url}/openid")
    yield server
    server.server.stop()


@pytest.fixture
def server(settings, fake_assistant) -> Iterator[LiveServer]:
    teams = TeamsSettings(_env_file=None, id=APP_ID, password="not-a-real-secret", type="MultiTenant")
    mount, note = build_mount(settings, teams=teams)
    assert mount is not None and APP_ID in note and "validated" in note
    with LiveServer(create_app(settings, lambda: fake_assistant, [mount])) as live:
        yield live.wait_ready()


def message() -> dict[str, Any]:
    return {
        "type": "message",
        "id": "m1",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "deliveryMode": "expectReplies",  # replies come back in the response: no call to the real connector
        "from": {"id": "29:user", "aadObjectId": "aad-1"},
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "conv-1", "conversationType": "personal"},
        "text": QUESTION,
    }


def post(server: LiveServer, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return request(server.port, "POST", "/api/messages", message(), headers)


def test_request_without_a_token_is_401(server: LiveServer, keys: KeyServer) -> None:
    assert post(server, None).status == 401


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", ""])
def test_garbage_token_is_401(server: LiveServer, keys: KeyServer, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}" if token else "Basic abc"}
    assert request(server.port, "POST", "/api/messages", message(), headers).status == 401


def test_token_signed_by_the_published_key_is_accepted(server: LiveServer, keys: KeyServer, fake_assistant) -> None:
    response = post(server, keys.token())
    assert response.status == 200
    [reply] = response.json()["activities"]
    content = reply["attachments"][0]["content"]
    assert fake_assistant.ask(QUESTION).results[0].passage in content["fallbackText"]


def test_token_signed_by_another_key_is_401(server: LiveServer, keys: KeyServer) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert post(server, keys.token(key=stranger)).status == 401


@pytest.mark.parametrize(
    "claims",
    [{"aud": "someone-elses-bot"}, {"iss": "https://evil.example"}, {"serviceurl": "https://elsewhere.example/"}, {"exp": int(time.time()) - 3600}],
)
def test_token_with_wrong_claims_is_401(server: LiveServer, keys: KeyServer, claims: dict[str, Any]) -> None:
    assert post(server, keys.token(**claims)).status == 401
