"""The CLI contract other tools depend on, exercised as a subprocess with the real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return dict(os.environ, GUIDANCE_BOT_DATA_DIR=str(tmp_path_factory.mktemp("cli-data")))


def run(args: list[str], env: dict[str, str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, env=env, timeout=180)


def test_ask_json_contract(env):
    proc = run(["ask", "--json", "can I tweet about this planning app?"], env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"question", "answered", "results", "guidance_version", "message"}
    assert out["answered"] is True
    assert set(out["results"][0]) == {"section_id", "title", "passage", "score"}
    assert "open mind" in out["results"][0]["passage"]
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)
    assert b"Loading weights" not in proc.stderr


def test_check_json_contract_from_stdin(env):
    draft = "Cllr Peter Grant lied to residents and stole from the ward budget."
    proc = run(["check", "--json", "-"], env, draft.encode())
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"flags", "guidance_version"}
    flag = next(f for f in out["flags"] if f["category"] == "defamation")
    assert set(flag) == {"category", "severity", "start", "end", "evidence", "section_id", "passage", "advice", "suggestion"}
    assert draft[flag["start"] : flag["end"]] == flag["evidence"]
    assert "libel" in flag["passage"]


def test_jsonl_batches_keep_order_and_survive_bad_lines(env):
    lines = b"\n".join(
        [
            json.dumps({"q": "Can I share my password?"}).encode(),
            b"{not json",
            json.dumps({"text": "wrong key"}).encode(),
            json.dumps({"q": ""}).encode(),
            b"\xff\xfe",
            json.dumps({"q": "Who won the football last night?"}).encode(),
        ]
    )
    proc = run(["ask", "--jsonl"], env, lines + b"\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 6
    assert out[0]["answered"] is True and "password" in out[0]["results"][0]["passage"]
    assert all("error" in o for o in out[1:5])
    assert out[5]["answered"] is False


def test_check_jsonl(env):
    lines = [{"text": "Thanks to everyone who came to the litter pick!"}, {"text": "the password for the page is Tulip99"}]
    proc = run(["check", "--jsonl"], env, "\n".join(json.dumps(x) for x in lines).encode())
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out[0]["flags"] == []
    assert [f["category"] for f in out[1]["flags"]] == ["password_sharing"]


def test_readable_output_and_control_bytes(env):
    proc = run(["ask", "can I\x07 share a photo from a newspaper?"], env)
    assert proc.returncode == 0, proc.stderr
    assert b"Copyright" in proc.stdout
    proc = run(["check", "What a load of bollocks from the cabinet tonight."], env)
    assert proc.returncode == 0
    assert b"obscene" in proc.stdout


def test_python_m_bot_matches_console_script(env):
    script = os.path.join(os.path.dirname(sys.executable), "guidance-bot")
    a = subprocess.run([script, "ask", "--json", "Should I use one account for everything?"], capture_output=True, env=env, timeout=180)
    b = run(["ask", "--json", "Should I use one account for everything?"], env)
    assert a.returncode == b.returncode == 0
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_eval_commands_print_scores(env, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"q": "Can I share my password?", "gold": ["passwords"]}\n{"q": "How do I book annual leave?", "out": true}\n')
    proc = run(["eval", "questions", str(questions)], env)
    assert proc.returncode == 0, proc.stderr
    assert b"top1" in proc.stdout and b"abstention" in proc.stdout
    drafts = tmp_path / "d.jsonl"
    drafts.write_text('{"text": "the password for the page is Tulip99", "must": ["password_sharing"]}\n')
    proc = run(["eval", "drafts", str(drafts)], env)
    assert proc.returncode == 0, proc.stderr
    assert b"password_sharing" in proc.stdout
    clean = tmp_path / "clean.jsonl"
    clean.write_text('{"text": "Thanks to everyone who came to the litter pick on Saturday!", "must": []}\n')
    pooled = json.loads(run(["eval", "drafts", "--json", str(drafts), str(clean)], env).stdout)
    assert pooled["drafts"] == 2 and pooled["clean_drafts"] == 1, "several sets are scored as one"
    assert pooled["per_category"]["password_sharing"]["tp"] == 1
