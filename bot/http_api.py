"""HTTP handlers of `serve`: the JSON API, health, metrics, the web chat page and its login form.

The API speaks exactly the CLI's JSON (`ask --json`, `check --json`). Bad bodies get 400 with a JSON
error naming the problem; bodies over 64 KiB get 413; a full queue 503; not yet loaded 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
from importlib import resources
from typing import Any

from aiohttp import web

from bot.assistant import InputError
from bot.host import AssistantHost, Busy, NotReady
from bot.metrics import Metrics
from bot.web_security import SESSION_COOKIE, session_value, token_matches

MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger(__name__)

HOST_KEY = web.AppKey("host", AssistantHost)
METRICS_KEY = web.AppKey("metrics", Metrics)
TOKEN_KEY = web.AppKey("web_token", str)
# What the access log records as the request's outcome (aiohttp < 3.13 has no RequestKey: a plain key then).
OUTCOME_KEY: Any = web.RequestKey("outcome", str) if hasattr(web, "RequestKey") else "outcome"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_field(request: web.Request, field: str) -> str:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=request.content_length)
    raw = await request.read()  # aiohttp enforces client_max_size while reading
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("the body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"the body is not valid JSON ({exc.msg})") from None
    if not isinstance(body, dict) or field not in body:
        raise InputError(f'send a JSON object with a "{field}" string')
    value = body[field]
    if not isinstance(value, str):
        raise InputError(f'"{field}" must be a string')
    return value


async def _run(request: web.Request, field: str, work: Any) -> web.Response:
    host = request.app[HOST_KEY]
    try:
        text = await _json_field(request, field)
        result = await host.run(lambda assistant: work(assistant, text))
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")
    except InputError as exc:
        return _error(400, str(exc))
    except NotReady as exc:
        return _error(503, f"not ready: {exc}")
    except Busy as exc:
        return _error(503, str(exc))
    except Exception as exc:  # logged by type only: an exception's message may quote the text
        log.error("request failed", extra={"error_type": type(exc).__name__})
        request[OUTCOME_KEY] = "failed"
        return _error(500, "the assistant could not answer; the error has been logged")
    request[OUTCOME_KEY] = result.pop("_outcome", "ok")
    return web.json_response(result)


async def api_ask(request: web.Request) -> web.Response:
    metrics = request.app[METRICS_KEY]
    asked: list[Any] = []

    def work(assistant: Any, text: str) -> dict[str, Any]:
        result = assistant.ask(text)
        asked.append(result)
        metrics.questions.labels("answered" if result.answered else "abstained").inc()
        return {**result.model_dump(), "_outcome": "answered" if result.answered else "abstained"}

    response = await _run(request, "q", work)
    await _record_ask(request.app, asked)
    return response


async def _record_ask(app: web.Application, asked: list[Any]) -> None:
    """What members asked, for the officers' report: the FeedbackLog decides what it keeps (by default
    the redacted text of unanswered questions only). Off the loop; a failing store never fails the answer."""
    from bot.reload import FEEDBACK_KEY

    feedback = app.get(FEEDBACK_KEY)
    if feedback is None or not asked:
        return
    try:
        await asyncio.to_thread(feedback.record_ask, "web", "", asked[0])
    except Exception as exc:
        log.error("recording a web question failed", extra={"error_type": type(exc).__name__})


async def api_check(request: web.Request) -> web.Response:
    metrics = request.app[METRICS_KEY]

    def work(assistant: Any, text: str) -> dict[str, Any]:
        result = assistant.check(text)
        metrics.checks.inc()
        for flag in result.flags:
            metrics.flags.labels(flag.category).inc()
        return {**result.model_dump(), "_outcome": f"{len(result.flags)} flags"}

    return await _run(request, "text", work)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    host = request.app[HOST_KEY]
    assistant = host.assistant
    if assistant is None:
        return web.json_response({"status": "loading" if host.load_error is None else "failed", "error": host.load_error}, status=503)
    return web.json_response({"status": "ready", "guidance_version": assistant.guidance_version})


async def metrics_view(request: web.Request) -> web.Response:
    metrics = request.app[METRICS_KEY]
    metrics.ready.set(1 if request.app[HOST_KEY].ready else 0)
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})


def _asset(name: str) -> bytes:
    return resources.files("bot").joinpath("webchat", name).read_bytes()


async def index(request: web.Request) -> web.Response:
    return web.Response(body=_asset("index.html"), content_type="text/html", charset="utf-8")


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    types = {"app.js": "application/javascript", "app.css": "text/css", "icon.svg": "image/svg+xml"}
    if name not in types:
        raise web.HTTPNotFound()
    return web.Response(body=_asset(name), content_type=types[name], charset=None if name.endswith(".svg") else "utf-8", headers={"Cache-Control": "no-cache"})


async def login_form(request: web.Request) -> web.Response:
    return web.Response(body=_asset("login.html"), content_type="text/html", charset="utf-8")


async def login_submit(request: web.Request) -> web.StreamResponse:
    token = request.app.get(TOKEN_KEY)
    form = await request.post()
    supplied = str(form.get("token", ""))
    if not token:
        raise web.HTTPFound("/")
    if not token_matches(supplied, token):
        log.warning("web login refused", extra={"remote": request.remote})
        return web.Response(body=_asset("login.html").replace(b"<!--error-->", b'<p class="error" role="alert">That token is not right.</p>'), content_type="text/html", status=401)
    response = web.HTTPFound("/")
    secure = request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"
    response.set_cookie(SESSION_COOKIE, session_value(token), httponly=True, samesite="Strict", secure=secure, max_age=12 * 3600)
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/api/ask", api_ask)
    app.router.add_post("/api/check", api_check)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
