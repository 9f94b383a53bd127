"""One object that starts and stops the whole embedded stack."""

import asyncio
import json
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from services.common.config import Settings
from services.common.topic_admin import create_topics
from services.embedded.kafka import KafkaCluster
from services.embedded.kafka_security import ClusterSecurity
from services.embedded.processes import (
    ManagedProcess,
    ProvidersProcess,
    RedisProcess,
    StackError,
    free_port,
    start_broker,
    start_providers,
    start_redis,
)
from services.embedded.redis_cluster import RedisCluster
from services.embedded.redis_security import RedisSecurity
from services.trust.keys import Keyring, generate

STATE_FILE = "embedded.json"
BrokerKind = Literal["tansu", "kafka"]
RedisKind = Literal["single", "cluster"]


@dataclass
class EmbeddedStack:
    """`broker_kind`: tansu, one in-memory process (the default); or kafka, three Apache Kafka
    brokers in KRaft mode, secured by `kafka_security` when it is given. `redis_kind`: one
    redis-server (the default), or a Redis Cluster of three masters with a replica each for
    Vigie's state (the stand-in providers keep their outbox in a Redis of their own)."""

    broker_kind: BrokerKind = "tansu"
    redis_kind: RedisKind = "single"
    kafka_security: ClusterSecurity | None = None
    redis_security: RedisSecurity | None = None  # TLS and ACL users, else plain
    broker: ManagedProcess | None = None
    kafka: KafkaCluster | None = None
    redis: RedisProcess | None = None
    cluster: RedisCluster | None = None
    providers: ProvidersProcess | None = None
    # The response service's address and the secrets of its links and SMS webhook:
    # made up per stack, so the demo answers links with no configuration.
    answers: dict[str, str] = field(default_factory=dict)
    # Two local operators' keys, trusted by ingest: the demo signs with the first and, for
    # events the two-person rule holds, approves with the second.
    trust: dict[str, str] = field(default_factory=dict)
    keys_dir: Path | None = None

    @property
    def kafka_bootstrap(self) -> str:
        if self.kafka is not None:
            return self.kafka.bootstrap
        assert self.broker is not None, "stack not started"
        return f"127.0.0.1:{self.broker.port}"

    @property
    def replication(self) -> int:
        return self.kafka.replication if self.kafka is not None else 1

    def broker_processes(self) -> dict[str, int]:
        """Each broker process's pid, by name (benchmarks read their CPU and memory)."""
        if self.kafka is not None:
            return {f"kafka-{node.node_id}": node.pid for node in self.kafka.nodes}
        assert self.broker is not None, "stack not started"
        return {"broker": self.broker.process.pid}

    def broker_settings(self) -> dict[str, object]:
        """How clients reach the broker: tansu takes no idempotent producers (it answers
        InitProducerId with an error), Apache Kafka does."""
        if self.kafka is not None:
            return {
                "kafka_bootstrap": self.kafka.bootstrap,
                **(self.kafka_security.client_settings() if self.kafka_security else {}),
            }
        return {"kafka_bootstrap": self.kafka_bootstrap, "kafka_idempotent_producer": False}

    @property
    def redis_url(self) -> str:
        """Where Vigie keeps its state."""
        if self.cluster is not None:
            return self.cluster.url
        return self.providers_redis_url

    @property
    def providers_redis_url(self) -> str:
        """Where the stand-in providers keep what they received."""
        assert self.redis is not None, "stack not started"
        return self.redis.url

    def redis_settings(self) -> dict[str, str]:
        return {"redis_url": self.redis_url, "redis_mode": self.redis_kind}

    def start(self, topic_prefix: str = "") -> Self:
        """Start every part; if one fails, those already started are stopped."""
        try:
            return self._start(topic_prefix)
        except BaseException:
            self.stop()
            raise

    def _start(self, topic_prefix: str) -> Self:
        if self.broker_kind == "kafka":
            home = Path(tempfile.mkdtemp(prefix="vigie-kafka-"))
            self.kafka = KafkaCluster(home, security=self.kafka_security)
            self.kafka.start()
        else:
            self.broker = start_broker()
        self.redis = start_redis(security=self.redis_security)
        if self.redis_kind == "cluster":
            self.cluster = RedisCluster().start()
        self.providers = start_providers(self.redis.url)
        self.answers = {
            "response_listen": f"127.0.0.1:{free_port()}",
            "response_secret": secrets.token_urlsafe(32),
            "inbound_sms_key": secrets.token_urlsafe(24),
            "view_key": secrets.token_urlsafe(16),
        }
        self.keys_dir = Path(tempfile.mkdtemp(prefix="vigie-keys-"))
        self.trust = local_operators(self.keys_dir)
        asyncio.run(create_topics(self.settings(topic_prefix), self.replication))
        return self

    def settings(self, topic_prefix: str = "", **overrides: object) -> Settings:
        urls: dict[str, object] = dict(self.providers.urls()) if self.providers else {}
        if self.providers:
            urls["watch_sources"] = self.providers.watch_sources()
        urls |= self.answers | self.trust
        return Settings(
            topic_prefix=topic_prefix,
            **{**self.redis_settings(), **self.broker_settings(), **urls, **overrides},  # type: ignore[arg-type]
        )

    def stop(self) -> None:
        for process in (self.providers, self.broker, self.redis):
            if process is not None:
                process.stop()
        if self.kafka is not None:
            self.kafka.remove()
        if self.cluster is not None:
            self.cluster.remove()
        if self.redis is not None:
            shutil.rmtree(self.redis.workdir, ignore_errors=True)
        if self.keys_dir is not None:
            shutil.rmtree(self.keys_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self if self.redis is not None else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @contextmanager
    def providers_supervised(
        self, say: Callable[[str], None], every_s: float = 1.0
    ) -> Iterator[None]:
        """Meanwhile, a stand-in provider that stops is started again, and `say` told."""
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(every_s):
                if self.providers is None:
                    continue
                try:
                    for line in self.providers.revive():
                        say(line)
                except StackError as exc:  # tried again at the next round
                    say(f"a local provider stopped and could not be restarted yet: {exc}")

        thread = threading.Thread(target=watch, name="providers-supervisor", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def announce(self, home: Path) -> Path:
        """Write where this stack listens, so other `vigie` commands find it without flags."""
        home.mkdir(parents=True, exist_ok=True)
        path = home / STATE_FILE
        state = {
            "pid": os.getpid(),
            **{k: _as_text(v) for k, v in self.broker_settings().items()},
            **self.redis_settings(),
            "providers_redis_url": self.providers_redis_url,
            **(self.providers.urls() if self.providers else {}),
            **self.answers,
            **self.trust,
        }
        path.write_text(json.dumps(state, indent=2))
        path.chmod(0o600)  # it holds the link-signing secret
        return path


def _as_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def local_operators(directory: Path) -> dict[str, str]:
    """Keys of two local operators, both trusted: the settings that point at them."""
    keyring = Keyring(directory / "trusted-keys.json")
    found: dict[str, str] = {"trusted_keys": str(keyring.path)}
    for setting, operator in (("signing_key", "duty-officer"), ("approving_key", "second-officer")):
        private, public, _ = generate(directory, operator)
        keyring.trust(public)
        found[setting] = str(private)
    return found


def announced(home: Path) -> dict[str, str] | None:
    """The running embedded stack's addresses, if a live `vigie up` announced one."""
    path = home / STATE_FILE
    try:
        state: dict[str, str] = json.loads(path.read_text())
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return state


def withdraw(home: Path) -> None:
    (home / STATE_FILE).unlink(missing_ok=True)
