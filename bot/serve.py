"""`guidance-bot serve`: the composition root of the running service.

One aiohttp application hosts the web chat, the JSON API, health and metrics (and, once their issues
land, Slack at /slack/events and Teams at /api/messages). Every object is built here and handed to
what needs it; nothing is looked up globally.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.host import AssistantHost
from bot.http_api import HOST_KEY, MAX_BODY_BYTES, METRICS_KEY, OUTCOME_KEY, TOKEN_KEY, add_routes
from bot.logs import REQUEST_LOGGER
from bot.metrics import Metrics
from bot.settings import Settings, SettingsError
from bot.web_security import RateLimiter, auth_middleware, is_loopback, rate_limit_middleware, security_headers_middleware

if TYPE_CHECKING:
    from bot.assistant import Assistant
    from bot.platforms import Mount

request_log = logging.getLogger(REQUEST_LOGGER)
LOADER_KEY = web.AppKey("loader", asyncio.Task)


def _route_label(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def _access_middleware(metrics: Metrics) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-Id"] = request_id
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers["X-Request-Id"] = request_id
            raise
        finally:
            elapsed = time.perf_counter() - start
            route = _route_label(request)
            metrics.requests.labels(route, str(status)).inc()
            metrics.latency.labels(route).observe(elapsed)
            request_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 2),
                    "outcome": request.get(OUTCOME_KEY, "ok" if status < 400 else "error"),
                },
            )

    return middleware


def web_token(settings: Settings) -> str | None:
    """The token the web chat and API require, or None: a token that is set is always required."""
    return settings.web_token.get_secret_value() if settings.web_token and settings.web_token.get_secret_value() else None


def check_bind_security(settings: Settings) -> None:
    """The web chat and API must not be open to anyone who can reach the port.

    Without a token only a loopback bind is allowed, and not behind a reverse proxy (TRUST_PROXY):
    there every remote caller arrives from loopback too.
    """
    if web_token(settings) is not None:
        return
    if not is_loopback(settings.host):
        raise SettingsError(
            f"GUIDANCE_BOT_WEB_TOKEN must be set to serve on {settings.host}: "
            "off loopback the web chat and API require a token."
        )
    if settings.trust_proxy:
        raise SettingsError(
            "GUIDANCE_BOT_WEB_TOKEN must be set when GUIDANCE_BOT_TRUST_PROXY is true: behind a reverse proxy "
            "callers from anywhere arrive on loopback, so the web chat and API require a token."
        )


def create_app(
    settings: Settings, load: Callable[[], Assistant], mounts: Sequence[Mount] = (), request_threads: int | None = None
) -> web.Application:
    """The whole service as one aiohttp app; `load` builds the assistant in the background after start.

    `request_threads` bounds how many requests run core work at once (default: `settings.workers`).
    """
    check_bind_security(settings)
    token = web_token(settings)
    metrics = Metrics()
    host = AssistantHost(load, workers=request_threads or settings.workers, max_queue=settings.max_queue)
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[
            _access_middleware(metrics),
            security_headers_middleware,
            auth_middleware(token),
            rate_limit_middleware(limiter, settings.trust_proxy),
        ],
    )
    app[HOST_KEY] = host
    app[METRICS_KEY] = metrics
    if token:
        app[TOKEN_KEY] = token
    add_routes(app)
    from bot.reload import install as install_guidance_updates  # hot reload + officer desk (issue 6)

    install_guidance_updates(app, host, settings)
    for mount in mounts:
        mount(app, host)

    async def start_loading(app: web.Application) -> None:
        app[LOADER_KEY] = asyncio.get_running_loop().create_task(host.start())

    async def stop(app: web.Application) -> None:
        app[LOADER_KEY].cancel()
        host.close()

    app.on_startup.append(start_loading)
    app.on_cleanup.append(stop)
    return app


def load_for_serving(settings: Settings) -> Assistant:
    """The real model, tuned for many small concurrent requests on a few cores.

    The encoder runs single-threaded in each encoder thread: intra-op threads on a busy 2-core machine
    spin against each other (measured with torch: warm ask p50 350 ms with 2 threads under load, 19 ms
    with 1). Parallelism comes from `settings.workers` encoder threads instead, and concurrent questions
    are encoded together in one call (see bot/batching.py).
    """
    from bot.batching import BatchingEmbedder
    from bot.runtime import build_assistant
    from knowledge.ask_model import load_retrieval_embedder

    # At most two questions per model call. Batching saves little per question here (10.7 ms alone, 8.1 ms
    # each in fours, one thread), but everyone in a batch waits for all of it, and a freed encoder that
    # takes the whole queue leaves the other idle. `python -m benchmarks.load_ask` (8 clients, 30 s) gave
    # p95 98 ms taking one at a time, 79 ms at most two, 83 ms three, 82-86 ms four, 92-101 ms up to 32.
    inner = load_retrieval_embedder(settings.encoder, settings.model_cache_dir, threads=1)
    embedder = BatchingEmbedder(inner, encoders=settings.workers, max_texts=2)
    assistant = build_assistant(settings, embedder=embedder, encoder_threads=1)
    # The swearing classifier (scikit-learn) loads on first use, ~2 s: pay it here, before /readyz says
    # ready, not in the first member's draft check. The text is ours; nothing is logged or counted.
    assistant.check("Warm-up: thank you to everyone who came along tonight.")
    return assistant


def run(settings: Settings, slack_socket_mode: bool = False) -> None:
    """Start serving; the model loads in the background while /healthz already answers."""
    from bot.platforms import platform_mounts

    mounts, notes = platform_mounts(settings, slack_socket_mode)
    # Request threads mostly wait for the encoder threads, so there are more of them: enough that
    # concurrent questions reach the encoder together and batch.
    app = create_app(settings, lambda: load_for_serving(settings), mounts, request_threads=settings.workers * 4)
    for note in notes:
        print(note, flush=True)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"Guidance assistant: open http://{shown}:{settings.port}/ (the model is loading; /readyz says when it is ready)", flush=True)
    web.run_app(app, host=settings.host, port=settings.port, access_log=None, print=None, handle_signals=True)
