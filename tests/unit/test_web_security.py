"""Who may call the web chat and API, and how often: the rules `serve` enforces before any handler runs."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.serve import check_bind_security
from bot.settings import Settings, SettingsError
from bot.web_security import RateLimiter, is_loopback, session_value


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_recognised(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.0.0.5", "192.168.1.20", "example.org"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_off_loopback_without_token_refuses_to_start(tmp_path) -> None:
    with pytest.raises(SettingsError, match="GUIDANCE_BOT_WEB_TOKEN"):
        check_bind_security(Settings(data_dir=tmp_path, host="0.0.0.0"))
    with pytest.raises(SettingsError, match="GUIDANCE_BOT_WEB_TOKEN"):
        check_bind_security(Settings(data_dir=tmp_path, host="0.0.0.0", web_token=SecretStr("")))


def test_behind_a_reverse_proxy_without_token_refuses_to_start(tmp_path) -> None:
    with pytest.raises(SettingsError, match="GUIDANCE_BOT_TRUST_PROXY"):
        check_bind_security(Settings(data_dir=tmp_path, host="127.0.0.1", trust_proxy=True))
    check_bind_security(Settings(data_dir=tmp_path, host="127.0.0.1", trust_proxy=True, web_token=SecretStr("s3cret-token")))


def test_off_loopback_with_token_or_on_loopback_starts(tmp_path) -> None:
    check_bind_security(Settings(data_dir=tmp_path, host="0.0.0.0", web_token=SecretStr("s3cret-token")))
    check_bind_security(Settings(data_dir=tmp_path, host="127.0.0.1"))


def test_rate_limiter_allows_burst_then_refuses_then_refills() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.allow("a", now=100.0)[0] for _ in range(3)] == [True, True, True]
    allowed, wait = limiter.allow("a", now=100.0)
    assert not allowed and 0 < wait <= 1.0
    assert limiter.allow("b", now=100.0)[0], "another client has its own bucket"
    assert limiter.allow("a", now=101.01)[0], "one token a second at 60 a minute"


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(per_minute=60, burst=1, max_clients=100)
    for n in range(1000):
        limiter.allow(f"client-{n}", now=1.0)
    assert len(limiter._buckets) == 100


def test_rate_limit_zero_means_off() -> None:
    limiter = RateLimiter(per_minute=0, burst=1)
    assert all(limiter.allow("a", now=1.0)[0] for _ in range(100))


def test_session_cookie_is_not_the_token() -> None:
    assert "s3cret-token" not in session_value("s3cret-token")
    assert session_value("s3cret-token") != session_value("other-token")
