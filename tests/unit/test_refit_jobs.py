"""Fits run side by side (`risk_tuning --jobs 2`) must leave exactly what a one-at-a-time refit leaves: every
fit kept as it ends, so the refit then fits nothing again; a failed or killed fit costs only itself; Ctrl-C
stops every fit at once. Worker processes are forked here, so they run the fakes below."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge import refit_jobs, risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.encoder_adapters import ADAPTED, RANK
from knowledge.refit_checkpoints import load_final
from knowledge.refit_jobs import FINAL, fit_missing_parts
from knowledge.risk_model import CATEGORIES, THRESHOLD_FOLDS, labels_matrix

POSTS = [LabelledPost(f"post {i}", frozenset({CATEGORIES[i % len(CATEGORIES)]} if i % 3 else set())) for i in range(40)]
PAIRS = {f"encoder.layer.{i}.{layer}.weight": (np.ones((RANK, 4), np.float32), np.ones((4, RANK), np.float32)) for i in range(2) for layer in ADAPTED}
FINAL_FIT = (PAIRS, np.ones((len(CATEGORIES), 4), np.float32), np.zeros(len(CATEGORIES), np.float32))
FORK = multiprocessing.get_context("fork")
ALL = [FINAL, *range(THRESHOLD_FOLDS)]


def _fakes(monkeypatch: pytest.MonkeyPatch, log: Path, fail: dict[int, str] | None = None) -> None:
    """Stand-ins for the torch fits: a fold's 'model' predicts from the text and its seed. Each fit started
    is logged to `log` (workers are other processes); `fail` makes a part raise, die or hang."""

    def begin(part: int) -> None:
        with log.open("a") as out:
            out.write(f"{part}\n")
        how = (fail or {}).get(part)
        if how == "raise":
            raise RuntimeError("out of memory")
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        if how == "hang":
            time.sleep(60)

    def fit(posts: list[LabelledPost], seed: int) -> tuple[Any, ...]:
        begin(seed)
        return (seed,)

    def predict(model: tuple[Any, ...], texts: list[str]) -> np.ndarray:
        return np.array([[int(t.split()[1]) / 1000 + model[0] / 10] * len(CATEGORIES) for t in texts], dtype=np.float32)

    def final(posts: list[LabelledPost]) -> Any:
        begin(FINAL)
        return FINAL_FIT

    monkeypatch.setattr(risk_tuning, "_fit", fit)
    monkeypatch.setattr(risk_tuning, "_predict", predict)
    monkeypatch.setattr(risk_tuning, "fit_final", final)
    monkeypatch.setattr(refit_jobs, "_one_thread", lambda: None)  # no torch import in every fake worker


def _started(log: Path) -> list[int]:
    return sorted(int(line) for line in log.read_text().split()) if log.exists() else []


def _keys() -> tuple[str, str]:
    return risk_tuning.checkpoint_key(POSTS), risk_tuning.final_key(POSTS)


def test_side_by_side_fits_leave_what_a_one_at_a_time_refit_leaves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fakes(monkeypatch, tmp_path / "log")
    assert fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK) == ALL  # the longest first
    assert _started(tmp_path / "log") == ALL
    assert load_final(tmp_path, _keys()[1]) is not None

    _fakes(monkeypatch, tmp_path / "again")
    side_by_side = risk_tuning.out_of_fold_predictions(POSTS, labels_matrix(POSTS), tmp_path)
    assert _started(tmp_path / "again") == [], "the refit fitted again what the workers had kept"
    one_at_a_time = risk_tuning.out_of_fold_predictions(POSTS, labels_matrix(POSTS), tmp_path / "sequential")
    np.testing.assert_array_equal(side_by_side, one_at_a_time)
    assert fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK) == []


def test_only_the_fits_not_kept_are_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fakes(monkeypatch, tmp_path / "log")
    fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK)
    next(tmp_path.glob("fold-3-of-*.npz")).unlink()
    _fakes(monkeypatch, tmp_path / "again")
    assert fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK) == [2]
    assert _started(tmp_path / "again") == [2]


@pytest.mark.parametrize(("how", "status"), [("raise", "exit status 1"), ("killed", f"exit status -{signal.SIGKILL}")])
def test_a_failed_or_killed_fit_costs_only_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str, status: str) -> None:
    _fakes(monkeypatch, tmp_path / "log", fail={2: how})
    with pytest.raises(RuntimeError, match=rf"1 of 6 fits failed .*fold 3/5 \({status}\)"):
        fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK)
    _fakes(monkeypatch, tmp_path / "again")
    assert fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK) == [2], "the fits beside it and after it were kept"


def test_ctrl_c_stops_the_fits_in_flight_and_starts_no_more(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fakes(monkeypatch, tmp_path / "log", fail={FINAL: "hang", 0: "hang"})
    real_wait = refit_jobs.wait

    pressed: list[float] = []

    def interrupted(sentinels: list[Any]) -> Any:
        for _ in range(300):  # Ctrl-C once both fits are under way
            if len(_started(tmp_path / "log")) == 2:
                break
            real_wait(sentinels, timeout=0.1)
        pressed.append(time.monotonic())
        raise KeyboardInterrupt

    monkeypatch.setattr(refit_jobs, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK)
    assert time.monotonic() - pressed[0] < 30, "it waited for the hung fits"
    assert _started(tmp_path / "log") == [FINAL, 0] and not list(tmp_path.glob("*.npz"))
    assert multiprocessing.active_children() == []
    assert "stopped: final fit, fold 1/5 in flight lost" in capsys.readouterr().out


def test_a_fit_is_never_kept_under_the_key_of_code_it_did_not_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fakes(monkeypatch, tmp_path / "log")
    began_with = ("key-of-the-code-before-an-edit", _keys()[1])
    with pytest.raises(RuntimeError, match="6 of 6 fits failed"):
        fit_missing_parts(POSTS, 2, began_with, tmp_path, FORK)
    assert _started(tmp_path / "log") == [] and not list(tmp_path.glob("*.npz"))


def test_jobs_below_one_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--jobs", "0"], ["--jobs", "0", "--thresholds-only"]):
        monkeypatch.setattr("sys.argv", ["risk_tuning", *argv])
        with pytest.raises(SystemExit) as stopped:
            risk_tuning.main()
        assert stopped.value.code == 2 and "--jobs must be 1 or more, not 0" in capsys.readouterr().err


def test_a_worker_that_exits_cleanly_without_its_file_is_a_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fakes(monkeypatch, tmp_path / "log")
    monkeypatch.setattr(refit_jobs, "save_fold", lambda *args: None)  # a fit that 'ends' and keeps nothing
    with pytest.raises(RuntimeError, match=r"5 of 6 fits failed .*fold 1/5 \(exit status 0, its file does not read back\)"):
        fit_missing_parts(POSTS, 2, _keys(), tmp_path, FORK)


def test_no_jobs_is_refused_rather_than_waiting_forever(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="jobs must be 1 or more, not 0"):
        fit_missing_parts(POSTS, 0, _keys(), tmp_path, FORK)
