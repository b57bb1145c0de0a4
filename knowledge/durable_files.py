"""Writes that survive a power cut, and the test hook that kills a publish at a named step.

A publish is only as safe as its fsyncs: file contents first, then the directories that name them.
"""

from __future__ import annotations

import os
from pathlib import Path

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
