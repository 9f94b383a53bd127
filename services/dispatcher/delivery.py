"""Hand a batch to a provider. A provider that cannot take it now (down, slow, busy) is
waited out, the batch whole, until the delivery's deadline; a batch it refused is retried
one recipient at a time with exponential backoff and jitter, so one wrong number never
sinks the rest, and only what the provider refused for the person fails."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

from schemas.alerts import Addressee
from schemas.crisis import Channel
from services.common.config import Settings
from services.common.metrics import PROVIDER_FAILING, WAITING
from services.dispatcher.sender import (
    ProviderRefused,
    ProviderThrottled,
    ProviderUnavailable,
    Sender,
)
from services.texts.alerts import Merged, Message

log = logging.getLogger("vigie.dispatcher")
Personal = Callable[[Addressee], Message]
# Told when a provider asks to slow down, with how long this sender now waits.
Throttled = Callable[[Channel, float], Awaitable[None]]


class Hold(Protocol):
    """What a sender does for deliveries that wait for their provider: called at least
    every `Deliverer.heartbeat_s` while they wait (`waiting`), and once when they stop.
    False while waiting: the message is moot now (its crisis was cancelled or updated)."""

    def __call__(self, recipients: list[Addressee], waiting: bool) -> Awaitable[bool]: ...


class Attempted(NamedTuple):
    """What became of one recipient. A tuple: one is made per person and channel."""

    recipient: Addressee
    sent: bool
    attempts: int
    error: str | None = None
    moot: bool = False  # given up while waiting: the message no longer stood


class _Moot(Exception):
    """The message became moot while it waited for its provider."""

    def __init__(self, calls: int) -> None:
        super().__init__("no longer sent: the crisis changed while the provider was down")
        self.calls = calls


class _Expired(Exception):
    """The provider could not take the message until the delivery's deadline."""

    def __init__(self, reason: str, calls: int) -> None:
        super().__init__(reason)
        self.calls = calls


class Deliverer:
    def __init__(
        self,
        sender: Sender,
        settings: Settings,
        failing: dict[str, str] | None = None,
        throttled: Throttled | None = None,
    ) -> None:
        """`failing`: where to say which providers cannot take messages now, and why."""
        self.throttled = throttled
        self.sender = sender
        self.attempts = settings.delivery.send_attempts
        self.retry_base_s = settings.delivery.retry_base_s
        self.retry_max_s = settings.delivery.retry_max_s
        self.heartbeat_s = settings.delivery.claim_lease_s / 3
        self.failing = failing if failing is not None else {}

    async def deliver(
        self,
        channel: Channel,
        batch: list[Addressee],
        message: Message | Merged | Personal,
        key: str,
        deadline: float,
        hold: Hold,
    ) -> list[Attempted]:
        """`message` is one text for all, one text with each recipient's own values merged
        by the provider, or a function giving each recipient their own text (each is then
        a request of its own). `deadline`: the time (epoch seconds) until which a provider
        that cannot take the message is waited for."""
        if callable(message):
            personal = message
            return list(
                await asyncio.gather(
                    *(
                        self._each(channel, r, personal(r), key, deadline, hold, first=1)
                        for r in batch
                    )
                )
            )
        try:
            refused, calls = await self._taken(channel, batch, message, key, deadline, hold)
        except _Expired as expired:
            return [Attempted(r, False, expired.calls, str(expired)) for r in batch]
        except _Moot as moot:
            return [Attempted(r, False, moot.calls, str(moot), moot=True) for r in batch]
        if refused is None:
            return [Attempted(r, True, calls) for r in batch]
        log.warning(
            "%s batch of %d refused (%s); retrying one by one", channel.value, len(batch), refused
        )
        return list(
            await asyncio.gather(
                *(
                    self._each(channel, r, message, key, deadline, hold, first=2, calls=calls)
                    for r in batch
                )
            )
        )

    async def _each(
        self,
        channel: Channel,
        recipient: Addressee,
        message: Message | Merged,
        key: str,
        deadline: float,
        hold: Hold,
        first: int,
        calls: int = 0,
    ) -> Attempted:
        """`first`: the attempt to start at (the batch was the first); `calls`: the
        provider calls made for the recipient so far, which the outcome reports."""
        error = ""
        for attempt in range(first, self.attempts + 1):
            if attempt > 1:
                delay = self.retry_base_s * 2 ** (attempt - 2)
                await asyncio.sleep(delay * (0.5 + random.random()))
            try:
                refused, made = await self._taken(
                    channel, [recipient], message, key, deadline, hold
                )
            except _Expired as expired:
                return Attempted(recipient, False, calls + expired.calls, str(expired))
            except _Moot as moot:
                return Attempted(recipient, False, calls + moot.calls, str(moot), moot=True)
            calls += made
            if refused is None:
                return Attempted(recipient, True, calls)
            error = str(refused)
        return Attempted(recipient, False, calls, error)

    async def _taken(
        self,
        channel: Channel,
        batch: list[Addressee],
        message: Message | Merged,
        key: str,
        deadline: float,
        hold: Hold,
    ) -> tuple[ProviderRefused | None, int]:
        """Send until the provider takes the message (None) or refuses it (the refusal),
        waiting while it cannot take it; _Expired when it still cannot at the deadline.
        With the provider calls it took."""
        wait = self.retry_base_s
        waiting = False
        calls = 0
        try:
            while True:
                calls += 1
                try:
                    await self._send(channel, batch, message, key)
                    self._working(channel)
                    return None, calls
                except ProviderRefused as refused:
                    self._working(channel)
                    return refused, calls
                except ProviderUnavailable as unavailable:
                    self._failing(channel, str(unavailable))
                    if time.time() + wait > deadline:
                        raise _Expired(
                            f"{unavailable}, until the delivery's deadline passed", calls
                        ) from None
                    if not waiting:
                        waiting = True
                        WAITING.labels(channel.value).inc(len(batch))
                    pause = wait * (0.5 + random.random())
                    if isinstance(unavailable, ProviderThrottled) and self.throttled:
                        await self.throttled(channel, pause)
                    if not await self._wait(pause, batch, hold):
                        raise _Moot(calls) from None
                    wait = min(wait * 2, self.retry_max_s)
        finally:
            if waiting:
                WAITING.labels(channel.value).dec(len(batch))
                await hold(batch, False)

    async def _wait(self, seconds: float, batch: list[Addressee], hold: Hold) -> bool:
        """Sleep, telling `hold` the batch still waits at least every heartbeat; False as
        soon as it says the message is moot."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if not await hold(batch, True):
                return False
            await asyncio.sleep(min(left, self.heartbeat_s))
        return True

    async def _send(
        self, channel: Channel, batch: list[Addressee], message: Message | Merged, key: str
    ) -> None:
        addresses = [r["address"] for r in batch]
        if isinstance(message, Merged):
            values = {a: message.values(r) for a, r in zip(addresses, batch, strict=True)}
            await self.sender.send(channel, addresses, message.message, key, values)
        else:
            await self.sender.send(channel, addresses, message, key)

    def _failing(self, channel: Channel, reason: str) -> None:
        if channel.value not in self.failing:
            log.warning(
                "%s provider cannot take messages: %s; deliveries wait", channel.value, reason
            )
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            self.failing[channel.value] = f"since {stamp}: {reason}"
            PROVIDER_FAILING.labels(channel.value).set(1)

    def _working(self, channel: Channel) -> None:
        if self.failing.pop(channel.value, None) is not None:
            log.warning("%s provider takes messages again", channel.value)
            PROVIDER_FAILING.labels(channel.value).set(0)
