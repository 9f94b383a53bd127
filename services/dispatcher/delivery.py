"""Hand a batch to a provider; when that fails, retry each recipient on their own with
exponential backoff and jitter, so one bad recipient never sinks the rest."""

import asyncio
import logging
import random
from collections.abc import Callable
from typing import NamedTuple

from schemas.alerts import Addressee
from schemas.crisis import Channel
from services.common.config import Settings
from services.dispatcher.sender import ProviderError, Sender
from services.texts.alerts import Merged, Message

log = logging.getLogger("vigie.dispatcher")
Personal = Callable[[Addressee], Message]


class Attempted(NamedTuple):
    """What became of one recipient. A tuple: one is made per person and channel."""

    recipient: Addressee
    sent: bool
    attempts: int
    error: str | None = None


class Deliverer:
    def __init__(self, sender: Sender, settings: Settings) -> None:
        self.sender = sender
        self.attempts = settings.send_attempts
        self.retry_base_s = settings.retry_base_s

    async def deliver(
        self,
        channel: Channel,
        batch: list[Addressee],
        message: Message | Merged | Personal,
        key: str,
    ) -> list[Attempted]:
        """`message` is one text for all, one text with each recipient's own values merged
        by the provider, or a function giving each recipient their own text (each is then
        a request of its own)."""
        if callable(message):
            personal = message
            return list(
                await asyncio.gather(
                    *(self._each(channel, r, personal(r), key, first=1) for r in batch)
                )
            )
        try:
            await self._send(channel, batch, message, key)
            return [Attempted(r, True, 1) for r in batch]
        except ProviderError as exc:
            log.warning(
                "%s batch of %d failed (%s); retrying one by one", channel.value, len(batch), exc
            )
        return list(
            await asyncio.gather(*(self._each(channel, r, message, key, first=2) for r in batch))
        )

    async def _send(
        self, channel: Channel, batch: list[Addressee], message: Message | Merged, key: str
    ) -> None:
        addresses = [r["address"] for r in batch]
        if isinstance(message, Merged):
            values = {a: message.values(r) for a, r in zip(addresses, batch, strict=True)}
            await self.sender.send(channel, addresses, message.message, key, values)
        else:
            await self.sender.send(channel, addresses, message, key)

    async def _each(
        self,
        channel: Channel,
        recipient: Addressee,
        message: Message | Merged,
        key: str,
        first: int,
    ) -> Attempted:
        error = ""
        for attempt in range(first, self.attempts + 1):
            if attempt > 1:
                delay = self.retry_base_s * 2 ** (attempt - 2)
                await asyncio.sleep(delay * (0.5 + random.random()))
            try:
                await self._send(channel, [recipient], message, key)
                return Attempted(recipient, True, attempt)
            except ProviderError as exc:
                error = str(exc)
        return Attempted(recipient, False, self.attempts, error)
