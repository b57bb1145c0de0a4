"""Microsoft Teams adapter: the only package that imports the Bot Framework SDK (botbuilder).

The SDK was archived at the end of 2025 (its successor is the Microsoft 365 Agents SDK, same Activity
protocol), so everything SDK-shaped stays in this folder: `translate` turns Activities into the core's
IncomingMessage, `cards` turns the core's Reply into Adaptive Card JSON, `bot` is the TeamsActivityHandler,
`mount` adds POST /api/messages to the aiohttp app and `package` builds the Teams app zip.
"""
