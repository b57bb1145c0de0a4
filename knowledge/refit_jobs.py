"""Run a refit's six fits (five folds and the final fit) side by side: `python -m knowledge.risk_tuning --jobs 2`.

Why: on this 2-core machine two one-thread fits at once get through a refit sooner than one two-thread fit
after another (on 2026-11-28 a 5-epoch fold and the final fit side by side took 44 and 53 min; one at a
time with two threads, 24-29 min a fold and 34 the final fit; at 8 epochs two folds side by side took
~70 min each). Each fit runs in a process of its own and
is kept (knowledge/refit_checkpoints.py) the moment it ends, so a fit that fails or is killed, even by
the kernel for memory, costs only itself; Ctrl-C stops the fits in flight (lost) and starts no more. The
refit then takes the kept fits back exactly as a resumed refit does.
"""

from __future__ import annotations

import signal
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from knowledge import risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.refit_checkpoints import CHECKPOINTS, held_posts, load_final, load_fold, save_final, save_fold
from knowledge.risk_model import THRESHOLD_FOLDS

FINAL = -1  # the part that is the final fit, not a fold
Keys = tuple[str, str]  # risk_tuning.checkpoint_key and final_key, computed once when the refit began


def describe(part: int) -> str:
    return "final fit" if part == FINAL else f"fold {part + 1}/{THRESHOLD_FOLDS}"


def missing_parts(posts: list[LabelledPost], directory: Path, keys: Keys) -> list[int]:
    """The fits no kept file holds yet, longest first: the final fit (on every post), then the folds."""
    return [part for part in (FINAL, *range(THRESHOLD_FOLDS)) if not _kept(posts, part, directory, keys)]


def fit_part(posts: list[LabelledPost], part: int, directory: Path, keys: Keys) -> None:
    """One fit, kept under `keys`; what a worker process runs. Refused when this process's code is not the
    code the keys were computed from (the source was edited since the refit began), so no fit is ever kept
    under the key of code it did not run."""
    here = risk_tuning.checkpoint_key(posts), risk_tuning.final_key(posts)
    if here != keys:
        raise RuntimeError("the fitting code or numbers changed since this refit began; start it again")
    if part == FINAL:
        save_final(directory, keys[1], risk_tuning.fit_final(posts))
    else:
        save_fold(directory, keys[0], part, held_posts(len(posts), part), risk_tuning.fit_fold(posts, part))


def _one_thread() -> None:
    """Two workers share two cores."""
    import torch

    torch.set_num_threads(1)


def _worker(posts: list[LabelledPost], part: int, directory: Path, keys: Keys) -> None:
    """A worker's whole life: one thread, and Ctrl-C left to the parent, which stops every worker at once
    instead of each catching it on its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _one_thread()
    fit_part(posts, part, directory, keys)


def _kept(posts: list[LabelledPost], part: int, directory: Path, keys: Keys) -> bool:
    """Whether `part`'s file is there and reads back: a worker's exit status alone is not trusted."""
    if part == FINAL:
        return load_final(directory, keys[1]) is not None
    return load_fold(directory, keys[0], part, held_posts(len(posts), part)) is not None


def fit_missing_parts(posts: list[LabelledPost], jobs: int, keys: Keys, directory: Path = CHECKPOINTS, context: BaseContext | None = None) -> list[int]:
    """Fit every missing part, at most `jobs` at a time, each in a process of its own (spawned unless
    `context` says otherwise); the parts fitted. A failed part does not stop the others (each is an hour
    or more, kept when it ends); the run then fails naming it, and run again fits only what is missing.
    However this ends (Ctrl-C, an error here), no worker outlives it."""
    if jobs < 1:
        raise ValueError(f"jobs must be 1 or more, not {jobs}")
    parts = missing_parts(posts, directory, keys)
    if not parts:
        return []
    print(f"fitting {len(parts)} parts, {min(jobs, len(parts))} at a time, each kept as it ends", flush=True)
    spawn = context or get_context("spawn")
    waiting, failed = list(parts), []
    running: dict[Any, tuple[int, Any]] = {}  # a process's sentinel -> its part and the process
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                part = waiting.pop(0)
                process: Any = spawn.Process(target=_worker, args=(posts, part, directory, keys), name=describe(part), daemon=True)  # type: ignore[attr-defined]
                process.start()
                running[process.sentinel] = (part, process)
            for sentinel in wait(list(running)):
                part, process = running.pop(sentinel)
                process.join()
                kept = process.exitcode == 0 and _kept(posts, part, directory, keys)
                if not kept:
                    failed.append(f"{describe(part)} (exit status {process.exitcode}{'' if process.exitcode else ', its file does not read back'})")
                print(f"{describe(part)} {'done and kept' if kept else 'FAILED'}", flush=True)
    finally:
        lost = [part for part, _ in running.values()]
        for _, process in running.values():
            process.terminate()
        for _, process in running.values():
            process.join()
        if lost:
            print(f"stopped: {', '.join(describe(p) for p in lost)} in flight lost; the fits that ended are kept", flush=True)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(parts)} fits failed (the rest are kept; run again to fit only these): {'; '.join(failed)}")
    return parts
