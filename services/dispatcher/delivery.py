"""Hand a batch to a provider; when that fails, retry each recipient on their own with
exponential backoff and jitter, so one bad recipient never sinks the rest."""

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from schemas.alerts import Recipient
from schemas.crisis import Channel
from services.common.config import Settings
from services.dispatcher.messages import Message
from services.dispatcher.sender import ProviderError, Sender

log = logging.getLogger("vigie.dispatcher")
Personal = Callable[[Recipient], Message]


@dataclass(frozen=True)
class Attempted:
    recipient: Recipient
    sent: bool
    attempts: int
    error: str | None = None


class Deliverer:
    def __init__(self, sender: Sender, settings: Settings) -> None:
        self.sender = sender
        self.attempts = settings.send_attempts
        self.retry_base_s = settings.retry_base_s

    async def deliver(
        self, channel: Channel, batch: list[Recipient], message: Message | Personal, key: str
    ) -> list[Attempted]:
        """`message` is one text for all, or a function giving each recipient their own
        (each is then a request of its own)."""
        if callable(message):
            personal = message
            return list(
                await asyncio.gather(
                    *(self._each(channel, r, personal(r), key, first=1) for r in batch)
                )
            )
        addresses = [r.contacts.for_channel(channel) or "" for r in batch]
        try:
            await self.sender.send(channel, addresses, message, key)
            return [Attempted(r, True, 1) for r in batch]
        except ProviderError as exc:
            log.warning(
                "%s batch of %d failed (%s); retrying one by one", channel.value, len(batch), exc
            )
        return list(
            await asyncio.gather(*(self._each(channel, r, message, key, first=2) for r in batch))
        )

    async def _each(
        self, channel: Channel, recipient: Recipient, message: Message, key: str, first: int
    ) -> Attempted:
        error = ""
        for attempt in range(first, self.attempts + 1):
            if attempt > 1:
                delay = self.retry_base_s * 2 ** (attempt - 2)
                await asyncio.sleep(delay * (0.5 + random.random()))
            try:
                await self.sender.send(
                    channel, [recipient.contacts.for_channel(channel) or ""], message, key
                )
                return Attempted(recipient, True, attempt)
            except ProviderError as exc:
                error = str(exc)
        return Attempted(recipient, False, self.attempts, error)
