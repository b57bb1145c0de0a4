"""Ack latency of POST /slack/events under a burst of 50 signed events (target: p99 < 300 ms).

Runs `serve`'s app with the Slack mount on loopback, a fake Slack Web API recording the answers, and
fires each burst of 50 distinct DM events at once from an asyncio client. Latency is measured at the
client, from sending the request to receiving Slack's 200 (what Slack's 3 s timeout sees); each burst
is then checked to be answered exactly once. Everything runs in one process (client, server, fake and
model threads share the GIL), so the figure is, if anything, pessimistic.

    .venv/bin/python benchmarks/slack_ack.py              # the real embedding model
    .venv/bin/python benchmarks/slack_ack.py --fake       # the hashing embedder (seconds, no model)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import aiohttp  # noqa: E402

from tests.fakes.slack_api import BOT_USER, TEAM, serve_with_slack, signature  # noqa: E402

SECRET = "bench-secret"
QUESTIONS = (
    "can I tweet about a planning application?",
    "can I share my password with my assistant?",
    "is it ok to post photos of residents?",
    "check: Councillor Smith is a liar and everyone knows it.",
)


def _body(n: int, burst: int) -> str:
    event = {"type": "message", "channel_type": "im", "channel": f"D{burst:02d}{n:05d}", "user": f"U{n:07d}", "ts": f"{1700000000 + burst}.{n:06d}", "text": QUESTIONS[n % len(QUESTIONS)]}
    return json.dumps({"type": "event_callback", "team_id": TEAM, "event_id": f"Ev{burst:02d}{n:06d}", "event_time": int(time.time()), "authorizations": [{"user_id": BOT_USER, "is_bot": True}], "event": event})


async def _burst(url: str, burst: int, size: int) -> list[float]:
    async with aiohttp.ClientSession() as session:

        async def one(n: int) -> float:
            body = _body(n, burst)
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(SECRET, ts, body)}
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"event {n} got HTTP {response.status}")
            return (time.perf_counter() - start) * 1000

        return list(await asyncio.gather(*(one(n) for n in range(size))))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake", action="store_true", help="use the hashing embedder instead of the real model")
    parser.add_argument("--bursts", type=int, default=5, help="bursts to send (default 5)")
    parser.add_argument("--size", type=int, default=50, help="events per burst (default 50)")
    args = parser.parse_args()

    from bot.runtime import build_assistant
    from bot.settings import Settings
    from knowledge.parse import load_default

    data = Path(tempfile.mkdtemp(prefix="slack-bench-"))
    if args.fake:
        from knowledge.embedding import HashingEmbedder

        assistant = build_assistant(Settings(data_dir=data / "data"), embedder=HashingEmbedder(), document=load_default())
    else:  # the model as `serve` runs it: one intra-op thread per encoder thread, questions batched
        from bot.serve import load_for_serving

        assistant = load_for_serving(Settings(data_dir=data / "data"))
    latencies: list[float] = []
    with serve_with_slack(assistant, data / "serve", SECRET) as (server, fake, _sender, _votes):
        url = server.url + "/slack/events"
        for burst in range(args.bursts):
            fake.reset()
            started = time.perf_counter()
            round_ms = asyncio.run(_burst(url, burst, args.size))
            answered = fake.wait_calls("chat.postMessage", args.size, timeout=120)
            drained = time.perf_counter() - started
            time.sleep(0.3)
            channels = [c.params["channel"] for c in fake.called("chat.postMessage")]
            once = len(channels) == args.size == len(set(channels))
            latencies += round_ms
            print(f"burst {burst + 1}: ack p50 {_pct(round_ms, 50):.1f} ms, p99 {_pct(round_ms, 99):.1f} ms, max {max(round_ms):.1f} ms; "
                  f"{len(answered)} answered in {drained:.2f} s; each exactly once: {once}")
            if not once:
                return 1
    p99 = _pct(latencies, 99)
    print(f"\n{'fake' if args.fake else 'real'} model, {args.bursts} bursts of {args.size} events: ack latency "
          f"p50 {statistics.median(latencies):.1f} ms, p95 {_pct(latencies, 95):.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms "
          f"(target p99 < 300 ms: {'met' if p99 < 300 else 'MISSED'})")
    return 0 if p99 < 300 else 1


if __name__ == "__main__":
    raise SystemExit(main())
