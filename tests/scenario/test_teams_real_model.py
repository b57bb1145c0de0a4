"""The Teams endpoint on the real embedding model: the passage matches the core, the action is in time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from adapters.teams.mount import build_mount
from adapters.teams.settings import TeamsSettings
from bot.serve import create_app
from tests.scenario.live import LiveServer, request
from tests.scenario.test_teams_http import activity, card_of

pytestmark = pytest.mark.slow

SERVICE_URL = "http://127.0.0.1:9/"  # never called: every request here asks for expectReplies or is an invoke


@pytest.fixture
def server(settings, real_assistant) -> Iterator[LiveServer]:
    mount, _ = build_mount(settings, teams=TeamsSettings(_env_file=None, id=""))
    assert mount is not None
    with LiveServer(create_app(settings, lambda: real_assistant, [mount])) as live:
        yield live.wait_ready()


@pytest.mark.parametrize("question", ["Can I tweet about a planning application I'm deciding on?", "can I give my password to my assistant?"])
def test_teams_answer_is_the_core_answer(server: LiveServer, real_assistant, question: str) -> None:
    response = request(server.port, "POST", "/api/messages", activity(SERVICE_URL, question, deliveryMode="expectReplies"))
    assert response.status == 200
    [reply] = response.json()["activities"]
    expected = real_assistant.ask(question)
    assert expected.answered
    assert expected.results[0].passage in card_of(reply)["fallbackText"]


def test_check_this_post_answers_well_inside_five_seconds(server: LiveServer, real_assistant) -> None:
    post = "Cllr Smith is a liar and a crook. Everyone vote him out! Call Mrs Brown at 07700 900123 to complain."
    value = {"commandId": "checkPost", "commandContext": "message", "messagePayload": {"body": {"contentType": "html", "content": f"<p>{post}</p>"}}}
    started = time.perf_counter()
    response = request(server.port, "POST", "/api/messages", activity(SERVICE_URL, type="invoke", name="composeExtension/fetchTask", value=value))
    elapsed = time.perf_counter() - started
    assert response.status == 200 and elapsed < 5.0
    card = response.json()["task"]["value"]["card"]["content"]
    categories = {f.category for f in real_assistant.check(post).flags}
    assert categories and all(c.replace("_", " ").capitalize() in str(card) for c in categories)
    print(f"checkPost round trip {elapsed * 1000:.0f} ms")
