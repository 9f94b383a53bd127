"""Configuration from the environment (VIGIE_ prefix); nothing set means the embedded stack.

`Settings` gathers one model per concern (`settings.bus`, `settings.redis`, ...). Its
constructor and `changed` take the settings' public names, those of the environment
without `VIGIE_` (`Settings(redis_url=...)`), over what the environment sets.
"""

import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.config.concerns import (
    AnswerSettings,
    BusSettings,
    Concern,
    DeliverySettings,
    LeaderSettings,
    OperationsSettings,
    ProviderSettings,
    RedisSettings,
    ReservistSettings,
    TrustSettings,
    WatchSettings,
)

__all__ = ["ConfigurationError", "Settings"]


class ConfigurationError(RuntimeError):
    """A setting a service cannot run with; the message names it."""


class Settings(BaseModel):
    bus: BusSettings = Field(default_factory=BusSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    providers: ProviderSettings = Field(default_factory=ProviderSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    answers: AnswerSettings = Field(default_factory=AnswerSettings)
    leaders: LeaderSettings = Field(default_factory=LeaderSettings)
    reservists: ReservistSettings = Field(default_factory=ReservistSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    operations: OperationsSettings = Field(default_factory=OperationsSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)

    def __init__(self, _secrets_dir: Path | None = None, **public: Any) -> None:
        """The environment's settings (and secret files, and `.env`), with `public` over them."""
        found = _environment(_secrets_dir).model_dump(exclude_unset=True)
        super().__init__(**_by_concern({**found, **public}))

    def changed(self, **public: Any) -> "Settings":
        """These settings with some changed, by their public names (the environment is not
        read again)."""
        update = {}
        for concern, values in _by_concern(public).items():
            part = getattr(self, concern)
            update[concern] = type(part).model_validate(
                {**part.model_dump(exclude_unset=True), **values}
            )
        return self.model_copy(update=update)

    @staticmethod
    def public_names() -> set[str]:
        return {name for name, _, _ in _public_names()}

    def public(self, exclude_unset: bool = False) -> dict[str, Any]:
        """Every setting by its public name (those set, with `exclude_unset`)."""
        values = {}
        for name, concern, field in _public_names():
            part = getattr(self, concern)
            if not exclude_unset or field in part.model_fields_set:
                values[name] = getattr(part, field)
        return values

    def as_env(self) -> dict[str, str]:
        """These settings as the VIGIE_* environment a `vigie` process reads."""
        env = {}
        for name, value in self.public().items():
            if value is None or name == "home":
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if isinstance(value, list):
                value = [_plain(v) for v in value]
            env[f"VIGIE_{name.upper()}"] = (
                json.dumps(value) if isinstance(value, dict | list) else str(value)
            )
        return env

    @classmethod
    def documented(cls) -> str:
        """Every setting as Markdown, a table per concern: docs/configuration.md's."""
        parts = []
        for concern_name, info in cls.model_fields.items():
            concern: type[Concern] = info.annotation  # type: ignore[assignment]
            rows = [
                f"### {concern_name.capitalize()}\n",
                (concern.__doc__ or "").strip() + "\n",
                "| variable | default | meaning |",
                "| --- | --- | --- |",
            ]
            for field_name, field in concern.model_fields.items():
                name = f"VIGIE_{(concern.env_prefix + field_name).upper()}"
                rows.append(f"| `{name}` | {_shown_default(name, field)} | {field.description} |")
            parts.append("\n".join(rows) + "\n")
        return "\n".join(parts)

    @property
    def is_configured(self) -> bool:
        return self.bus.kafka_bootstrap is not None and self.redis.url is not None


def _plain(value: Any) -> Any:
    """A list item as the environment spells it."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    return value


def _shown_default(name: str, field: FieldInfo) -> str:
    default = field.get_default(call_default_factory=True)
    if name == "VIGIE_HOME":
        return "`~/.vigie`"
    if default in (None, "", {}, []):
        return ""
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{json.dumps(default) if isinstance(default, dict | list) else default}`"


def _public_names() -> Iterator[tuple[str, str, str]]:
    """(public name, concern, field) for every setting."""
    for concern_name, info in Settings.model_fields.items():
        concern: type[Concern] = info.annotation  # type: ignore[assignment]
        for field_name in concern.model_fields:
            yield concern.env_prefix + field_name, concern_name, field_name


def _by_concern(
    public: dict[str, Any], base: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Settings given by public name, put in their concern (over `base`)."""
    where = {name: (concern, field) for name, concern, field in _public_names()}
    nested: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (base or {}).items()}
    for name, value in public.items():
        if name not in where:
            raise TypeError(f"no setting is named {name!r}")
        concern, field = where[name]
        nested.setdefault(concern, {})[field] = value
    return nested


class _EnvironmentBase(BaseSettings):
    # Secrets may also come as files named like the variable (vigie_sms_url, ...) in
    # VIGIE_SECRETS_DIR, as Docker and Kubernetes mount them.
    model_config = SettingsConfigDict(env_prefix="VIGIE_", env_file=".env", extra="ignore")


@functools.cache
def _environment_model() -> type[BaseSettings]:
    """A flat model of every setting by its public name, as pydantic-settings reads one."""
    fields: dict[str, Any] = {}
    for name, concern, field in _public_names():
        info = Settings.model_fields[concern].annotation.model_fields[field]  # type: ignore[union-attr]
        fields[name] = (info.annotation, info)
    return create_model("Environment", __base__=_EnvironmentBase, **fields)


def _environment(secrets_dir: Path | None) -> BaseSettings:
    """The settings the environment (and secret files, and `.env`) sets."""
    found_dir = secrets_dir or os.environ.get("VIGIE_SECRETS_DIR")
    return _environment_model()(_secrets_dir=found_dir)
