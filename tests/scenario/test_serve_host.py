"""Model work runs off the event loop in a bounded pool: health checks stay fast while answers are computed,
overload is a quick 503, and concurrent requests each get their own, uncorrupted answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.serve import create_app
from tests.scenario.live import LiveServer, request


class GatedAssistant:
    """The fake assistant, but every answer waits until the test opens the gate.

    Blocking on a gate (not burning CPU for a fixed time) makes "the loop is free while workers are busy"
    a yes/no question: if model work ran on the event loop, /healthz could not answer at all until the
    gate opens, however fast or slow the machine is.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.guidance_version = inner.guidance_version
        self.running = threading.Semaphore(0)
        self.gate = threading.Event()

    def _wait(self) -> None:
        self.running.release()
        if not self.gate.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")

    def ask(self, question: str) -> Any:
        self._wait()
        return self.inner.ask(question)

    def check(self, text: str) -> Any:
        self._wait()
        return self.inner.check(text)


def test_healthz_answers_while_every_worker_is_busy(settings, fake_assistant) -> None:
    gated = GatedAssistant(fake_assistant)
    with LiveServer(create_app(settings.model_copy(update={"workers": 2}), lambda: gated)) as live:
        live.wait_ready()
        with ThreadPoolExecutor(3) as pool:
            answers = [pool.submit(request, live.port, "POST", "/api/ask", {"q": "can I share my passwords?"}) for _ in range(3)]
            try:
                assert gated.running.acquire(timeout=10) and gated.running.acquire(timeout=10), "both workers are busy"
                assert not gated.running.acquire(timeout=0.5), "a third answer started: the pool is not bounded to 2"
                for _ in range(5):
                    assert request(live.port, "GET", "/healthz", timeout=5).status == 200
                    assert request(live.port, "GET", "/readyz", timeout=5).status == 200
                assert not any(a.done() for a in answers), "no answer can finish before the gate opens"
            finally:
                gated.gate.set()
            assert all(a.result(timeout=30).status == 200 for a in answers)


def test_a_full_queue_is_a_quick_503_not_a_growing_backlog(settings, fake_assistant) -> None:
    gated = GatedAssistant(fake_assistant)
    tight = settings.model_copy(update={"workers": 1, "max_queue": 1})
    with LiveServer(create_app(tight, lambda: gated)) as live:
        live.wait_ready()
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(request, live.port, "POST", "/api/ask", {"q": "can I tweet?"})
            try:
                assert gated.running.acquire(timeout=10)
                refused = request(live.port, "POST", "/api/check", {"text": "hello residents"}, timeout=5)
                assert refused.status == 503 and "too many requests" in refused.json()["error"]
                assert not first.done(), "the refusal came while the first answer was still being worked on"
            finally:
                gated.gate.set()
            assert first.result(timeout=30).status == 200


def test_concurrent_requests_each_get_their_own_answer(settings, fake_assistant) -> None:
    questions = [
        "can I share my passwords with my assistant?",
        "can I post a photo from a newspaper website?",
        "can I tweet about a planning application I will decide?",
        "do I have to reply to residents at the weekend?",
    ] * 6
    expected = {q: fake_assistant.ask(q).model_dump() for q in set(questions)}
    with LiveServer(create_app(settings.model_copy(update={"workers": 4}), lambda: fake_assistant)) as live:
        live.wait_ready()
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda q: (q, request(live.port, "POST", "/api/ask", {"q": q})), questions))
    for question, response in got:
        assert response.status == 200
        assert response.json() == expected[question]


class CountingEmbedder:
    """HashingEmbedder that counts calls and is slow enough for concurrent callers to queue up."""

    def __init__(self, fail_on: str | None = None) -> None:
        from knowledge.embedding import HashingEmbedder

        self.inner = HashingEmbedder()
        self.name, self.dimension = self.inner.name, self.inner.dimension
        self.calls = 0
        self.fail_on = fail_on

    def encode(self, texts: list[str]) -> Any:
        self.calls += 1
        time.sleep(0.02)
        if self.fail_on in texts:
            raise ValueError("cannot encode that")
        return self.inner.encode(texts)


def test_batching_embedder_coalesces_concurrent_calls_and_keeps_each_callers_rows() -> None:
    from bot.batching import BatchingEmbedder

    counting = CountingEmbedder()
    batching = BatchingEmbedder(counting, encoders=1)
    texts = [[f"question number {n} about passwords"] for n in range(24)] + [["two texts", "in one call"]]
    try:
        with ThreadPoolExecutor(12) as pool:
            got = list(pool.map(batching.encode, texts))
    finally:
        batching.close()
    for asked, vectors in zip(texts, got, strict=True):
        assert vectors.shape == (len(asked), counting.dimension)
        assert (vectors == counting.inner.encode(asked)).all(), "each caller gets exactly its own vectors"
    assert counting.calls < len(texts) / 2, f"{counting.calls} model calls for {len(texts)} requests: nothing batched"


def test_batching_embedder_passes_errors_to_every_caller_in_the_batch() -> None:
    from bot.batching import BatchingEmbedder

    batching = BatchingEmbedder(CountingEmbedder(fail_on="poison"), encoders=1)
    try:
        with pytest.raises(ValueError, match="cannot encode"):
            batching.encode(["poison"])
        assert batching.encode(["fine"]).shape[0] == 1, "the encoder thread survives an error"
    finally:
        batching.close()
