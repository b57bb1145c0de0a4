"""The Teams bot: personal chat, @mentions in channels and group chats, the welcome card, the
"Check this post" message action, and the card buttons (feedback, whole section, question/draft switch).

Each handler translates the Activity at the edge (translate.py), runs the sync core off the event loop
through AssistantHost, and renders the neutral Reply as an Adaptive Card (cards.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, Attachment, ChannelAccount, ConversationAccount, ConversationParameters
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleTaskInfo,
)

from adapters.teams import cards
from adapters.teams.officer import OfficerChat
from adapters.teams.translate import (
    PLATFORM,
    CardAction,
    card_action,
    extension_text,
    mentions_bot,
    scope,
    sent_file,
    strip_bot_mention,
    to_incoming,
    user_key,
)
from bot.assistant import Assistant
from bot.contracts import AskResult, IncomingMessage, Reply
from bot.host import AssistantHost, Busy, NotReady
from bot.normalise import normalise_chat
from bot.officer import OfficerDesk
from bot.officer_results import OfficerResult

log = logging.getLogger(__name__)

CHECK_POST_COMMAND = "checkPost"
EXTENSION_TIMEOUT_S = 4.5  # Teams gives an invoke 5 s; answer with a "try again" card rather than time out
PRIVATE_SENT = "I've sent you the draft check in a private chat: checks are never shown in a channel."
PRIVATE_FAILED = "Draft checks are private, so I can't show one here. Send me the draft in a personal chat with me."
NO_UPLOADS = "This server doesn't take guidance files in chat (the guidance is fixed by its configuration)."


class FeedbackSink(Protocol):
    """What members asked and thought (bot.feedback.FeedbackLog); never given draft text. Teams passes ""
    as a vote's question, like Slack: the log keeps question text only for unanswered questions."""

    def record(self, platform: str, user_id: str, helpful: bool, section_id: str, guidance_version: str, question: str) -> None: ...

    def record_ask(self, platform: str, user_id: str, result: AskResult) -> None: ...


def card_activity(card: cards.Card) -> Activity:
    activity = MessageFactory.attachment(Attachment(content_type=cards.CONTENT_TYPE, content=card))
    activity.summary = str(card.get("fallbackText", ""))[:200]
    return activity


