"""Hot reload on a running server: a publish or rollback (also from another process) is served within 2 s,
and answers asked all the while come from one whole version, never a mix, never an error."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime import build_assistant
from bot.serve import create_app
from knowledge.ingest import ingest
from knowledge.store import GuidanceStore
from tests.scenario.live import LiveServer, request

ROOT = Path(__file__).resolve().parents[2]
V2 = ROOT / "tests" / "data" / "guidance-v2.md"
TIKTOK = "Can I post TikTok videos and Instagram Reels?"  # version 1 answers from its general tips; version 2 from its new section
FAST_TIKTOK = "Can I post TikTok videos and Instagram Reels?"  # the fake embedder needs the words
COPYRIGHT = "Can I share photos or extracts from a publication without permission, is that copyright?"
DRAFT = "Here is the full article from the Gazette, copied in full, and a photo I found online."


def cli(settings, *argv: str, embedder: str | None = "hashing") -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    """The CLI in another process against the server's data dir."""
    env = {**os.environ, "GUIDANCE_BOT_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    env.pop("GUIDANCE_BOT_TEST_EMBEDDER", None)
    if embedder:
        env["GUIDANCE_BOT_TEST_EMBEDDER"] = embedder
    return subprocess.Popen([sys.executable, "-m", "bot", *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def served_after_commit(settings, port: int, question: str, version: str, *argv: str, embedder: str | None = "hashing") -> float:  # type: ignore[no-untyped-def]
    """Run a CLI change and return the seconds from its commit (seen by polling the store every 10 ms)
    until the running server answers `question` from `version`; fails beyond 2 s."""
    store = GuidanceStore(settings.data_dir)
    proc = cli(settings, *argv, embedder=embedder)
    committed: float | None = None
    while committed is None:
        if store.current_number() == int(version):
            committed = time.monotonic()
        elif proc.poll() is not None:
            pytest.fail(f"the CLI exited {proc.returncode} without making version {version} current: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        else:
            time.sleep(0.01)
    seen = wait_for(port, question, version, timeout=2.0)
    elapsed = time.monotonic() - committed
    assert proc.wait(600) == 0, proc.stderr.read().decode()  # type: ignore[union-attr]
    assert elapsed <= 2.0, f"served {elapsed:.2f} s after the commit (poll saw it after {seen:.2f} s)"
    return elapsed


def ask(port: int, question: str) -> dict:  # type: ignore[type-arg]
    response = request(port, "POST", "/api/ask", {"q": question})
    assert response.status == 200, response.body
    return response.json()


def wait_for(port: int, question: str, version: str, timeout: float = 2.0) -> float:
    """Seconds until the server answers `question` from `version`; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if ask(port, question)["guidance_version"] == version:
            return time.monotonic() - start
        time.sleep(0.02)
    pytest.fail(f"version {version} was not served within {timeout} s")


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The members' threads all come from 127.0.0.1: the per-client rate limit is not what is tested here."""
    return settings.model_copy(update={"rate_limit_per_minute": 0})


@pytest.fixture
def server(settings, fake_embedder) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    app = create_app(settings, lambda: build_assistant(settings, embedder=fake_embedder))
    with LiveServer(app) as live:
        yield live.wait_ready()


def test_cli_publish_and_rollback_from_another_process_are_served_within_2s(server: LiveServer, settings) -> None:  # type: ignore[no-untyped-def]
    assert ask(server.port, FAST_TIKTOK)["guidance_version"] == "1"
    published = served_after_commit(settings, server.port, FAST_TIKTOK, "2", "guidance", "publish", str(V2), "--by", "Jo")
    assert ask(server.port, FAST_TIKTOK)["results"][0]["section_id"] == "short-form-video"
    rolled_back = served_after_commit(settings, server.port, FAST_TIKTOK, "1", "guidance", "rollback", "1", "--by", "Jo")
    assert all(r["section_id"] != "short-form-video" for r in ask(server.port, FAST_TIKTOK)["results"])
    print(f"\nfake model: publish served {published:.2f} s after commit; rollback {rolled_back:.2f} s")


def test_answers_during_publishes_and_rollbacks_are_never_mixed(server: LiveServer, settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    store = GuidanceStore.open(settings.data_dir)
    documents: dict[str, object] = {}
    stop = threading.Event()
    problems: list[str] = []
    seen: list[str] = []

    def passages_of(version: str) -> tuple[set[str], set[str]]:
        if version not in documents:
            doc = store.document(int(version))
            documents[version] = ({p.text for p in doc.passages}, {s.id for s in doc.sections})
        return documents[version]  # type: ignore[return-value]

    def member(n: int) -> None:
        questions = [FAST_TIKTOK, COPYRIGHT, "Can I share my password with my assistant?"]
        i = n
        while not stop.is_set():
            i += 1
            try:
                if i % 4 == 0:
                    response = request(server.port, "POST", "/api/check", {"text": DRAFT})
                    items = [(f["passage"], f["section_id"]) for f in response.json()["flags"]] if response.status == 200 else []
                else:
                    response = request(server.port, "POST", "/api/ask", {"q": questions[i % 3]})
                    items = [(r["passage"], r["section_id"]) for r in response.json()["results"]] if response.status == 200 else []
                if response.status != 200:
                    problems.append(f"status {response.status}: {response.body[:200]!r}")
                    continue
                version = response.json()["guidance_version"]
                seen.append(version)
                texts, sections = passages_of(version)
                for passage, section in items:
                    if passage not in texts or section not in sections:
                        problems.append(f"version {version} answer quotes {section}: {passage[:60]!r}, which is not in version {version}")
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                problems.append(f"{type(exc).__name__}: {exc}")

    assert request(server.port, "POST", "/api/check", {"text": DRAFT}).status == 200  # first check warms the checker up
    threads = [threading.Thread(target=member, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        data = V2.read_bytes()
        plan = ["publish", "rollback 1", "rollback 2", "rollback 1", "publish", "rollback 2"]
        for step in plan:
            time.sleep(0.3)
            if step == "publish":
                info = store.publish(ingest(data, V2.name), "Jo", "", fake_embedder, data)
                target = str(info.number)
            else:
                target = step.split()[1]
                store.rollback(int(target), "Jo")
            # Each step must be served before the next, or the test mixes fewer versions than it claims; how
            # soon is the other tests' measure (2 s), so a loaded CI machine gets slack here (it took > 2 s once).
            wait_for(server.port, COPYRIGHT, target, timeout=10.0)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert problems == []
    assert {"1", "2", "3"} <= set(seen) and len(seen) > 50
    final = ask(server.port, COPYRIGHT)
    assert final["guidance_version"] == "2" and "Music, film clips" in final["results"][0]["passage"]


@pytest.mark.slow
def test_real_model_answers_from_a_new_section_within_2s_and_not_after_rollback(tmp_path: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", rate_limit_per_minute=0)
    app = create_app(settings, lambda: build_assistant(settings, embedder=real_embedder))
    with LiveServer(app) as live:
        live.wait_ready()
        before = ask(live.port, TIKTOK)
        assert before["guidance_version"] == "1" and all(r["section_id"] != "short-form-video" for r in before["results"])
        # published from another process that loads the real model and builds the index itself
        published = served_after_commit(settings, live.port, TIKTOK, "2", "guidance", "publish", str(V2), "--by", "Jo", embedder=None)
        after = ask(live.port, TIKTOK)
        assert after["answered"] and after["results"][0]["section_id"] == "short-form-video"
        rolled_back = served_after_commit(settings, live.port, TIKTOK, "1", "guidance", "rollback", "1", "--by", "Jo", embedder=None)
        assert all(r["section_id"] != "short-form-video" for r in ask(live.port, TIKTOK)["results"])
        print(f"\nreal model: answered from the new section {published:.2f} s after the publish committed; from version 1 again {rolled_back:.2f} s after the rollback")
