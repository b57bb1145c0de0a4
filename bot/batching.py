"""Micro-batching for the embedder under concurrent load.

Encoding one short question costs ~20 ms on one core, most of it per-call overhead; encoding eight
together costs about half as much per question. So `serve` wraps the real embedder: request threads
put their texts on a queue, a few encoder threads (one per core, torch single-threaded in each) take
whatever is waiting, encode it in one call and hand each caller its rows. With no load a batch is one
question and nothing waits; under load batches form by themselves, with no timer.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

import numpy as np

from knowledge.embedding import Embedder


@dataclass
class _Job:
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    result: np.ndarray | None = None
    error: BaseException | None = None


class BatchingEmbedder:
    """An Embedder that coalesces concurrent `encode` calls; same vectors (to float rounding), fewer calls."""

    def __init__(self, inner: Embedder, encoders: int = 2, max_texts: int = 32) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self._max_texts = max_texts
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"guidance-encoder-{n}", daemon=True) for n in range(encoders)
        ]
        for thread in self._threads:
            thread.start()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode(texts)
        job = _Job(list(texts))
        self._jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _take(self, first: _Job) -> list[_Job]:
        batch, count = [first], len(first.texts)
        while count < self._max_texts:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:  # close(): put the sentinel back for this thread's next loop
                self._jobs.put(None)
                break
            batch.append(job)
            count += len(job.texts)
        return batch

    def _serve(self) -> None:
        while (first := self._jobs.get()) is not None:
            batch = self._take(first)
            try:
                vectors = self.inner.encode([text for job in batch for text in job.texts])
            except BaseException as exc:  # every waiting caller gets the error, none hangs
                for job in batch:
                    job.error = exc
                    job.done.set()
                continue
            at = 0
            for job in batch:
                job.result = vectors[at : at + len(job.texts)]
                at += len(job.texts)
                job.done.set()

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
