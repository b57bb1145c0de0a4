"""Structured logs: JSON lines when not on a terminal (for journald, Docker, a log shipper), plain text
on one. Request logs carry an id, route, status, latency and outcome; never question or draft text."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

REQUEST_LOGGER = "guidance_bot.request"


def configure_logging(level: str, stream=None) -> None:  # type: ignore[no-untyped-def]
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    if stream.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level", "asctime": "time"})
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger(REQUEST_LOGGER).setLevel(min(logging.INFO, logging.getLevelName(level)))
    for noisy in ("aiohttp.access", "sentence_transformers", "transformers", "httpx", "huggingface_hub", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
