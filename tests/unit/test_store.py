"""The versioned guidance store: seeding, publish, rollback, consistency, and what answers are built from."""

from __future__ import annotations

import json

import threading
from pathlib import Path

import pytest

from knowledge.ingest import ingest
from knowledge.store import GuidanceStore, StoreDamaged, StoreError

V2 = Path(__file__).resolve().parents[1] / "data" / "guidance-v2.md"


@pytest.fixture
def store(tmp_path: Path) -> GuidanceStore:
    return GuidanceStore.open(tmp_path / "data")


def publish_v2(store: GuidanceStore, embedder=None):  # type: ignore[no-untyped-def]
    data = V2.read_bytes()
    return store.publish(ingest(data, V2.name), "Jo Officer", "adds short-form video", embedder, data)


def test_fresh_data_dir_starts_with_the_bundled_guidance_as_version_1(store: GuidanceStore) -> None:
    [v1] = store.versions()
    assert (v1.number, v1.current, v1.source_name) == (1, True, "default.md")
    assert store.document(1).version_label == "1"
    assert store.problems() == []
    assert [e.action for e in store.audit_log()] == ["seed"]


def test_publish_makes_a_new_current_version_with_its_index(store: GuidanceStore, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    info = publish_v2(store, fake_embedder)
    assert (info.number, info.current, info.published_by, info.note) == (2, True, "Jo Officer", "adds short-form video")
    assert [v.current for v in store.versions()] == [False, True]
    doc = store.document(2)
    assert doc.version_label == "2" and doc.section("short-form-video") is not None
    assert any(p.suffix == ".faiss" for p in store.index_dir(2).iterdir())
    assert (store.version_dir(2) / "original.md").read_bytes() == V2.read_bytes()
    assert store.audit_log()[-1].action == "publish" and store.audit_log()[-1].version == 2


def test_rollback_flips_current_and_refuses_nonsense(store: GuidanceStore) -> None:
    publish_v2(store)
    assert store.rollback(1, "Jo").number == 1
    assert store.current_number() == 1
    with pytest.raises(StoreError, match="already current"):
        store.rollback(1, "Jo")
    with pytest.raises(StoreError, match="no guidance version 9: versions are 1 to 2"):
        store.rollback(9, "Jo")
    assert store.rollback(2, "Jo").current
    assert store.problems() == []


def test_a_damaged_version_is_reported_and_never_made_current(store: GuidanceStore) -> None:
    publish_v2(store)
    store.rollback(1, "Jo")
    (store.version_dir(2) / "guidance.md").write_text("tampered", encoding="utf-8")
    assert any("version 2" in p and "content hash" in p for p in store.problems())
    with pytest.raises(StoreDamaged):
        store.rollback(2, "Jo")
    assert store.current_number() == 1


def test_leftover_directory_of_a_killed_publish_is_removed_on_open(store: GuidanceStore) -> None:
    (store.versions_dir / "2").mkdir()
    (store.versions_dir / "2" / "guidance.md").write_text("half", encoding="utf-8")
    assert store.problems() == [f"orphan directory {store.versions_dir / '2'}"]
    reopened = GuidanceStore.open(store.root.parent)
    assert reopened.problems() == []
    assert publish_v2(reopened).number == 2


def test_concurrent_first_opens_seed_exactly_one_version(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            GuidanceStore.open(tmp_path / "shared")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [v.number for v in GuidanceStore(tmp_path / "shared").versions()] == [1]


def test_build_assistant_answers_from_the_current_store_version(settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from bot.runtime import build_assistant

    assert build_assistant(settings, embedder=fake_embedder).guidance_version == "1"
    store = GuidanceStore.open(settings.data_dir)
    publish_v2(store, fake_embedder)
    assistant = build_assistant(settings, embedder=fake_embedder)
    assert assistant.guidance_version == "2"
    result = assistant.ask("Can I post TikTok videos and Instagram Reels?")
    assert result.results[0].section_id == "short-form-video"


def test_the_server_loads_the_index_a_publish_built_with_the_example_questions(settings) -> None:  # type: ignore[no-untyped-def]
    """A rebuild at load would put seconds of encoding between a publish and the server answering from it."""
    from bot.runtime import build_assistant
    from knowledge.embedding import REAL_MODEL_NAME, HashingEmbedder

    as_shipped = HashingEmbedder(384)
    as_shipped.name = REAL_MODEL_NAME  # so the store and the runtime both add the packaged example questions
    store = GuidanceStore.open(settings.data_dir)
    publish_v2(store, as_shipped)
    sidecar = next(store.index_dir(2).glob("*.json"))
    assert len(json.loads(sidecar.read_text())["asked_owners"]) > 200
    built_at_publish = {f.name: f.stat().st_mtime_ns for f in store.index_dir(2).iterdir()}
    assert build_assistant(settings, embedder=as_shipped).guidance_version == "2"
    assert {f.name: f.stat().st_mtime_ns for f in store.index_dir(2).iterdir()} == built_at_publish


def test_a_staging_entry_that_vanishes_while_the_store_opens_is_skipped(store: GuidanceStore) -> None:
    """Another process's publish moves its staging directory away between listing and stat; a dangling
    link behaves the same (stat raises FileNotFoundError) without needing the timing."""
    (store.staging_dir / "publish-gone").symlink_to(store.staging_dir / "moved-away")
    reopened = GuidanceStore.open(store.root.parent)
    assert reopened.current_number() == 1 and reopened.problems() == []


def test_a_new_version_reuses_the_draft_checks_tuned_encoder_instead_of_loading_it_again(settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from bot.reload import store_builder
    from bot.runtime import build_assistant
    from knowledge.draft_model import SemanticModel
    from knowledge.embedding import HashingEmbedder
    from knowledge.risk_model import TunedRiskModel

    tuned_encoder = HashingEmbedder(dimension=64)
    head = SemanticModel(np.zeros((8, 64), np.float32), np.zeros(8, np.float32), np.full(8, 0.9, np.float32))
    old = build_assistant(settings, embedder=fake_embedder, tuned=TunedRiskModel(tuned_encoder, head))
    assert old.checker.tuned is not None and old.checker.tuned.embedder is tuned_encoder
    store = GuidanceStore.open(settings.data_dir)
    publish_v2(store, fake_embedder)
    new = store_builder(settings, store)(2, old)
    assert new.guidance_version == "2"
    assert new.checker.tuned is not None and new.checker.tuned.embedder is tuned_encoder
    # without a tuned model the semantic model reads the retrieval vectors, and there is nothing to reuse
    assert build_assistant(settings, embedder=fake_embedder).checker.tuned is None
