"""Polling a source: its feed fetched at its interval (conditionally, with its ETag and
Last-Modified), each CAP document it lists fetched once and handed to the watch's consumers
on `external.alerts`; a source that fails is tried again later and later, and says why."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from services.common.config.concerns import WatchSettings, WatchSource
from services.common.metrics import WATCH_SOURCE_ERRORS, WATCH_SOURCE_SUCCESS
from services.state import watch
from services.watch.feeds import FeedError, cap_links

log = logging.getLogger("vigie.watch")
# Hands a CAP document on: (document, source name, the URL it came from).
Handover = Callable[[bytes, str, str], Awaitable[None]]


class SourceFailed(Exception):
    """The source did not give what it should; the message says what, for the operator.
    `lasting`: asking again gives the same (too large, not found), so it is not asked again."""

    def __init__(self, reason: str, lasting: bool = False) -> None:
        super().__init__(reason)
        self.lasting = lasting


class Fetched:
    def __init__(self, body: bytes | None, etag: str | None, last_modified: str | None) -> None:
        self.body = body  # None: not modified since the last poll
        self.etag = etag
        self.last_modified = last_modified


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    settings: WatchSettings,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """One document, within the time and size limits, whatever the server does."""
    headers = {"Accept": "application/atom+xml, application/rss+xml, application/cap+xml, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    limit = settings.max_document_bytes
    try:
        # A total deadline: a server that drips a byte a second never trips a read timeout.
        async with asyncio.timeout(settings.timeout_s):
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(None, etag, last_modified)
                if response.status_code != 200:
                    lasting = response.status_code in (404, 410)
                    raise SourceFailed(f"{url}: HTTP {response.status_code}", lasting)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise SourceFailed(
                        f"{url}: {declared} bytes, over the {limit}-byte limit", lasting=True
                    )
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise SourceFailed(f"{url}: over the {limit}-byte limit", lasting=True)
                return Fetched(
                    bytes(body), response.headers.get("etag"), response.headers.get("last-modified")
                )
    except TimeoutError:
        raise SourceFailed(f"{url}: no complete answer within {settings.timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise SourceFailed(f"{url}: {type(exc).__name__} {exc}".strip()) from None


class SourcePoller:
    def __init__(
        self,
        redis: Redis,
        client: httpx.AsyncClient,
        source: WatchSource,
        settings: WatchSettings,
        hand_over: Handover,
    ) -> None:
        self.redis = redis
        self.client = client
        self.source = source
        self.settings = settings
        self.hand_over = hand_over

    async def run(self) -> None:
        while True:
            errors = 0
            if await watch.take_poll(self.redis, self.source.name, self.source.interval_s):
                errors = await self.poll_once()
            await asyncio.sleep(self.wait_s(errors))

    def wait_s(self, errors_in_a_row: int) -> float:
        """The interval, doubled for each failure in a row up to the cap, with a little
        jitter so that replicas and sources do not poll in step."""
        wait: float = self.source.interval_s * 2 ** min(errors_in_a_row, 16)
        cap = max(self.settings.max_backoff_s, self.source.interval_s)
        return min(wait, cap) * (1 + random.uniform(0, 0.1))

    async def poll_once(self) -> int:
        """Poll the source; the failures in a row since its last success. A source that
        answers is answering, even if a document it lists could not be fetched (that one is
        tried again at the next poll, and its reason shown)."""
        health = await watch.source(self.redis, self.source.name, self.source.url)
        now = datetime.now(UTC)
        health.last_attempt = now
        try:
            handed, failures = await self._poll(health)
        except SourceFailed as exc:
            health.errors += 1
            health.errors_in_a_row += 1
            health.last_error = str(exc)
            WATCH_SOURCE_ERRORS.labels(self.source.name).inc()
            log.warning("watch source %s failed: %s", self.source.name, exc)
        else:
            health.errors_in_a_row = 0
            health.last_error = None
            health.last_success = now
            health.alerts_seen += handed
            health.errors += len(failures)
            WATCH_SOURCE_SUCCESS.labels(self.source.name).set(now.timestamp())
            if failures:
                # Kept until another document fails: the operator may look later.
                health.last_refused = _summary(failures)
                WATCH_SOURCE_ERRORS.labels(self.source.name).inc(len(failures))
                log.warning("watch source %s: %s", self.source.name, health.last_refused)
        await watch.save_source(self.redis, health)
        return health.errors_in_a_row

    async def _poll(self, health: watch.SourceHealth) -> tuple[int, list[str]]:
        """(documents handed on, why others could not be fetched)."""
        url = self.source.url
        index = await fetch(self.client, url, self.settings, health.etag, health.last_modified)
        if index.body is None:
            return 0, []
        try:
            links = cap_links(index.body, url)
        except FeedError as exc:
            raise SourceFailed(f"{url}: {exc}") from None
        if links is None:  # the source is a single CAP document
            await self.hand_over(index.body, self.source.name, url)
            handed, failures = 1, list[str]()
        else:
            handed, failures, retry = await self._documents(links)
            if retry:
                return handed, failures  # the feed is read again, for what failed
        # Remembered once everything it listed was handed on (or refused for good).
        health.etag, health.last_modified = index.etag, index.last_modified
        return handed, failures

    async def _documents(self, links: list[str]) -> tuple[int, list[str], bool]:
        """(documents handed on, why others were not, whether some are to be tried again)."""
        failures: list[str] = []
        handed = 0
        retry = False
        for link in await watch.unfetched(self.redis, self.source.name, links):
            try:
                document = await fetch(self.client, link, self.settings)
            except SourceFailed as exc:
                failures.append(str(exc))  # the others still come in
                if exc.lasting:
                    await watch.mark_fetched(self.redis, self.source.name, link)
                retry = retry or not exc.lasting
                continue
            assert document.body is not None  # asked unconditionally
            # Handed on first, remembered second: a crash in between hands it on again,
            # and the watch knows it by its sender and identifier.
            await self.hand_over(document.body, self.source.name, link)
            await watch.mark_fetched(self.redis, self.source.name, link)
            handed += 1
        return handed, failures, retry


def _summary(failures: list[str]) -> str:
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return failures[0] + more
