"""One object that starts and stops the whole embedded stack."""

import asyncio
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from services.common.config import Settings
from services.common.topic_admin import create_topics
from services.embedded.processes import (
    ManagedProcess,
    ProvidersProcess,
    RedisProcess,
    free_port,
    start_broker,
    start_providers,
    start_redis,
)
from services.trust.keys import Keyring, generate

STATE_FILE = "embedded.json"


@dataclass
class EmbeddedStack:
    broker: ManagedProcess | None = None
    redis: RedisProcess | None = None
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
        assert self.broker is not None, "stack not started"
        return f"127.0.0.1:{self.broker.port}"

    @property
    def redis_url(self) -> str:
        assert self.redis is not None, "stack not started"
        return self.redis.url

    def start(self, topic_prefix: str = "") -> Self:
        self.broker = start_broker()
        self.redis = start_redis()
        self.providers = start_providers(self.redis.url)
        self.answers = {
            "response_listen": f"127.0.0.1:{free_port()}",
            "response_secret": secrets.token_urlsafe(32),
            "inbound_sms_key": secrets.token_urlsafe(24),
            "view_key": secrets.token_urlsafe(16),
        }
        self.keys_dir = Path(tempfile.mkdtemp(prefix="vigie-keys-"))
        self.trust = local_operators(self.keys_dir)
        asyncio.run(create_topics(self.settings(topic_prefix)))
        return self

    def settings(self, topic_prefix: str = "", **overrides: object) -> Settings:
        urls: dict[str, object] = dict(self.providers.urls()) if self.providers else {}
        urls |= self.answers | self.trust
        return Settings(
            kafka_bootstrap=self.kafka_bootstrap,
            redis_url=self.redis_url,
            topic_prefix=topic_prefix,
            **{**urls, **overrides},  # type: ignore[arg-type]
        )

    def stop(self) -> None:
        for process in (self.providers, self.broker, self.redis):
            if process is not None:
                process.stop()
        if self.redis is not None:
            shutil.rmtree(self.redis.workdir, ignore_errors=True)
        if self.keys_dir is not None:
            shutil.rmtree(self.keys_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def announce(self, home: Path) -> Path:
        """Write where this stack listens, so other `vigie` commands find it without flags."""
        home.mkdir(parents=True, exist_ok=True)
        path = home / STATE_FILE
        state = {
            "pid": os.getpid(),
            "kafka_bootstrap": self.kafka_bootstrap,
            "redis_url": self.redis_url,
            **(self.providers.urls() if self.providers else {}),
            **self.answers,
            **self.trust,
        }
        path.write_text(json.dumps(state, indent=2))
        path.chmod(0o600)  # it holds the link-signing secret
        return path


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
