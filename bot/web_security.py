"""Who may use the web chat and JSON API, how often, and the headers every response carries.

Without a token, only a loopback bind is allowed and anyone on the machine may ask. Bound to any
other address (or behind a proxy, TRUST_PROXY), `serve` refuses to start without
GUIDANCE_BOT_WEB_TOKEN; once a token is set every request must carry it: `Authorization: Bearer
<token>`, or the session cookie the login form sets. Health checks stay open for orchestrators; Slack and
Teams routes verify their own platform signatures instead.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections import OrderedDict

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

SESSION_COOKIE = "guidance_session"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login", "/static/app.css", "/static/icon.svg"})
PLATFORM_PREFIXES = ("/slack/", "/api/messages")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def is_loopback(host: str) -> bool:
    if host in {"localhost", ""}:
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def session_value(token: str) -> str:
    """The cookie holds a keyed hash of the token, never the token itself."""
    return hmac.new(token.encode(), b"guidance-bot-session", hashlib.sha256).hexdigest()


def token_matches(supplied: str, token: str) -> bool:
    """Constant-time comparison, so response timing does not reveal how much of a guess was right."""
    return hmac.compare_digest(supplied.strip().encode(), token.encode())


def token_ok(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and token_matches(header[7:], token):
        return True
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), session_value(token).encode())


def auth_middleware(token: str | None) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if token is None or path in OPEN_PATHS or path.startswith(PLATFORM_PREFIXES) or token_ok(request, token):
            return await handler(request)
        if path.startswith("/api/") or path == "/metrics":
            return web.json_response({"error": "unauthorised: send Authorization: Bearer <token>"}, status=401)
        raise web.HTTPFound("/login")

    return middleware


class RateLimiter:
    """Token bucket per client address: `per_minute` sustained, `burst` at once. Bounded memory."""

    def __init__(self, per_minute: int, burst: int, max_clients: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_clients = max_clients

    def allow(self, client: str, now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be allowed)."""
        if self.rate <= 0:
            return True, 0.0
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return allowed, 0.0 if allowed else (1.0 - tokens) / self.rate


def client_address(request: web.Request, trust_proxy: bool) -> str:
    if trust_proxy and (forwarded := request.headers.get("X-Forwarded-For")):
        return forwarded.split(",")[0].strip()
    return request.remote or "unknown"


def rate_limit_middleware(limiter: RateLimiter, trust_proxy: bool) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and (request.path.startswith("/api/") or request.path == "/login") and not request.path.startswith("/api/messages"):
            allowed, wait = limiter.allow(client_address(request, trust_proxy))
            if not allowed:
                return web.json_response(
                    {"error": "too many requests: slow down and try again"},
                    status=429,
                    headers={"Retry-After": str(max(1, round(wait)))},
                )
        return await handler(request)

    return middleware


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if isinstance(response, web.HTTPException) and response.status >= 300:
        raise response
    return response
