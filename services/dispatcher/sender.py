"""Hand one message to many addresses of a channel through apprise, with a timeout."""

import asyncio
import enum
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext

from schemas.crisis import Channel
from services.common import recipient_variables
from services.common.config import ConfigurationError, Settings
from services.common.config.concerns import ProviderSettings
from services.common.metrics import PROVIDER_SECONDS
from services.dispatcher import provider_failures, smtp_client
from services.dispatcher.provider_pool import Provider, ProviderPool
from services.dispatcher.provider_urls import KEY, VARIABLES, ProviderUrl
from services.texts.alerts import Message

log = logging.getLogger("vigie.dispatcher.sender")
# apprise plugins are blocking (requests, smtplib): they run on threads of their own, a
# pool per channel, so thousands of one-by-one emails never queue ahead of an SMS batch.
_THREADS = {Channel.SMS: 8, Channel.PUSH: 8, Channel.EMAIL: 32}


class ProviderError(RuntimeError):
    pass


class ProviderUnavailable(ProviderError):
    """The provider could not take the message now (down, slow, busy): send it again."""


class ProviderThrottled(ProviderUnavailable):
    """The provider said it gets too many requests: everyone should slow down."""


class ProviderRefused(ProviderError):
    """The provider refused these recipients (a wrong number or address)."""


class Sender:
    def __init__(self, settings: Settings) -> None:
        provider_failures.listen()
        # Before the URLs are read: whether a URL goes over our SMTP connection depends on it.
        if not smtp_client.install():
            log.warning(
                "apprise's email plugin is not laid out as this version expects: emails go "
                "through apprise's own SMTP connection, slower for large batches"
            )
        self.executors = {
            channel: ThreadPoolExecutor(max_workers=n, thread_name_prefix=f"apprise-{channel}")
            for channel, n in _THREADS.items()
        }
        self.timeout_s = settings.providers.provider_timeout_s
        self.pools: dict[Channel, ProviderPool] = {}
        for channel in Channel:
            named = settings.providers.urls(channel)
            providers = [Provider(ProviderUrl(n, u.get_secret_value()), n) for n, u in named]
            if not providers:
                continue
            if len({p.url.merges for p in providers}) > 1:
                raise ConfigurationError(
                    f"{', '.join(n for n, _ in named)}: pass {{variables}} in all of them or "
                    "in none (each email is written once, whatever provider sends it)"
                )
            self.pools[channel] = ProviderPool(
                channel,
                providers,
                settings.providers.provider_failures_to_rest,
                settings.providers.provider_rest_s,
            )

    def merges(self, channel: Channel) -> bool:
        """Whether the providers merge recipient variables: their URL templates pass them."""
        pool = self.pools.get(channel)
        return pool is not None and pool.merges

    def missing(self) -> list[str]:
        return [ProviderSettings.setting_name(c) for c in Channel if c not in self.pools]

    async def send(
        self,
        channel: Channel,
        addresses: list[str],
        message: Message,
        key: str,
        variables: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """Raises ProviderUnavailable or ProviderRefused when no provider took the message:
        each not set aside is tried in turn while they cannot take it; a refusal of the
        recipients ends it. `variables` are each address's values for the placeholders."""
        pool = self.pools.get(channel)
        if pool is None:
            raise ProviderUnavailable(f"no provider URL configured for {channel.value}")
        unavailable = ProviderUnavailable(f"{channel.value}: no provider tried")
        for provider in pool.in_turn():
            try:
                await self._send(channel, provider.url, addresses, message, key, variables)
            except ProviderUnavailable as error:
                pool.could_not_take(provider, str(error))
                unavailable = error
                continue
            except ProviderRefused:
                pool.answered(provider)
                raise
            pool.answered(provider)
            return
        raise unavailable

    async def _send(
        self,
        channel: Channel,
        url: ProviderUrl,
        addresses: list[str],
        message: Message,
        key: str,
        variables: dict[str, dict[str, str]] | None,
    ) -> None:
        values = {KEY: key}
        header: AbstractContextManager[str | None] = nullcontext()
        if url.merges:
            # Every address is named, with or without values: the relay sends a copy to
            # those it names, not to the batch's own "To".
            each = {address: (variables or {}).get(address, {}) for address in addresses}
            encoded = recipient_variables.encode(each)
            header = smtp_client.prefolded(encoded) if url.over_smtp else nullcontext(encoded)
        loop = asyncio.get_running_loop()
        with header as merged:
            if merged is not None:
                values[VARIABLES] = merged
            try:
                with PROVIDER_SECONDS.labels(channel.value).time():
                    taken = await asyncio.wait_for(
                        loop.run_in_executor(
                            self.executors[channel], _notify, url, addresses, values, message
                        ),
                        self.timeout_s,
                    )
            except TimeoutError:
                raise ProviderUnavailable(
                    f"{channel.value} provider did not answer within {self.timeout_s:.0f} s"
                ) from None
        if taken is _Taken.REFUSED:
            raise ProviderRefused(f"{channel.value} provider refused the recipients")
        if taken is _Taken.THROTTLED:
            raise ProviderThrottled(f"{channel.value} provider asked to slow down (429)")
        if taken is _Taken.UNAVAILABLE:
            raise ProviderUnavailable(f"{channel.value} provider could not take the message")


class _Taken(enum.Enum):
    YES = "yes"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"
    THROTTLED = "throttled"


def _notify(
    url: ProviderUrl, addresses: list[str], values: dict[str, str], message: Message
) -> _Taken:
    notifier = url.notifier(addresses, values)
    if notifier is None:  # the plugin refused these recipients' form
        return _Taken.REFUSED
    notifier.request_rate_per_sec = 0  # our own rate limiter decides the pace
    provider_failures.begin()
    try:
        if notifier.notify(title=message.title, body=message.body):
            return _Taken.YES
    except Exception as error:  # a plugin that fails on a recipient: a refused send, which
        # is retried one by one, never a job read again and again
        log.warning("%s refused the message: %s", type(notifier).__name__, type(error).__name__)
        return _Taken.REFUSED
    if provider_failures.recipients_refused():
        return _Taken.REFUSED
    return _Taken.THROTTLED if provider_failures.throttled() else _Taken.UNAVAILABLE
