"""Teams Activities -> IncomingMessage, mention handling, message-extension text and button data."""

from __future__ import annotations

from botbuilder.schema import Activity

from adapters.teams.translate import card_action, extension_text, mentions_bot, scope, strip_bot_mention, to_incoming


def _activity(text: str, conversation_type: str | None = None, mention: bool = False, aad: str | None = "aad-1") -> Activity:
    body = {
        "type": "message",
        "text": text,
        "from": {"id": "29:user", "name": "Cllr Jones", **({"aadObjectId": aad} if aad else {})},
        "recipient": {"id": "28:bot", "name": "Guide"},
        "conversation": {"id": "19:general@thread.tacv2;messageid=1", **({"conversationType": conversation_type} if conversation_type else {})},
    }
    if mention:
        body["entities"] = [
            {"type": "mention", "text": "<at>Guide</at>", "mentioned": {"id": "28:bot", "name": "Guide"}},
            {"type": "mention", "text": "<at>Sam</at>", "mentioned": {"id": "29:sam", "name": "Sam"}},
        ]
    return Activity().deserialize(body)


def test_personal_message_becomes_a_teams_message_from_the_aad_user() -> None:
    msg = to_incoming(_activity("Can I tweet about a planning application?"))
    assert msg.platform == "teams"
    assert msg.user_id == "teams:aad-1"
    assert msg.in_channel is False
    assert msg.text == "Can I tweet about a planning application?"


def test_user_id_falls_back_to_the_channel_account_id() -> None:
    assert to_incoming(_activity("hi", aad=None)).user_id == "teams:29:user"


def test_channel_mention_is_stripped_and_marks_the_message_as_in_channel() -> None:
    activity = _activity("<at>Guide</at> can <at>Sam</at> and I share a login?", "channel", mention=True)
    assert mentions_bot(activity)
    assert scope(activity) == "channel"
    msg = to_incoming(activity)
    assert msg.text == "can Sam and I share a login?"
    assert msg.in_channel is True
    assert "<at>" not in strip_bot_mention(activity)


def test_group_chat_without_a_mention_of_the_bot_is_not_for_us() -> None:
    activity = _activity("can we share a login?", "groupChat")
    assert scope(activity) == "groupChat"
    assert not mentions_bot(activity)


def test_extension_text_strips_html_from_the_message_payload() -> None:
    value = {"commandId": "checkPost", "messagePayload": {"body": {"contentType": "html", "content": "<p>Vote <b>no</b> on&nbsp;Tuesday!</p><div>Call me</div>"}}}
    assert extension_text(value) == "Vote no on Tuesday!\nCall me"
    assert extension_text({"messagePayload": {}}) == ""
    assert extension_text("nonsense") == ""


def test_card_action_accepts_only_our_buttons() -> None:
    fb = card_action({"guidanceAction": "feedback", "helpful": True, "sectionId": "s/1", "version": "3", "question": "q?"})
    assert fb is not None and fb.helpful and fb.section_id == "s/1" and fb.question == "q?"
    switch = card_action({"action": {"type": "Action.Execute", "data": {"guidanceAction": "switch", "force": "draft", "text": "hello"}}})
    assert switch is not None and switch.force == "draft" and switch.text == "hello"
    assert card_action({"guidanceAction": "switch", "force": "delete", "text": "x"}) is None
    assert card_action({"guidanceAction": "section"}) is None
    assert card_action(["not", "a", "dict"]) is None


def _with_attachments(*attachments: dict) -> Activity:  # type: ignore[type-arg]
    return Activity().deserialize({"type": "message", "attachments": list(attachments)})


def test_sent_file_reads_teams_download_info_and_emulator_content_urls() -> None:
    from adapters.teams.translate import FILE_DOWNLOAD_INFO, FileRef, sent_file

    teams = {"contentType": FILE_DOWNLOAD_INFO, "name": "Guidance 2026", "content": {"downloadUrl": "https://x.sharepoint.com/f?tempauth=1", "fileType": "docx"}}
    assert sent_file(_with_attachments(teams)) == FileRef("Guidance 2026.docx", "https://x.sharepoint.com/f?tempauth=1")
    emulator = {"contentType": "text/markdown", "contentUrl": "http://localhost:5000/v3/attachments/a1/views/original", "name": "guidance.md"}
    assert sent_file(_with_attachments(emulator)) == FileRef("guidance.md", emulator["contentUrl"])
    unnamed = {"contentType": "application/pdf", "contentUrl": "http://localhost:5000/files/new%20guidance.pdf"}
    assert sent_file(_with_attachments(unnamed)) == FileRef("new guidance.pdf", unnamed["contentUrl"])
    # inline images, HTML bodies and cards are not guidance files; a link that is not http(s) is not fetched
    image = {"contentType": "image/png", "contentUrl": "https://x/img.png"}
    html = {"contentType": "text/html", "content": "<p>hi</p>"}
    card = {"contentType": "application/vnd.microsoft.card.adaptive", "content": {}}
    assert sent_file(_with_attachments(image, html, card)) is None
    assert sent_file(_with_attachments({"contentType": "text/plain", "contentUrl": "file:///etc/passwd", "name": "p.txt"})) is None
    no_link = {"contentType": FILE_DOWNLOAD_INFO, "name": "g.md", "content": {"downloadUrl": "ftp://x/g.md"}}
    assert sent_file(_with_attachments(no_link)) == FileRef("g.md", "")
    assert sent_file(_activity("no attachments")) is None


def test_officer_buttons_and_the_announce_setting() -> None:
    from adapters.teams.translate import announce_conversation

    pressed = card_action({"guidanceAction": "officer", "command": "publish", "previewId": "Ab_1-x"})
    assert pressed is not None and (pressed.kind, pressed.command, pressed.preview_id) == ("officer", "publish", "Ab_1-x")
    assert card_action({"guidanceAction": "officer", "command": "delete", "previewId": "Ab"}) is None
    assert card_action({"guidanceAction": "officer", "command": "cancel", "previewId": "../etc"}) is None
    assert announce_conversation("19:news@thread.tacv2") == "19:news@thread.tacv2"
    assert announce_conversation("slack:C123, teams:19:news@thread.tacv2") == "19:news@thread.tacv2"
    assert announce_conversation("slack:C123") == ""
    assert announce_conversation("") == ""
