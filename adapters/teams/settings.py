"""Teams settings from the environment (MICROSOFT_APP_*), read once at start; the password stays secret.

The names are the ones the Azure Bot resource and Microsoft's samples use, so an operator can copy them
from the portal. Without an app id the endpoint runs unauthenticated (Bot Framework Emulator on
loopback only); with one every request's JWT is checked.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AppType = Literal["SingleTenant", "MultiTenant", "UserAssignedMSI"]


class TeamsSettings(BaseSettings):
    """The Azure Bot registration this service answers for."""

    model_config = SettingsConfigDict(env_prefix="MICROSOFT_APP_", extra="ignore")

    id: str = Field(default="", description="The bot's Microsoft App ID (Azure Bot > Configuration).")
    password: SecretStr | None = Field(default=None, description="Client secret of the app registration.")
    tenant_id: str = Field(default="", description="Directory (tenant) id; required for SingleTenant and UserAssignedMSI.")
    type: AppType = Field(default="MultiTenant", description="SingleTenant, MultiTenant or UserAssignedMSI.")

    @field_validator("id", "tenant_id", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("type", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        if isinstance(value, str):
            known = {t.lower(): t for t in ("SingleTenant", "MultiTenant", "UserAssignedMSI")}
            return known.get(value.strip().lower(), value)
        return value

    @model_validator(mode="after")
    def _complete(self) -> TeamsSettings:
        if not self.id:
            return self  # unauthenticated local mode; the mount decides whether that is allowed
        if self.type in ("SingleTenant", "UserAssignedMSI") and not self.tenant_id:
            raise ValueError(f"MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE is {self.type}")
        if self.type != "UserAssignedMSI" and self.password is None:
            raise ValueError(f"MICROSOFT_APP_PASSWORD is required for a {self.type} bot")
        return self

    @property
    def authenticated(self) -> bool:
        return bool(self.id)

    def sdk_configuration(self) -> object:
        """The attribute bag botbuilder's ConfigurationBotFrameworkAuthentication reads (APP_ID, ...)."""
        password = self.password.get_secret_value() if self.password else ""
        return type(
            "TeamsSdkConfiguration",
            (),
            {"APP_ID": self.id, "APP_PASSWORD": password, "APP_TENANTID": self.tenant_id, "APP_TYPE": self.type},
        )()


def load_teams_settings() -> TeamsSettings:
    """Settings from the environment, with an error naming the variable rather than a traceback."""
    try:
        return TeamsSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"MICROSOFT_APP_{str(err['loc'][0]).upper()}: {err['msg']}" if err["loc"] else str(err["msg"]).removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise ValueError(f"Invalid Teams configuration: {problems}") from None