class GuidanceTeamsBot(TeamsActivityHandler):
    def __init__(
        self,
        host: AssistantHost,
        feedback: FeedbackSink | None = None,
        extension_timeout: float = EXTENSION_TIMEOUT_S,
        desk: OfficerDesk | None = None,
    ) -> None:
        self.host = host
        self.feedback = feedback
        self.extension_timeout = extension_timeout
        self.officer = OfficerChat(desk) if desk is not None else None

    async def _run(self, work: Callable[[Assistant], Reply]) -> Reply:
        """Core work off the loop; a loading or overloaded server becomes a readable reply, not an error."""
        try:
            return await self.host.run(work)
        except NotReady:
            return Reply("error", "I'm still starting up (loading the guidance). Please try again in a minute.")
        except Busy:
            return Reply("error", "I'm busy right now. Please try again in a moment.")

    async def _handle(self, message: IncomingMessage) -> Reply:
        """The core's reply; a question's outcome goes to the feedback log (a draft never does)."""
        reply = await self._run(lambda assistant: assistant.handle(message))
        if reply.kind == "answer" and reply.ask is not None and self.feedback is not None:
            try:  # SQLite write: off the loop; a failing store never breaks the chat
                await asyncio.to_thread(self.feedback.record_ask, PLATFORM, message.user_id, reply.ask)
            except Exception as exc:  # noqa: BLE001
                log.error("recording a Teams question failed", extra={"error": type(exc).__name__})
        return reply

    # --- messages -------------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.value is not None and not (activity.text or "").strip():
            action = card_action(activity.value)
            if action is None:
                await turn_context.send_activity("That button is from an older version of this app; please ask again.")
                return
            await self._on_card_action(turn_context, action)
            return
        if scope(activity) == "personal" and await self._officer_message(turn_context):
            return
        if scope(activity) != "personal" and not mentions_bot(activity):
            return  # channel and group chat: only messages addressed to the bot
        reply = await self._handle(to_incoming(activity))
        await self._send_reply(turn_context, reply)

    # --- officers (personal chat) ---------------------------------------------------------------
    async def _officer_message(self, turn_context: TurnContext) -> bool:
        """A guidance file or an officer command; False when the message is for the assistant."""
        activity = turn_context.activity
        file = sent_file(activity)
        if self.officer is None:
            if file is None:
                return False
            await turn_context.send_activity(NO_UPLOADS)
            return True
        result: OfficerResult | None
        if file is not None:
            result = await self.officer.upload(activity, file)
        else:
            result = await self.officer.command(activity, normalise_chat(strip_bot_mention(activity)))
        if result is None:
            return False
        await self._send_officer_result(turn_context, result)
        return True

    async def _officer_button(self, turn_context: TurnContext, action: CardAction) -> OfficerResult:
        if self.officer is None:
            return OfficerResult(False, "error", NO_UPLOADS)
        result = await self.officer.button(turn_context.activity, action)
        note = await self.officer.announce(turn_context, result)
        return replace(result, text=f"{result.text}\n{note}") if note else result

    async def _send_officer_result(self, turn_context: TurnContext, result: OfficerResult) -> None:
        await turn_context.send_activity(card_activity(cards.officer_card(result)))
        note = await self.officer.announce(turn_context, result) if self.officer is not None else None
        if note:
            await turn_context.send_activity(note)

    async def _send_reply(self, turn_context: TurnContext, reply: Reply) -> None:
        personal = scope(turn_context.activity) == "personal"
        activity = card_activity(cards.reply_card(reply, personal=personal))
        if reply.private and not personal:
            sent = await self._send_privately(turn_context, activity)
            await turn_context.send_activity(PRIVATE_SENT if sent else PRIVATE_FAILED)
            return
        await turn_context.send_activity(activity)  # in a channel this replies in the message's thread

    async def _send_privately(self, turn_context: TurnContext, activity: Activity) -> bool:
        """Open (or reuse) the 1:1 chat with the sender and post there; False when the platform can't."""
        connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        incoming = turn_context.activity
        if connector is None or incoming.from_property is None:
            return False
        tenant = getattr(incoming.conversation, "tenant_id", None) or ((incoming.channel_data or {}).get("tenant") or {}).get("id")
        params = ConversationParameters(
            is_group=False,
            bot=incoming.recipient,
            members=[ChannelAccount(id=incoming.from_property.id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        try:
            created = await connector.conversations.create_conversation(params)
            activity.from_property = incoming.recipient
            activity.recipient = incoming.from_property
            activity.conversation = ConversationAccount(id=created.id, tenant_id=tenant)
            activity.channel_id = incoming.channel_id
            activity.service_url = incoming.service_url
            await connector.conversations.send_to_conversation(created.id, activity)
        except Exception as exc:  # noqa: BLE001 - any platform failure falls back to the public note
            log.warning("teams private reply failed", extra={"error": type(exc).__name__})
            return False
        return True

    # --- card buttons ---------------------------------------------------------------------------
    async def _on_card_action(self, turn_context: TurnContext, action: CardAction) -> None:
        if action.kind == "feedback":
            await turn_context.send_activity(await self._record_feedback(turn_context, action))
        elif action.kind == "officer":
            await turn_context.send_activity(card_activity(cards.officer_card(await self._officer_button(turn_context, action))))
        elif action.kind == "section":
            reply = await self._run(lambda assistant: assistant.whole_section(action.section_id))
            await self._send_reply(turn_context, reply)
        else:
            reply = await self._handle(to_incoming(turn_context.activity, force=action.force, text=action.text))
            await self._send_reply(turn_context, reply)

    async def _record_feedback(self, turn_context: TurnContext, action: CardAction) -> str:
        if self.feedback is None:
            return "Thanks. (Feedback is not being recorded on this server.)"
        sink = self.feedback
        try:  # the store may write a file: off the loop; a failing store never breaks the chat
            await asyncio.to_thread(sink.record, PLATFORM, user_key(turn_context.activity), action.helpful, action.section_id, action.version, "")
        except Exception as exc:  # noqa: BLE001
            log.error("recording Teams feedback failed", extra={"error": type(exc).__name__})
            return "Sorry, I couldn't record that feedback just now."
        return "Thanks, your feedback has been recorded." if action.helpful else "Thanks. Your feedback has been recorded; for anything urgent ask your monitoring officer or democratic services."

    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value: Any) -> Any:
        """Action.Execute (Universal Actions): the same buttons, answered by replacing the card."""
        from botbuilder.schema import AdaptiveCardInvokeResponse

        action = card_action(turn_context.activity.value)
        if action is None:
            card = cards.message_card("That button is from an older version of this app; please ask again.", warning=True)
        elif action.kind == "feedback":
            card = cards.message_card(await self._record_feedback(turn_context, action))
        elif action.kind == "officer":
            card = cards.officer_card(await self._officer_button(turn_context, action))
        elif action.kind == "section":
            card = cards.reply_card(await self._run(lambda a: a.whole_section(action.section_id)), personal=False)
        else:
            reply = await self._handle(to_incoming(turn_context.activity, force=action.force, text=action.text))
            if reply.private and scope(turn_context.activity) != "personal":
                reply = Reply("error", PRIVATE_FAILED)
            card = cards.reply_card(reply, personal=scope(turn_context.activity) == "personal")
        return AdaptiveCardInvokeResponse(status_code=200, type=cards.CONTENT_TYPE, value=card)

    # --- welcome --------------------------------------------------------------------------------
    async def _welcome_if_installed(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added or []):
            await turn_context.send_activity(card_activity(cards.welcome_card()))

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        if turn_context.activity.channel_data is None:  # the SDK's Teams dispatch assumes channelData is present
            turn_context.activity.channel_data = {}
        await super().on_conversation_update_activity(turn_context)

    async def on_teams_members_added_dispatch(self, members_added: list[ChannelAccount], team_info: Any, turn_context: TurnContext) -> None:
        # The SDK's version looks every member up on the connector; a welcome needs only the bot's own id.
        await self._welcome_if_installed(members_added, turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        await self._welcome_if_installed(members_added, turn_context)  # the Emulator and other channels

    # --- "Check this post" message action ------------------------------------------------------
    async def on_teams_messaging_extension_fetch_task(self, turn_context: TurnContext, action: MessagingExtensionAction) -> MessagingExtensionActionResponse:
        return await self._check_post(turn_context, action)

    async def on_teams_messaging_extension_submit_action(self, turn_context: TurnContext, action: MessagingExtensionAction) -> MessagingExtensionActionResponse:
        pressed = card_action(action.data)
        if pressed is not None:  # a button on the check's dialog card: Teams sends it as submitAction
            return await self._dialog_button(turn_context, pressed)
        return await self._check_post(turn_context, action)

    async def _dialog_button(self, turn_context: TurnContext, pressed: CardAction) -> MessagingExtensionActionResponse:
        if pressed.kind == "feedback":
            return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=await self._record_feedback(turn_context, pressed)))
        if pressed.kind == "officer":  # officer buttons are never on a dialog: treat as stale
            return self._dialog(cards.message_card("That button is from an older version of this app; please ask again.", warning=True))
        if pressed.kind == "section":
            reply = await self._run(lambda a: a.whole_section(pressed.section_id))
        else:
            reply = await self._handle(to_incoming(turn_context.activity, force=pressed.force, text=pressed.text))
        return self._dialog(cards.reply_card(reply, personal=False))

    @staticmethod
    def _dialog(card: cards.Card) -> MessagingExtensionActionResponse:
        info = TaskModuleTaskInfo(title="Check this post", card=Attachment(content_type=cards.CONTENT_TYPE, content=card), height="large", width="large")
        return MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=info))

    async def _check_post(self, turn_context: TurnContext, action: MessagingExtensionAction) -> MessagingExtensionActionResponse:
        """The check as a dialog card: a dialog is seen only by the person who used the action."""
        if action.command_id != CHECK_POST_COMMAND:
            card = cards.message_card(f"Unknown command {action.command_id!r}.", warning=True)
        else:
            text = extension_text(turn_context.activity.value)
            if not text:
                card = cards.message_card("That message has no text to check.", warning=True)
            else:
                message = to_incoming(turn_context.activity, force="draft", text=text)
                try:
                    reply = await asyncio.wait_for(self._run(lambda a: a.handle(message)), self.extension_timeout)
                except TimeoutError:
                    reply = Reply("error", "The check took too long. Please try again in a moment.")
                card = cards.reply_card(reply, personal=False)
        return self._dialog(card)
