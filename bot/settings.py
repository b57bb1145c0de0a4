"""Configuration from environment variables, validated once at start with errors naming the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("guidance-bot", appauthor=False))


class Settings(BaseSettings):
    """Every setting the core and `serve` read; each is GUIDANCE_BOT_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="GUIDANCE_BOT_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="Built index and anything written at run time.")
    guidance_file: Path | None = Field(default=None, description="Guidance to answer from instead of the bundled default.")
    log_level: str = Field(default="WARNING", description="Python logging level name.")
    host: str = Field(default="127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(default=3978, ge=1, le=65535, description="Port `serve` listens on.")
    web_token: SecretStr | None = Field(default=None, description="Required for the web chat and API off loopback.")
    encoder: Literal["onnx", "torch", "sentence-transformers"] = Field(default="onnx", description="How all-MiniLM-L6-v2 runs: ONNX Runtime (fastest; graph exported to the data dir on first use), directly on torch, or through sentence-transformers; same vectors.")
    workers: int = Field(default=2, ge=1, le=32, description="Threads that run model work off the event loop.")
    max_queue: int = Field(default=64, ge=1, le=10_000, description="Requests waiting for a worker before 503.")
    rate_limit_per_minute: int = Field(default=120, ge=0, description="Per-client API requests a minute (0: off).")
    rate_limit_burst: int = Field(default=30, ge=1, description="Requests a client may make at once.")
    trust_proxy: bool = Field(default=False, description="Take the client address from X-Forwarded-For.")
    # Officer guidance updates (issue 6). The first two env names have no GUIDANCE_BOT_ prefix.
    officers: str = Field(default="", validation_alias=AliasChoices("GUIDANCE_OFFICERS", "officers"), description="Platform-qualified officer ids, comma-separated: slack:U123,teams:<aad-object-id>.")
    announce_channel: str = Field(default="", validation_alias=AliasChoices("GUIDANCE_ANNOUNCE_CHANNEL", "announce_channel"), description="Channel where a publish is announced (empty: no announcement).")
    store_questions: Literal["unanswered", "all", "off"] = Field(default="unanswered", description="Question text kept (redacted) for the officers' report.")

    @field_validator("officers")
    @classmethod
    def _qualified_ids(cls, value: str) -> str:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        bad = [i for i in ids if ":" not in i or not i.split(":", 1)[0] or not i.split(":", 1)[1]]
        if bad:
            raise ValueError(f"each officer must be platform:user-id (e.g. slack:U123, teams:<aad-object-id>); not {', '.join(bad)}")
        return ",".join(ids)

    @property
    def officer_ids(self) -> frozenset[str]:
        return frozenset(i.split(":", 1)[0].lower() + ":" + i.split(":", 1)[1] for i in self.officers.split(",") if i)

    @property
    def model_cache_dir(self) -> Path:
        """Where the ONNX engine keeps the graph it exports: in the data dir, like everything written at run time."""
        return self.data_dir / "models"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @field_validator("guidance_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value


class SettingsError(RuntimeError):
    """A setting is invalid; the message names the environment variable."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{_env_name(str(err['loc'][0]))}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"Invalid configuration: {problems}") from None


def _env_name(loc: str) -> str:
    return loc.upper() if loc.upper().startswith("GUIDANCE_") else f"GUIDANCE_BOT_{loc.upper()}"
