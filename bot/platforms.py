"""Part of `serve`'s composition root: which chat platforms to mount, decided from their settings.

This is the one module in `bot/` that imports `adapters/`, and only lazily, inside the function:
the core itself never needs a platform SDK. Each adapter offers `build_mount(settings)`, returning a
function that adds its routes to the app (or None when it is not configured) and a line for the
operator saying what was mounted or why not.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.host import AssistantHost
from bot.settings import Settings, SettingsError

Mount = Callable[[web.Application, AssistantHost], None]


def platform_mounts(settings: Settings, slack_socket_mode: bool = False) -> tuple[list[Mount], list[str]]:
    """The mounts to add to the app, and one message per platform for the start-up banner.

    With `slack_socket_mode`, Slack connects out over a WebSocket instead of mounting /slack/events;
    if it cannot (no app-level token), that is an error the operator must see, not a quiet note.
    """
    mounts: list[Mount] = []
    notes: list[str] = []
    # Each adapter adds one block here (see adapters/slack/mount.py, adapters/teams/mount.py).
    if slack_socket_mode:
        from adapters.slack.socket_mode import build_socket_mode_mount

        slack_mount, slack_note = build_socket_mode_mount(settings)
        if slack_mount is None:
            raise SettingsError(slack_note)
    else:
        from adapters.slack.mount import build_mount as build_slack_mount  # lazy: the core never needs slack_bolt

        slack_mount, slack_note = build_slack_mount(settings)
    if slack_mount is not None:
        mounts.append(slack_mount)
    notes.append(slack_note)
    from adapters.teams.mount import build_mount as build_teams_mount  # lazy: the core never needs botbuilder

    teams_mount, teams_note = build_teams_mount(settings)
    if teams_mount is not None:
        mounts.append(teams_mount)
    notes.append(teams_note)
    return mounts, notes
