"""Drive GuidanceTeamsBot through botbuilder's TestAdapter, one turn per activity, for the unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from adapters.teams import cards
from adapters.teams.bot import GuidanceTeamsBot
from bot.host import AssistantHost


def conversation_template(who: ChannelAccount, conversation_type: str = "personal") -> Activity:
    """The fields every incoming activity shares: the Teams channel, the user, the bot, the conversation."""
    return Activity(
        channel_id="msteams",
        service_url="https://smba.example.invalid/",
        from_property=who,
        recipient=ChannelAccount(id="28:bot", name="Guide"),
        conversation=ConversationAccount(id=f"conv-{conversation_type}", conversation_type=conversation_type, tenant_id="t1"),
    )


def run_turns(
    assistant: Any, template: Activity, activities: list[Activity], make_bot: Callable[[AssistantHost], GuidanceTeamsBot]
) -> list[list[Activity]]:
    """Send each activity in turn; the bot's outgoing activities for each."""

    async def go() -> list[list[Activity]]:
        host = AssistantHost(lambda: assistant)
        await host.start()
        adapter = TestAdapter(make_bot(host).on_turn, template)
        out = []
        try:
            for activity in activities:
                adapter.activity_buffer.clear()
                await adapter.receive_activity(activity)
                out.append(list(adapter.activity_buffer))
        finally:
            host.close()
        return out

    return asyncio.run(go())


def card_of(activity: Activity) -> dict[str, Any]:
    assert activity.attachments and activity.attachments[0].content_type == cards.CONTENT_TYPE
    return activity.attachments[0].content
