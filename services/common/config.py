"""Configuration from the environment (VIGIE_ prefix); nothing set means the embedded stack."""

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.topics import Topic


class ConfigurationError(RuntimeError):
    """A setting a service cannot run with; the message names it."""


class Settings(BaseSettings):
    # Secrets may also come as files named like the variable (vigie_sms_url, ...) in
    # VIGIE_SECRETS_DIR, as Docker and Kubernetes mount them.
    model_config = SettingsConfigDict(
        env_prefix="VIGIE_",
        env_file=".env",
        extra="ignore",
        secrets_dir=os.environ.get("VIGIE_SECRETS_DIR"),
    )

    kafka_bootstrap: str | None = None
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ca_file: Path | None = None  # else the system's trusted CAs
    # Jobs are JSON that compression shrinks several times over: less for the brokers to
    # store and serve to each channel's consumer group. zstd rather than lz4, which the
    # client runs at its slowest level (docs/benchmarks.md).
    kafka_compression: Literal["none", "gzip", "lz4", "zstd"] = "zstd"
    request_timeout_ms: int = 30_000
    # acks=all with idempotence: a producer's retry after a lost answer is not written
    # twice. The embedded tansu broker refuses idempotent producers: off there.
    kafka_idempotent_producer: bool = True
    redis_url: str | None = None  # rediss://... for TLS
    redis_password: SecretStr | None = None
    redis_ca_file: Path | None = None
    log_format: Literal["text", "json"] = "text"
    ops_listen: str | None = None  # host:port of /metrics and /healthz; unset: none
    graceful_timeout_s: float = 30.0  # on SIGTERM, how long the batch in hand may take
    # Trust: events must be signed by a key of this keyring, sent within the window;
    # Extreme events, and events reaching more people than approval_above_people, wait for a
    # second operator's approval.
    trusted_keys: Path | None = None
    max_clock_skew_s: float = 300.0
    approval_above_people: int = 250_000  # 0: only Extreme events wait
    signing_key: Path | None = None  # `vigie publish` signs with it unless --key is given
    approving_key: Path | None = None  # `vigie approve` likewise
    topic_prefix: str = ""
    home: Path = Path.home() / ".vigie"
    # apprise URL templates per channel: {to} becomes the batch's addresses (comma-joined),
    # {key} an idempotency key the provider may use to drop a repeated request.
    sms_url: SecretStr | None = None
    email_url: SecretStr | None = None
    push_url: SecretStr | None = None
    rate_limits: dict[str, float] = {}  # messages per second per channel; absent: no limit
    job_size: int = Field(1_000, ge=1, le=2_000)  # recipients per fan-out job (AlertJob)
    # Recipients per provider call. Email: a job's 1,000 in one message, the most a batch
    # may name at Mailgun; smaller batches cost more CPU (docs/benchmarks.md, stop 18).
    batch_sizes: dict[str, int] = {"sms": 1_000, "push": 1_000, "email": 1_000}
    send_concurrency: dict[str, int] = {"sms": 4, "push": 4, "email": 4}  # batches in flight
    # Consumers per channel in one dispatcher process, each holding partitions of its own and
    # handling a job at a time: with two, an email dispatcher sends one job's batches while
    # another job is claimed, settled and reported (with one, a core sat partly idle once
    # SMS and push were done: docs/benchmarks.md, stop 18).
    consumers: dict[str, int] = Field(default={"email": 2})
    # Channels this dispatcher process sends: run email apart from SMS and push so that
    # thousands of one-by-one emails do not take CPU time from the short channels.
    dispatch_channels: list[str] = ["sms", "push", "email"]
    send_attempts: int = 4
    retry_base_s: float = 0.2
    provider_timeout_s: float = 15.0
    claim_lease_s: float = 30.0  # a send claimed longer ago than this by a dead sender is retried
    session_timeout_ms: int = 10_000
    # Tansu answers an empty fetch only when this wait is over, even if data came: a hop
    # between idle stages costs up to this, and every idle consumer asks the broker this
    # often (shorter, idle fetches took much of the broker's CPU: docs/benchmarks.md).
    # Apache Kafka answers as soon as data comes.
    fetch_max_wait_ms: int = 250
    dedupe_ttl_days: int = 30
    # Answers: links in messages carry tokens signed with this secret; the response
    # service listens on response_listen and is reached by people at response_base_url.
    response_secret: SecretStr | None = None
    response_listen: str = "127.0.0.1:8470"
    response_base_url: str | None = None
    response_token_ttl_s: int = 14 * 86_400
    view_key: SecretStr | None = None  # opens the read-only crisis page (/crisis/ID?key=)
    inbound_sms_key: SecretStr | None = None  # the SMS gateway's webhook presents it
    ack_delay_s: float = 600.0  # a leader silent this long: escalate to the next deputy
    wave_wait_s: float = 1_800.0  # reservists silent this long: ask the next ones
    wave_extra: int = 1  # ask this many more reservists than still needed
    timer_poll_s: float = 0.5
    crisis_centre_email: str | None = None
    crisis_centre_sms: str | None = None

    @property
    def bootstrap_servers(self) -> list[str]:
        """VIGIE_KAFKA_BOOTSTRAP as a list: host:port pairs, comma-separated."""
        return [part.strip() for part in (self.kafka_bootstrap or "").split(",") if part.strip()]

    def topic(self, topic: Topic) -> str:
        return self.topic_prefix + topic.name

    def group(self, service: str) -> str:
        return f"{self.topic_prefix}vigie-{service}"

    def as_env(self) -> dict[str, str]:
        """These settings as the VIGIE_* environment a `vigie` process reads."""
        env = {}
        for name, value in self.model_dump(exclude={"home"}).items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            env[f"VIGIE_{name.upper()}"] = (
                json.dumps(value) if isinstance(value, dict | list) else str(value)
            )
        return env

    @property
    def answer_base_url(self) -> str:
        return (self.response_base_url or f"http://{self.response_listen}").rstrip("/")

    @property
    def is_configured(self) -> bool:
        return self.kafka_bootstrap is not None and self.redis_url is not None
