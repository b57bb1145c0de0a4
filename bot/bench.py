"""`guidance-bot bench`: the performance figures the README records, from one run.

- cold start: wall time of a fresh `python -m bot ask --json` process (index already built);
- warm ask and check latency percentiles in this process, with the model loaded once;
- the floor: query encoding plus FAISS search alone, and warm ask p50 as a ratio of it;
- peak RSS of this process and of the cold-start child;
- full garbage collections that ran during the warm loops (gc.freeze() after loading should make it 0).
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bot.settings import Settings

QUESTIONS = [
    "can I tweet about this planning app?",
    "Is it OK to share a photo from a local newspaper?",
    "Can I give my assistant my Facebook login?",
    "Do I have to reply to residents at the weekend?",
    "What if I say something untrue about a developer?",
    "Does the code of conduct apply to my personal account?",
    "How do I book a meeting room?",
    "Should I keep arguing with a troll?",
]
# 280 characters: a full-length post.
DRAFT = (
    "Great to see so many residents at the Oakfield community clean-up this morning! Thanks to the volunteers "
    "and the council's street team. Next session is Saturday 14th at 10am, meeting at the library car park. "
    "Gloves and bags provided; bring a flask and your neighbours. All welcome"
)
assert len(DRAFT) == 280, "the issue's check target is for a 280-character post"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000.0
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)), "p99": float(np.percentile(ms, 99)), "max": float(ms.max())}


def _time_loop(fn: Any, items: list[str], iterations: int) -> list[float]:
    samples = []
    for i in range(iterations):
        item = items[i % len(items)]
        start = time.perf_counter()
        fn(item)
        samples.append(time.perf_counter() - start)
    return samples


def _cold_start(settings: Settings) -> dict[str, float]:
    """A fresh one-shot `ask`; its own peak RSS comes from wait4, so an earlier child (the one-off model
    export) does not count."""
    env = dict(os.environ, GUIDANCE_BOT_DATA_DIR=str(settings.data_dir))
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json", QUESTIONS[0]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.stderr is not None
    problem = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if child.returncode != 0:
        raise RuntimeError(f"the one-shot ask failed ({child.returncode}): {problem.strip()[-300:]}")
    return {"seconds": seconds, "child_peak_rss_mb": usage.ru_maxrss / 1024}


def run_bench(settings: Settings, iterations: int = 300) -> dict[str, Any]:
    from bot.runtime import build_assistant

    load_start = time.perf_counter()
    assistant = build_assistant(settings)  # also makes sure the index is built before the cold start
    load_seconds = time.perf_counter() - load_start
    cold = _cold_start(settings)
    retriever = assistant.retriever

    def floor(q: str) -> None:
        retriever.index.search(retriever.encode_query(q).reshape(1, -1), 3)

    for q in QUESTIONS * 3:  # warm up caches and the tokenizer
        assistant.ask(q)
        floor(q)
    assistant.check(DRAFT)
    full_before = gc.get_stats()[2]["collections"]
    # Interleave so that both see the same machine conditions.
    ask_samples, floor_samples = [], []
    for i in range(iterations):
        floor_samples += _time_loop(floor, [QUESTIONS[i % len(QUESTIONS)]], 1)
        ask_samples += _time_loop(assistant.ask, [QUESTIONS[i % len(QUESTIONS)]], 1)
    check_samples = _time_loop(assistant.check, [DRAFT], iterations)
    full_collections = gc.get_stats()[2]["collections"] - full_before
    ask, check, base = _percentiles(ask_samples), _percentiles(check_samples), _percentiles(floor_samples)
    return {
        "iterations": iterations,
        "model_load_seconds": load_seconds,
        "cold_start_seconds": cold["seconds"],
        "ask_ms": ask,
        "check_ms": check,
        "check_draft_chars": len(DRAFT),
        "floor_ms": base,
        "ask_p50_over_floor_p50": ask["p50"] / base["p50"],
        "ask_mean_ms": statistics.fmean(ask_samples) * 1000,
        "full_gc_during_loops": full_collections,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cold_start_peak_rss_mb": cold["child_peak_rss_mb"],
        "encoder": settings.encoder,
        # Which semantic model the timed check ran: the tuned encoder, or the linear fallback.
        "draft_model": "tuned encoder" if assistant.checker.tuned is not None else "linear fallback",
        # Which encoder the timed asks ran: with the tuned retrieval adapters ("+ask-...") or the base model.
        "retrieval_model": assistant.retriever.embedder.name,
    }


def print_bench(console: Console, report: dict[str, Any]) -> None:
    table = Table(title=f"guidance-bot bench ({report['iterations']} iterations)")
    table.add_column("measure")
    table.add_column("p50 ms", justify="right")
    table.add_column("p95 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("max ms", justify="right")
    for label, key in (("ask (warm)", "ask_ms"), (f"check ({report['check_draft_chars']} chars)", "check_ms"), ("floor: encode + FAISS", "floor_ms")):
        v = report[key]
        table.add_row(label, f"{v['p50']:.1f}", f"{v['p95']:.1f}", f"{v['p99']:.1f}", f"{v['max']:.1f}")
    console.print(table)
    console.print(f"encoder: {report['encoder']}; retrieval model: {report['retrieval_model']}; draft model: {report['draft_model']}")
    console.print(f"ask p50 / floor p50: {report['ask_p50_over_floor_p50']:.2f}x")
    console.print(f"cold start (one-shot ask, index built): {report['cold_start_seconds']:.2f} s")
    console.print(f"model + index load in this process: {report['model_load_seconds']:.2f} s")
    console.print(f"full GC collections during the timed loops: {report['full_gc_during_loops']}")
    console.print(f"peak RSS: {report['peak_rss_mb']:.0f} MB (this process), {report['cold_start_peak_rss_mb']:.0f} MB (one-shot ask)")
