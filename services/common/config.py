"""Configuration from the environment (VIGIE_ prefix); nothing set means the embedded stack."""

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.topics import Topic


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIE_", env_file=".env", extra="ignore")

    kafka_bootstrap: str | None = None
    redis_url: str | None = None
    redis_password: SecretStr | None = None
    topic_prefix: str = ""
    home: Path = Path.home() / ".vigie"
    # apprise URL templates per channel: {to} becomes the batch's addresses (comma-joined),
    # {key} an idempotency key the provider may use to drop a repeated request.
    sms_url: SecretStr | None = None
    email_url: SecretStr | None = None
    push_url: SecretStr | None = None
    rate_limits: dict[str, float] = {}  # messages per second per channel; absent: no limit
    batch_sizes: dict[str, int] = {"sms": 250, "push": 250, "email": 100}
    send_attempts: int = 4
    retry_base_s: float = 0.2
    provider_timeout_s: float = 15.0
    claim_lease_s: float = 30.0  # a send claimed longer ago than this by a dead sender is retried
    session_timeout_ms: int = 10_000
    fetch_max_wait_ms: int = 20
    dedupe_ttl_days: int = 30

    def topic(self, topic: Topic) -> str:
        return self.topic_prefix + topic.name

    def group(self, service: str) -> str:
        return f"{self.topic_prefix}vigie-{service}"

    @property
    def is_configured(self) -> bool:
        return self.kafka_bootstrap is not None and self.redis_url is not None
