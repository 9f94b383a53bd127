"""A crisis under faults: each consumer as its own process (so it can be SIGKILLed), and the
checks that, once settled, everyone had exactly one message per channel."""

import asyncio
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import redis

from schemas.crisis import Channel
from services.common.config import Settings
from services.providers import outbox
from services.state import crises, keys
from tests.helpers import service_process

SETTLE_TIMEOUT_S = 240
CONSUMERS = ["ingest", "resolver", "dispatcher-priority", "leaders", "reservists", "responses"]


def fault_tolerant(settings: Settings) -> Settings:
    """Deliveries slowed to 1,000 a second per channel, so that a fault lands mid-crisis;
    short leases and timeouts, so that recovery is seen within the test."""
    return settings.changed(
        rate_limits=dict.fromkeys(Channel, 1_000), claim_lease_s=2.0, request_timeout_ms=8_000
    )


class Services:
    """Each consumer as its own process, so that it can be SIGKILLed and restarted."""

    def __init__(
        self,
        settings: Settings,
        logs: Path,
        signed_in: Callable[[str, Settings], Settings] | None = None,
        also: Sequence[Path] = (),
    ) -> None:
        """`signed_in`: each service's own settings (its own Kafka user, say); `also`: more
        logs (the brokers') to quote when a crisis does not settle."""
        self.settings, self.logs, self.also = settings, logs, list(also)
        self.signed_in = signed_in or (lambda _, same: same)
        self.running = {name: self._start(name) for name in CONSUMERS}

    def _start(self, name: str) -> subprocess.Popen[bytes]:
        settings = self.signed_in(name, self.settings)
        return service_process(settings, name, self.logs / f"{name}.log")

    def kill_and_restart(self, name: str) -> None:
        process = self.running[name]
        assert process.poll() is None, f"{name} died on its own: see {self.logs}/{name}.log"
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.running[name] = self._start(name)

    def dead(self) -> list[str]:
        return [name for name, p in self.running.items() if p.poll() is not None]

    def errors(self, last: int = 8) -> str:
        """The last error lines of each service's log, to say why a crisis did not settle."""
        said = []
        for log in [self.logs / f"{name}.log" for name in self.running] + self.also:
            lines = log.read_text(errors="replace").splitlines() if log.exists() else []
            errors = [line[:300] for line in lines if " ERROR " in line or " WARN" in line]
            said.append(f"--- {log} ({len(lines)} lines)\n" + "\n".join(errors[-last:]))
        return "\n".join(said)

    def stop(self) -> None:
        for process in self.running.values():
            process.kill()
            process.wait()


def crisis_status(client: redis.Redis, crisis_id: str) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in client.hgetall(keys.status(crisis_id)).items()}
    except redis.exceptions.RedisError:
        return {}  # Redis restarting, or a cluster's replica taking over


def sent(client: redis.Redis, crisis_id: str, channel: str) -> int:
    return int(crisis_status(client, crisis_id).get(f"sent:{channel}", 0))


async def until(
    check: Callable[[], bool],
    what: str,
    timeout_s: float = 120,
    explain: Callable[[], str] = lambda: "",
) -> None:
    """Wait for `check`; past `timeout_s`, fail saying what was awaited and `explain()`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() < started + timeout_s, f"timed out waiting for {what}{explain()}"
        await asyncio.sleep(0.1)
    print(f"{what}: {time.monotonic() - started:.1f} s")


async def settled_once_each(
    client: redis.Redis,
    providers: redis.Redis,
    crisis_id: str,
    services: Services,
    least_per_channel: int = 2_000,
) -> dict[str, str]:
    """Wait until every delivery of the crisis is settled, then check what people got: one
    message per person and channel, the status (in `client`) equal to what the providers
    received (their outbox, in `providers`)."""
    await until(
        lambda: crises.is_settled(crisis_status(client, crisis_id)),
        "every delivery settled",
        # Within pytest's own timeout, so that a crisis that never settles says why.
        timeout_s=SETTLE_TIMEOUT_S,
        explain=lambda: (
            f"\nstatus: {crisis_status(client, crisis_id)}\nconsumers that died: "
            f"{services.dead()}\n{services.errors()}"
        ),
    )
    await asyncio.sleep(2)  # a duplicate in flight would land now
    final = crisis_status(client, crisis_id)
    assert services.dead() == [], f"a consumer died on its own: see {services.logs}"
    received = [r for r in outbox.all_received(providers) if r.key == crisis_id]
    per_person = Counter((r.channel, r.to) for r in received)
    repeated = {who: n for who, n in per_person.items() if n > 1}
    assert per_person and not repeated, f"{len(repeated)} people got a message twice"
    for channel in crises.CHANNEL_NAMES:
        in_outbox = sum(1 for c, _ in per_person if c == channel)
        assert int(final[f"targeted:{channel}"]) >= least_per_channel
        assert int(final[f"sent:{channel}"]) == int(final[f"targeted:{channel}"]) == in_outbox
        assert int(final.get(f"failed:{channel}", 0)) == 0
    asks = Counter(
        (r.channel, r.to, r.key) for r in outbox.all_received(providers) if "/leader/" in r.key
    )
    assert asks and set(asks.values()) == {1}, "a leader was asked twice"
    return final
