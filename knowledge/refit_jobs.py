"""Run a refit's six fits (five folds and the final fit) side by side: `python -m knowledge.risk_tuning --jobs 2`.

Why: on this 2-core machine two one-thread fits at once get through a refit faster than one two-thread fit
after another (on 2026-11-28 a 5-epoch fold and the final fit side by side took 44 and 53 min; one at a
time with two threads, 24-29 min a fold and 34 the final fit). Each fit is kept (knowledge/refit_checkpoints.py)
the moment it ends, so a run stopped part way loses only the fits in flight, and the refit then takes
them back exactly as a resumed refit takes kept fits."""

from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from knowledge import risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.refit_checkpoints import CHECKPOINTS, held_posts, load_final, load_fold, save_final, save_fold
from knowledge.risk_model import THRESHOLD_FOLDS

FINAL = -1  # the part that is the final fit, not a fold


def missing_parts(posts: list[LabelledPost], directory: Path) -> list[int]:
    """The fits no kept file holds yet, longest first: the final fit (on every post), then the folds."""
    key = risk_tuning.checkpoint_key(posts)
    folds = [f for f in range(THRESHOLD_FOLDS) if load_fold(directory, key, f, held_posts(len(posts), f)) is None]
    return ([] if load_final(directory, risk_tuning.final_key(posts)) is not None else [FINAL]) + folds


def describe(part: int) -> str:
    return "final fit" if part == FINAL else f"fold {part + 1}/{THRESHOLD_FOLDS}"


def fit_part(posts: list[LabelledPost], part: int, directory: Path) -> None:
    """One fit, kept under its key; what a worker process runs."""
    if part == FINAL:
        save_final(directory, risk_tuning.final_key(posts), risk_tuning.fit_final(posts))
    else:
        save_fold(directory, risk_tuning.checkpoint_key(posts), part, held_posts(len(posts), part), risk_tuning.fit_fold(posts, part))


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def fit_missing_parts(posts: list[LabelledPost], jobs: int, directory: Path = CHECKPOINTS, executor: Executor | None = None) -> list[int]:
    """Fit every missing part, `jobs` at a time (separate processes unless `executor` is given); the parts fitted.
    A failed part does not stop the others (each is hours of work, kept when it ends); the run then fails
    naming it, and run again fits only what is still missing."""
    risk_tuning.name_unused_kept_fits(directory, risk_tuning.checkpoint_key(posts))
    parts = missing_parts(posts, directory)
    if not parts:
        return []
    print(f"fitting {len(parts)} parts, {min(jobs, len(parts))} at a time", flush=True)
    failed: list[str] = []
    with executor or ProcessPoolExecutor(min(jobs, len(parts)), mp_context=get_context("spawn"), initializer=_one_thread) as pool:
        futures = {pool.submit(fit_part, posts, part, directory): part for part in parts}
        for done in as_completed(futures):
            error = done.exception()
            if error is not None:
                failed.append(f"{describe(futures[done])}: {error}")
            print(f"{describe(futures[done])} {'FAILED' if error else 'done and kept'}", flush=True)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(parts)} fits failed (the rest are kept; run again to fit only these): {'; '.join(failed)}")
    return parts
