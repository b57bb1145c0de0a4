"""Load benchmark for `serve`: N concurrent clients POST /api/ask for S seconds while a prober hits /healthz.

Starts the real server (real model, the bundled guidance) as a child process on a free loopback port,
waits for /readyz, warms it up, then measures. Reports throughput, latency percentiles, errors, and
/healthz latency under load. The child is always stopped, and every wait is bounded.

    .venv/bin/python -m benchmarks.load_ask [--clients 8] [--seconds 30] [--workers 2] [--json]

Per-client rate limiting is switched off for the child (GUIDANCE_BOT_RATE_LIMIT_PER_MINUTE=0): every
client here shares one address, and this measures serving, not the limiter.
Targets (issue 3): p95 < 100 ms, zero errors, /healthz p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from bot.bench import QUESTIONS

ROOT = Path(__file__).resolve().parents[1]
EVAL_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev-questions.jsonl"


def _questions() -> list[str]:
    """The dev evaluation questions when present (varied, realistic), else the bench's own eight."""
    if EVAL_QUESTIONS.is_file():
        rows = [json.loads(line) for line in EVAL_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
        found = [row["q"] for row in rows if isinstance(row.get("q"), str)]
        if found:
            return found
    return list(QUESTIONS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
    ms = np.array(samples) * 1000.0
    return {k: round(float(np.percentile(ms, q)), 2) for k, q in (("p50", 50), ("p95", 95), ("p99", 99))} | {"max": round(float(ms.max()), 2)}


def start_server(port: int, data_dir: str, workers: int | None, extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "GUIDANCE_BOT_DATA_DIR": data_dir,
        "GUIDANCE_BOT_RATE_LIMIT_PER_MINUTE": "0",
        "GUIDANCE_BOT_LOG_LEVEL": "WARNING",
    } | extra_env
    if workers is not None:
        env["GUIDANCE_BOT_WORKERS"] = str(workers)
    cmd = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    # Logs go to a file: an unread pipe fills up and then blocks the server's logging (and its event loop).
    log = open(Path(data_dir) / "serve.log", "wb")  # noqa: SIM115 (closed with the temporary directory)
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def wait_ready(session: aiohttp.ClientSession, base: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}; see its log above")
        try:
            async with session.get(base + "/readyz") as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError(f"/readyz was not 200 within {timeout:.0f} s")


async def load(base: str, clients: int, seconds: float, questions: list[str]) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=clients + 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        for question in questions[:16]:  # warm-up: tokenizer, allocator, first-call paths
            async with session.post(base + "/api/ask", json={"q": question}) as response:
                await response.read()
        latencies: list[float] = []
        health: list[float] = []
        errors: dict[str, int] = {}
        deadline = time.perf_counter() + seconds

        async def client(n: int) -> None:
            i = n
            while time.perf_counter() < deadline:
                question = questions[i % len(questions)]
                i += clients
                t0 = time.perf_counter()
                try:
                    async with session.post(base + "/api/ask", json={"q": question}) as response:
                        body = await response.json()
                        ok = response.status == 200 and "answered" in body
                        key = f"HTTP {response.status}"
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                    ok, key = False, type(exc).__name__
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors[key] = errors.get(key, 0) + 1

        async def prober() -> None:
            async with aiohttp.ClientSession(timeout=timeout) as own:  # its own connection, like an orchestrator's
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    try:
                        async with own.get(base + "/healthz") as response:
                            await response.read()
                            if response.status == 200:
                                health.append(time.perf_counter() - t0)
                            else:
                                errors[f"healthz HTTP {response.status}"] = errors.get(f"healthz HTTP {response.status}", 0) + 1
                    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                        errors[f"healthz {type(exc).__name__}"] = errors.get(f"healthz {type(exc).__name__}", 0) + 1
                    await asyncio.sleep(0.05)

        started = time.perf_counter()
        await asyncio.gather(prober(), *(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "ask_ms": _percentiles(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "healthz_probes": len(health),
        "healthz_ms": _percentiles(health),
    }


async def run(clients: int, seconds: float, workers: int | None, extra_env: dict[str, str]) -> dict[str, Any]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="guidance-load-") as data_dir:
        proc = start_server(port, data_dir, workers, extra_env)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
                ready_s = await wait_ready(session, base, proc, timeout=300)
            report = await load(base, clients, seconds, _questions())
        except BaseException:
            print((Path(data_dir) / "serve.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            stop_server(proc)
    report["server_ready_s"] = round(ready_s, 1)
    report["workers"] = workers or "default"
    report["cpus"] = os.cpu_count()
    a, h = report["ask_ms"], report["healthz_ms"]
    report["targets_met"] = {"ask_p95_under_100ms": a["p95"] < 100, "zero_errors": report["errors"] == 0, "healthz_p99_under_20ms": h["p99"] < 20}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=None, help="GUIDANCE_BOT_WORKERS for the server (default: its own)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="extra environment for the server")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 1 <= args.seconds <= 600:
        parser.error("--clients must be 1..64 and --seconds 1..600")
    extra = dict(item.split("=", 1) for item in args.env)
    report = asyncio.run(run(args.clients, args.seconds, args.workers, extra))
    if args.json:
        print(json.dumps(report))
    else:
        a, h = report["ask_ms"], report["healthz_ms"]
        print(f"{report['clients']} clients x {report['seconds']} s on {report['cpus']} CPUs, workers={report['workers']} {extra or ''}")
        print(f"  /api/ask  {report['requests']} ok, {report['throughput_rps']} req/s, p50 {a['p50']} ms, p95 {a['p95']} ms, p99 {a['p99']} ms, max {a['max']} ms")
        print(f"  errors    {report['errors']} {report['error_kinds'] or ''}")
        print(f"  /healthz  {report['healthz_probes']} probes, p50 {h['p50']} ms, p99 {h['p99']} ms, max {h['max']} ms")
        print(f"  targets   {report['targets_met']}")
    return 0 if all(report["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
