"""`serve` as shipped: the real model loaded the way `run()` loads it (torch single-threaded, batched
encoding), on a loopback port, answering the issue's example question and checking a draft."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.serve import create_app, load_for_serving
from tests.scenario.live import LiveServer, request

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import torch

    from bot.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("serve-real"))

    threads = torch.get_num_threads()
    app = create_app(settings, lambda: load_for_serving(settings), request_threads=settings.workers * 4)
    try:
        with LiveServer(app) as live:
            yield live.wait_ready(timeout=300)
    finally:
        torch.set_num_threads(threads)  # load_for_serving sets it process-wide; later tests keep theirs


def test_real_model_answers_and_checks_over_http(served: LiveServer) -> None:
    answer = request(served.port, "POST", "/api/ask", {"q": "can I tweet about this planning app?"})
    assert answer.status == 200
    body = answer.json()
    assert body["answered"] and body["results"][0]["section_id"].endswith("bias-and-pre-determination")
    assert "open mind" in body["results"][0]["passage"]

    off_topic = request(served.port, "POST", "/api/ask", {"q": "how do I claim my travel expenses?"}).json()
    assert not off_topic["answered"] and "monitoring officer" in off_topic["message"]

    draft = "Ward page password is Tulip99 if anyone wants to post."
    flags = request(served.port, "POST", "/api/check", {"text": draft}).json()["flags"]
    assert [f["category"] for f in flags] == ["password_sharing"]


def test_concurrent_questions_batched_together_get_the_same_answers_as_one_at_a_time(served: LiveServer) -> None:
    questions = [
        "can I tweet about this planning app?",
        "Is it OK to post a picture from a photographer's website?",
        "Can I give my assistant my Facebook login?",
        "Should I keep arguing with a troll?",
    ]
    alone = {q: request(served.port, "POST", "/api/ask", {"q": q}).json() for q in questions}
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: (q, request(served.port, "POST", "/api/ask", {"q": q}).json()), questions * 4))
    for question, body in together:
        expected = alone[question]
        assert body["answered"] == expected["answered"]
        assert [r["section_id"] for r in body["results"]] == [r["section_id"] for r in expected["results"]]
        for got, want in zip(body["results"], expected["results"], strict=True):
            assert got["score"] == pytest.approx(want["score"], abs=2e-4)  # batching pads; floats differ in the 6th place
