"""deploy/ is checked without Docker (it cannot run here): the Dockerfile's promises, that env.example
documents every setting the code reads, and that the compose file and systemd unit run `serve` safely."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def dockerfile_instructions(path: Path = DEPLOY / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in logical]


def test_dockerfile_uses_slim_python_311_and_a_non_root_user() -> None:
    steps = dockerfile_instructions()
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.11-slim(-\w+)?", steps[0][1])
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in {"root", "0"} and not users[-1].startswith("0:")
    assert [op for op, _ in steps][-1] == "CMD" and "serve" in steps[-1][1]


def test_dockerfile_installs_cpu_torch_first_then_the_package_then_builds_the_index_as_that_user() -> None:
    steps = dockerfile_instructions()
    runs = [(i, args) for i, (op, args) in enumerate(steps) if op == "RUN"]
    torch_at = next(i for i, args in runs if "torch==2.13.0" in args)
    package_at = next(i for i, args in runs if re.search(r"pip install /src\b", args))
    index_at = next(i for i, args in runs if "guidance-bot ask --json" in args)
    user_at = max(i for i, (op, _) in enumerate(steps) if op == "USER")
    assert torch_at < package_at < index_at and user_at < index_at
    assert "--index-url" in steps[torch_at][1] and "whl/cpu" in dict(s for s in steps if s[0] == "ARG")["ARG"]
    env = " ".join(args for op, args in steps if op == "ENV")
    assert "HF_HUB_OFFLINE=1" in env and "GUIDANCE_BOT_DATA_DIR=" in env


def test_dockerfile_healthcheck_asks_readyz() -> None:
    health = [args for op, args in dockerfile_instructions() if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/readyz" in health[0] and "CMD" in health[0]


def _documented_names(path: Path) -> dict[str, str]:
    """NAME -> the comment block just above its (possibly commented-out) assignment."""
    names: dict[str, str] = {}
    comment: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#?\s?([A-Z][A-Z0-9_]+)=.*", line.strip())
        if match:
            names[match.group(1)] = " ".join(comment)
            comment = []  # each setting needs its own comment
        elif line.startswith("#"):
            comment.append(line.lstrip("# "))
        else:
            comment = []
    return names


def _env_names() -> list[str]:
    from adapters.slack.settings import SlackSettings
    from adapters.teams.settings import TeamsSettings
    from bot.settings import Settings

    names = []
    for cls in (Settings, SlackSettings, TeamsSettings):
        prefix = cls.model_config.get("env_prefix", "")
        for field_name, info in cls.model_fields.items():
            alias = info.validation_alias
            choices = getattr(alias, "choices", None)
            names.append(str(choices[0]) if choices else f"{prefix}{field_name}".upper())
    return names


def test_env_example_lists_every_setting_with_a_comment() -> None:
    documented = _documented_names(DEPLOY / "env.example")
    expected = _env_names()
    assert {"GUIDANCE_BOT_WEB_TOKEN", "SLACK_SIGNING_SECRET", "MICROSOFT_APP_TENANT_ID", "GUIDANCE_OFFICERS"} <= set(expected)
    missing = [name for name in expected if name not in documented]
    assert not missing, f"deploy/env.example does not list {missing}"
    uncommented = [name for name in expected if len(documented[name]) < 15]
    assert not uncommented, f"no explanatory comment above {uncommented}"


def test_env_example_active_lines_are_valid_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.settings import load_settings

    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("GUIDANCE_BOT_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.host == "0.0.0.0" and settings.port == 3978

    from bot.serve import check_bind_security
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="GUIDANCE_BOT_WEB_TOKEN"):
        check_bind_security(settings)  # the example is deliberately unusable until a token is set


def test_compose_builds_this_dockerfile_and_publishes_on_loopback_only() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["guidance-bot"]
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert all(str(port).startswith("127.0.0.1:") for port in service["ports"])
    assert service["env_file"] == "guidance-bot.env"
    assert any(volume.endswith(":/var/lib/guidance-bot") for volume in service["volumes"])
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]


def test_systemd_unit_runs_serve_as_an_unprivileged_user() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "guidance-bot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["User"] not in {"root", "0"}
    assert service["ExecStart"].split()[-1] == "serve" and service["ExecStart"].startswith("/opt/guidance-bot/bin/")
    assert service["EnvironmentFile"] == "/etc/guidance-bot/env"
    assert service["StateDirectory"] == "guidance-bot" and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict" and unit["Install"]["WantedBy"] == "multi-user.target"
