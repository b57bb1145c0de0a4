"""Slack settings from the environment (SLACK_*), read once at start; secrets stay SecretStr."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_URL = "https://slack.com/api/"


class SlackSettings(BaseSettings):
    """The Slack app's credentials and the Web API base URL (tests point it at a fake on loopback)."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, description="Bot token (xoxb-...). Without it Slack is off.")
    signing_secret: SecretStr | None = Field(default=None, description="Verifies requests to /slack/events.")
    app_token: SecretStr | None = Field(default=None, description="App-level token (xapp-...) for Socket Mode.")
    api_url: str = Field(default=DEFAULT_API_URL, description="Web API base URL in slack_sdk's base_url form.")

    @field_validator("api_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("bot_token", "signing_secret", "app_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def secret(self, name: str) -> str:
        """The plain value of a secret setting, or "" when unset."""
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else ""


def load_slack_settings() -> SlackSettings:
    """Settings from the environment, with an error naming the variable rather than a traceback."""
    try:
        return SlackSettings()
    except ValidationError as exc:
        problems = "; ".join(f"SLACK_{str(err['loc'][0]).upper()}: {err['msg']}" for err in exc.errors())
        raise ValueError(f"Invalid Slack configuration: {problems}") from None
