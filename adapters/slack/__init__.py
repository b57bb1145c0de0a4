"""Slack adapter: the only package (with adapters/teams) that imports slack_bolt and slack_sdk.

It translates Slack payloads into the core's IncomingMessage at the edge, runs the core through
AssistantHost, and renders the core's Reply as Block Kit. `mount.build_mount` is what `serve` uses.
"""
