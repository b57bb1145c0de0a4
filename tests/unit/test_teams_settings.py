"""MICROSOFT_APP_* settings and what the mount does with them."""

from __future__ import annotations

import pytest

from adapters.teams.mount import UNAUTHENTICATED_WARNING, build_mount
from adapters.teams.settings import load_teams_settings


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ID", "PASSWORD", "TENANT_ID", "TYPE"):
        monkeypatch.delenv(f"MICROSOFT_APP_{name}", raising=False)


def test_no_app_id_mounts_unauthenticated_on_loopback_with_a_loud_warning(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    _clear(monkeypatch)
    mount, note = build_mount(settings)
    assert mount is not None and note == UNAUTHENTICATED_WARNING and "UNAUTHENTICATED" in note


def test_single_tenant_needs_a_tenant_and_the_message_names_it(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("MICROSOFT_APP_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "singletenant")
    with pytest.raises(ValueError, match="MICROSOFT_APP_TENANT_ID"):
        load_teams_settings()
    mount, note = build_mount(settings)
    assert mount is None and "MICROSOFT_APP_TENANT_ID" in note
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "tenant-1")
    teams = load_teams_settings()
    assert teams.type == "SingleTenant" and teams.authenticated
    config = teams.sdk_configuration()
    assert (config.APP_ID, config.APP_PASSWORD, config.APP_TENANTID, config.APP_TYPE) == (teams.id, "secret", "tenant-1", "SingleTenant")
    assert "secret" not in repr(teams)


def test_unknown_app_type_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "Everyone")
    with pytest.raises(ValueError, match="MICROSOFT_APP_TYPE"):
        load_teams_settings()
