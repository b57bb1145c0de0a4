"""Writes that survive a power cut, and the test hook that kills a publish at a named step.

A publish is only as safe as its fsyncs: file contents first, then the directories that name them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CRASH_ENV = "GUIDANCE_BOT_TEST_CRASH_AT"  # test hook: os._exit at the named publish step
PUBLISH_STEPS = ("validated", "content-written", "index-built", "moved", "inserted", "committed")


def crash_point(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        os._exit(99)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for name in files:
            fsync_path(Path(dirpath) / name)
        fsync_path(Path(dirpath))


def write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def replace_atomically(path: Path, write: Callable[[BinaryIO], None], *, suffix: str = ".tmp", durable: bool = False) -> None:
    """Write `path` through a temporary file beside it and rename it into place, so a reader (or a resumed
    run) never sees half a file; with `durable`, the file and its directory are also fsynced, so the
    rename survives a power cut. A failed write leaves the old file, if any, and no temporary one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_path(path.parent)
