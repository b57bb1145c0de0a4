"""Bad input on the command line: a clear message and exit status 2, never a traceback.

These run the real program in a subprocess; input is validated before the model loads, so they are fast.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(args: list[str], stdin: bytes = b"", tmp_path=None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GUIDANCE_BOT_DATA_DIR=str(tmp_path or "/nonexistent-never-written"))
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, env=env, timeout=60)


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["ask", ""], b"", b"empty"),
        (["ask", "   "], b"", b"empty"),
        (["ask", "\U0001f389\U0001f44d"], b"", b"only emoji"),
        (["check", "-"], "\U0001f595 \U0001f595".encode(), b"only emoji"),
        (["ask", "x" * 50_000], b"", b"limit"),
        (["check", "-"], b"   \n", b"empty"),
        (["check", "-"], b"a" * 50_000, b"limit"),
        (["check", "-"], b"caf\xe9 \xff\xfe", b"not valid UTF-8"),
        (["ask"], b"\xff\xfe question", b"not valid UTF-8"),
        (["frobnicate"], b"", b"invalid choice"),
        (["eval", "questions", "/no/such/file.jsonl"], b"", b"not found"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, stdin, needle, tmp_path):
    proc = run(args, stdin, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_bad_setting_is_named(tmp_path):
    env = dict(os.environ, GUIDANCE_BOT_LOG_LEVEL="LOUD", GUIDANCE_BOT_DATA_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "bot", "ask", "hello"], capture_output=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert b"GUIDANCE_BOT_LOG_LEVEL" in proc.stderr


def test_help_lists_the_commands():
    proc = run(["--help"])
    assert proc.returncode == 0
    for command in (b"ask", b"check", b"eval", b"bench"):
        assert command in proc.stdout
