"""Identifiers shared by the handlers, the Block Kit we send and deploy/slack/manifest.yaml.

A unit test checks the manifest against these, so a renamed callback id cannot silently break the app.
"""

from __future__ import annotations

COMMAND = "/guidance"
MESSAGE_SHORTCUT = "check_this_post"  # message shortcut "Check this post"
GLOBAL_SHORTCUT = "check_a_draft"  # global shortcut "Check a draft"
DRAFT_MODAL = "check_draft_modal"  # the modal's callback_id
DRAFT_BLOCK = "draft"
DRAFT_INPUT = "draft_text"

ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"
ACTION_SHOW_SECTION = "show_section"
ACTION_AS_DRAFT = "switch_to_draft"
ACTION_AS_QUESTION = "switch_to_question"
ACTION_PUBLISH = "guidance_publish"  # officer preview buttons; their value is the preview id
ACTION_CANCEL = "guidance_cancel"

EVENTS = ("app_mention", "message.im", "app_home_opened")  # bot events in the manifest
BOT_SCOPES = ("app_mentions:read", "chat:write", "commands", "files:read", "im:history", "im:write")  # files:read: officers' guidance files
