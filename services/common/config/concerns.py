"""Each concern's settings: what one part of Vigie needs to know, typed.

A field's environment variable is `VIGIE_` + the concern's prefix + the field's name, so
`RedisSettings.url` is `VIGIE_REDIS_URL`; operators' names never change with the code's
layout. Each description is the setting's documentation: docs/configuration.md is made
from them (`vigie settings doc`), and a test keeps it current.
"""

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from schemas.crisis import Channel, Severity
from schemas.topics import Topic


class Concern(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Put before each field's name to make its environment variable's (after VIGIE_).
    env_prefix: ClassVar[str] = ""


class BusSettings(Concern):
    """Kafka: where the brokers are, how clients reach them and how they behave."""

    kafka_bootstrap: str | None = Field(
        None, description="Kafka bootstrap servers, `host:port,...`"
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="how clients reach the brokers; production: `SASL_SSL`"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="the SASL mechanism"
    )
    kafka_username: str | None = Field(
        None, description="this service's Kafka user (`vigie-ingest`, ... see `vigie topics grant`)"
    )
    kafka_password: SecretStr | None = Field(None, description="its password")
    kafka_ca_file: Path | None = Field(
        None, description="CA bundle for the brokers' certificates (default: the system's)"
    )
    # Jobs are JSON that compression shrinks several times over: less for the brokers to
    # store and serve to each channel's consumer group. zstd rather than lz4, which the
    # client runs at its slowest level (docs/benchmarks.md).
    kafka_compression: Literal["none", "gzip", "lz4", "zstd"] = Field(
        "zstd", description="how producers compress what they publish"
    )
    kafka_idempotent_producer: bool = Field(
        True,
        description="`acks=all` producers whose retries are never written twice; the embedded "
        "tansu broker refuses them, so its stack sets `false`",
    )
    request_timeout_ms: int = Field(30_000, description="how long a Kafka request may take")
    # aiokafka does not ask for the cluster's layout again when the broker it asks for a
    # partition's first offsets says it no longer leads it: it asks that broker again until
    # its layout is this old (robinhood/aiokafka#9; 5 minutes by default), and the consumer
    # reads nothing meanwhile. Seen after a broker froze past the timeouts.
    kafka_metadata_max_age_ms: int = Field(
        10_000,
        description="how old a Kafka client's view of partition leaders may get; after a "
        "leader change a consumer may wait this long",
    )
    session_timeout_ms: int = Field(
        10_000, description="a consumer silent this long leaves its group (its partitions move)"
    )
    # Tansu answers an empty fetch only when this wait is over, even if data came: a hop
    # between idle stages costs up to this, and every idle consumer asks the broker this
    # often (shorter, idle fetches took much of the broker's CPU: docs/benchmarks.md).
    # Apache Kafka answers as soon as data comes.
    fetch_max_wait_ms: int = Field(
        250, description="how long a consumer's empty fetch may wait at the broker"
    )
    topic_prefix: str = Field("", description="namespace for topics and consumer groups")

    @property
    def bootstrap_servers(self) -> list[str]:
        """VIGIE_KAFKA_BOOTSTRAP as a list: host:port pairs, comma-separated."""
        return [part.strip() for part in (self.kafka_bootstrap or "").split(",") if part.strip()]

    def topic(self, topic: Topic) -> str:
        return self.topic_prefix + topic.name

    def group(self, service: str) -> str:
        return f"{self.topic_prefix}vigie-{service}"


class RedisSettings(Concern):
    """Redis: where the state is and how to sign in to it."""

    env_prefix: ClassVar[str] = "redis_"

    url: str | None = Field(
        None,
        description="`redis://host:6379/0`, `rediss://user@host:6380/0` for TLS; under "
        "Redis Cluster, some of its nodes as seeds, comma-separated",
    )
    mode: Literal["single", "cluster"] = Field(
        "single", description="`cluster`: Redis Cluster, found from the nodes in the URL"
    )
    password: SecretStr | None = Field(
        None, description="Redis password (kept out of the URL and the logs)"
    )
    ca_file: Path | None = Field(None, description="CA bundle for `rediss://`")
    # Replication is asynchronous: a master that dies may take the claims of its last
    # instants with it, and those sends are made again (docs/how-it-works.md).
    claim_replicas: int = Field(
        0,
        ge=0,
        description="replicas a batch's claims must reach (`WAIT`) before its provider call; "
        "0: none waited for (a single Redis has none)",
    )


class OperationsSettings(Concern):
    """Running the processes: logs, health and metrics, stopping, timers."""

    log_format: Literal["text", "json"] = Field(
        "text", description="`json`: one JSON object per line"
    )
    ops_listen: str | None = Field(
        None, description="`host:port` of the process's `/metrics` (Prometheus) and `/healthz`"
    )
    graceful_timeout_s: float = Field(
        30.0, description="on SIGTERM, how long the messages in hand may take to finish"
    )
    timer_poll_s: float = Field(
        0.5, description="how often escalation and reminder timers are looked at"
    )
    home: Path = Field(
        Path.home() / ".vigie",
        description="where `vigie up` announces its stack to the other commands",
    )


class TrustSettings(Concern):
    """Who may publish and approve, and what counts as a replay."""

    trusted_keys: Path | None = Field(
        None, description="the keyring file of operators' public keys (`vigie keys trust`)"
    )
    max_clock_skew_s: float = Field(
        300.0, description="how far from now an event's `sent` may be (a replay, else)"
    )
    dedupe_ttl_days: int = Field(
        30, description="how long an event identifier already seen is remembered"
    )
    approval_above_people: int = Field(
        250_000,
        description="events reaching more people wait for a second operator (0: only "
        "Extreme ones, which always wait)",
    )
    signing_key: Path | None = Field(
        None, description="the operator's private key `vigie publish` signs with"
    )
    approving_key: Path | None = Field(
        None, description="the operator's private key `vigie approve` signs with"
    )


class ProviderSettings(Concern):
    """The SMS, email and push providers, and what each may be given."""

    sms_url: SecretStr | None = Field(
        None,
        description="the SMS provider as an apprise URL template: `{to}` becomes the "
        "batch's addresses, `{key}` an idempotency key",
    )
    email_url: SecretStr | None = Field(
        None,
        description="the email provider, likewise; `{variables}` passes each recipient's own "
        "values to a relay that merges them",
    )
    push_url: SecretStr | None = Field(None, description="the push provider, likewise")
    sms_urls: list[SecretStr] = Field(
        [],
        description="more SMS providers (a JSON list of URL templates), used in turn with "
        "`VIGIE_SMS_URL`: one that keeps failing is set aside and the others take its traffic",
    )
    email_urls: list[SecretStr] = Field([], description="more email providers, likewise")
    push_urls: list[SecretStr] = Field([], description="more push providers, likewise")
    provider_failures_to_rest: int = Field(
        3, ge=1, description="calls in a row a provider could not take before it is set aside"
    )
    provider_rest_s: float = Field(
        30.0, description="how long a provider set aside gets no traffic before it is tried"
    )
    provider_timeout_s: float = Field(15.0, description="how long a provider call may take")
    rate_limits: dict[Channel, float] = Field(
        {},
        description='messages per second per channel, e.g. `{"sms": 500}`, shared by all '
        "replicas (absent: no limit)",
    )
    # Email: a job's 1,000 in one message, the most a batch may name at Mailgun; smaller
    # batches cost more CPU (docs/benchmarks.md).
    batch_sizes: dict[Channel, int] = Field(
        {Channel.SMS: 1_000, Channel.PUSH: 1_000, Channel.EMAIL: 1_000},
        description="recipients per provider call, per channel",
    )
    send_concurrency: dict[Channel, int] = Field(
        {Channel.SMS: 4, Channel.PUSH: 4, Channel.EMAIL: 4},
        description="provider calls in flight per channel",
    )

    @staticmethod
    def setting_name(channel: Channel) -> str:
        """The environment variable of a channel's first provider."""
        return f"VIGIE_{channel.value.upper()}_URL"

    def urls(self, channel: Channel) -> list[tuple[str, SecretStr]]:
        """The channel's providers, the first one first, each with the variable it came
        from (`VIGIE_SMS_URL`, `VIGIE_SMS_URLS[0]`, ...)."""
        first, more = {
            Channel.SMS: (self.sms_url, self.sms_urls),
            Channel.EMAIL: (self.email_url, self.email_urls),
            Channel.PUSH: (self.push_url, self.push_urls),
        }[channel]
        name = self.setting_name(channel)
        named = [(name, first)] if first is not None else []
        return named + [(f"{name}S[{i}]", url) for i, url in enumerate(more)]


class DeliverySettings(Concern):
    """Fan-out and sending: job sizes, dispatcher processes, retries and deadlines."""

    job_size: int = Field(
        1_000, ge=1, le=2_000, description="recipients per fan-out job (at most 2,000)"
    )
    # With two, an email dispatcher sends one job's batches while another job is claimed,
    # settled and reported (with one, a core sat partly idle once SMS and push were done:
    # docs/benchmarks.md).
    consumers: dict[Channel, int] = Field(
        {Channel.EMAIL: 2},
        description="Kafka consumers per channel in one dispatcher process, each holding "
        "partitions of its own and handling a job at a time",
    )
    # Email apart from SMS and push, so that thousands of one-by-one emails do not take CPU
    # time from the short channels.
    dispatch_channels: list[Channel] = Field(
        [Channel.SMS, Channel.PUSH, Channel.EMAIL],
        description='the channels this dispatcher process sends; production runs `["email"]` '
        'apart from `["sms", "push"]`',
    )
    send_attempts: int = Field(
        4,
        description="attempts before a delivery the provider refused (a wrong number or "
        "address) is failed",
    )
    retry_base_s: float = Field(
        0.2, description="first wait before a new attempt (doubles, with jitter)"
    )
    retry_max_s: float = Field(
        30.0, description="longest wait between two tries of a provider that cannot take messages"
    )
    delivery_deadline_s: float = Field(
        6 * 3600.0,
        description="how long after its fan-out a delivery waits for a provider that cannot "
        "take it, before it is failed",
    )
    claim_lease_s: float = Field(
        30.0, description="a send claimed longer ago by a sender that died is retried"
    )


class AnswerSettings(Concern):
    """The response service: answer links, the SMS reply webhook, the crisis page."""

    response_secret: SecretStr | None = Field(
        None, description="the secret that signs answer links (every service that writes links)"
    )
    response_listen: str = Field("127.0.0.1:8470", description="where the response service listens")
    response_base_url: str | None = Field(
        None, description="the response service's public address, in links"
    )
    response_token_ttl_s: int = Field(
        14 * 86_400, description="how long an answer link stays valid"
    )
    view_key: SecretStr | None = Field(
        None, description="opens the read-only crisis page, `/crisis/ID?key=...`"
    )
    inbound_sms_key: SecretStr | None = Field(
        None, description="the key the SMS gateway presents (`X-Vigie-Key`) on the reply webhook"
    )
    http_body_timeout_s: float = Field(
        10.0, gt=0, description="a request body to the response service must arrive within this"
    )
    safety_reminder_s: float = Field(
        3600.0,
        ge=0,
        description="a national an alert reached who has not answered its safety check this "
        "long after it gets one reminder on another channel of theirs (0: no reminders)",
    )

    @property
    def base_url(self) -> str:
        return (self.response_base_url or f"http://{self.response_listen}").rstrip("/")


class LeaderSettings(Concern):
    """Chefs d'îlot: how long one may stay silent."""

    ack_delay_s: float = Field(
        600.0, description="a leader silent this long: the next deputy is asked"
    )


class ReservistSettings(Concern):
    """Reservists: waves of requests, and who hears of a need left unfilled."""

    wave_wait_s: float = Field(
        1_800.0, description="reservists silent this long: the next wave is asked"
    )
    wave_extra: int = Field(1, description="how many more reservists to ask than still needed")
    crisis_centre_email: str | None = Field(
        None, description="where an unfilled-need warning goes by email"
    )
    crisis_centre_sms: str | None = Field(None, description="and by SMS")


class WatchSource(BaseModel):
    """A feed of another issuer's official alerts: an Atom or RSS index whose entries link
    to CAP documents, or a single CAP document."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    url: str = Field(pattern=r"^https?://", max_length=2_000)
    interval_s: float = Field(60.0, ge=1, le=86_400)
    # The optional policy: an alert at least this severe with at least this many of our
    # people inside gets a draft of ours prepared and flagged; an operator still decides.
    draft_severity: Severity | None = None
    draft_min_people: int = Field(1, ge=0)


class WatchSettings(Concern):
    """The watch (veille): other issuers' official alerts, matched to our people, never sent."""

    env_prefix: ClassVar[str] = "watch_"
    sources: list[WatchSource] = Field(
        [],
        description='the feeds polled: a JSON list of {"name", "url", "interval_s"}, and '
        'optionally "draft_severity" and "draft_min_people": the alerts at least that severe '
        "with that many of our people inside get a draft prepared (never sent)",
    )
    timeout_s: float = Field(10.0, description="how long fetching one feed or document may take")
    max_document_bytes: int = Field(
        2 * 1024 * 1024, description="a feed or CAP document larger than this is refused"
    )
    max_backoff_s: float = Field(
        900.0, description="a failing source is tried again at most this long after"
    )

    @field_validator("sources", mode="before")
    @classmethod
    def _from_json(cls, value: Any) -> Any:
        """The list as the environment writes it, wherever it comes from."""
        return json.loads(value) if isinstance(value, str) else value
