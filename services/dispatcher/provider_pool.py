"""A channel's providers, in turn. One that cannot take messages several times in a row is
set aside for a while (a circuit breaker) and its traffic goes to the others; when every
one is set aside, the one due back first is tried.

The state is this process's own: each dispatcher replica learns of a failing provider by
its own calls, a few calls each.
"""

import logging
import time
from dataclasses import dataclass

from schemas.crisis import Channel
from services.dispatcher.provider_urls import ProviderUrl

log = logging.getLogger("vigie.dispatcher.providers")


@dataclass
class Provider:
    url: ProviderUrl
    name: str  # where it is configured, for logs: never the URL, which holds credentials
    failures: int = 0  # calls in a row it could not take
    resting_until: float = 0.0  # monotonic time


class ProviderPool:
    def __init__(
        self, channel: Channel, providers: list[Provider], failures_to_rest: int, rest_s: float
    ) -> None:
        self.channel = channel
        self.providers = providers
        self.failures_to_rest = failures_to_rest
        self.rest_s = rest_s
        self._turn = 0

    def in_turn(self) -> list[Provider]:
        """The providers to try for one call, in order: those not set aside, starting with
        the next in turn; if every one is set aside, the one due back first."""
        start = self._turn
        self._turn = (start + 1) % len(self.providers)
        rotated = self.providers[start:] + self.providers[:start]
        now = time.monotonic()
        ready = [p for p in rotated if p.resting_until <= now]
        return ready or [min(rotated, key=lambda p: p.resting_until)]

    def answered(self, provider: Provider) -> None:
        """The provider took the call, or refused it for its recipients: it works."""
        if provider.resting_until:
            log.warning("%s provider %s takes messages again", self.channel.value, provider.name)
        provider.failures, provider.resting_until = 0, 0.0

    def could_not_take(self, provider: Provider, reason: str) -> None:
        provider.failures += 1
        if provider.failures >= self.failures_to_rest:
            if not provider.resting_until and len(self.providers) > 1:
                log.warning(
                    "%s provider %s set aside for %.0f s after %d failures (%s); the others "
                    "take its traffic",
                    self.channel.value,
                    provider.name,
                    self.rest_s,
                    provider.failures,
                    reason,
                )
            provider.resting_until = time.monotonic() + self.rest_s

    @property
    def merges(self) -> bool:
        return self.providers[0].url.merges
