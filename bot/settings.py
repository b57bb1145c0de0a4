"""Configuration from environment variables, validated once at start with errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("guidance-bot", appauthor=False))


class Settings(BaseSettings):
    """Every setting the core reads. Adapters and `serve` add their own in later issues."""

    model_config = SettingsConfigDict(env_prefix="GUIDANCE_BOT_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="Built index and anything written at run time.")
    guidance_file: Path | None = Field(default=None, description="Guidance to answer from instead of the bundled default.")
    log_level: str = Field(default="WARNING", description="Python logging level name.")

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
            f"GUIDANCE_BOT_{str(err['loc'][0]).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"Invalid configuration: {problems}") from None
