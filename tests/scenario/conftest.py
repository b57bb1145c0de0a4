"""Fixtures the scenario tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

SLACK_SECRET = "scenario-signing-secret"


@pytest.fixture(scope="module")
def slack_stack(tmp_path_factory: pytest.TempPathFactory, assistant) -> Iterator[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    """serve with Slack mounted, a fake Slack API and a request signer: one per module (starting takes seconds)."""
    from tests.fakes.slack_api import serve_with_slack

    with serve_with_slack(assistant, tmp_path_factory.mktemp("serve"), SLACK_SECRET) as running:
        yield running


@pytest.fixture
def slack(slack_stack) -> Iterator[tuple[Any, Any, list[tuple]]]:  # type: ignore[no-untyped-def]
    """The module's fake Slack API, signer and recorded votes, emptied before each test."""
    _, fake, sender, votes = slack_stack
    fake.reset()
    votes.clear()
    yield fake, sender, votes
