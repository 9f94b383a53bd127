"""Prometheus metrics every service exposes on /metrics (services/common/ops_server.py)."""

import asyncio
from typing import Any

from faststream.kafka import KafkaBroker
from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "vigie_events_total",
    "Crisis events by what became of them: accepted, rejected, duplicate, held, released.",
    ["outcome"],
)
JOBS = Counter("vigie_fanout_jobs_total", "Fan-out jobs published, per lane.", ["lane"])
RECIPIENTS = Counter("vigie_fanout_recipients_total", "Recipients put in fan-out jobs.", ["lane"])
DELIVERIES = Counter(
    "vigie_deliveries_total",
    "Deliveries settled, per channel and outcome (sent, failed, skipped, not_needed).",
    ["channel", "outcome"],
)
PROVIDER_SECONDS = Histogram(
    "vigie_provider_call_seconds",
    "Time a provider took to take one call (a batch of SMS or push, one email).",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PROVIDER_FAILING = Gauge(
    "vigie_provider_failing",
    "1 while a channel's provider cannot take messages (its deliveries wait), else 0.",
    ["channel"],
)
WAITING = Gauge(
    "vigie_deliveries_waiting",
    "Deliveries this process holds while their provider cannot take them.",
    ["channel"],
)
WATCH_SOURCE_SUCCESS = Gauge(
    "vigie_watch_source_last_success_seconds",
    "When a watch source last answered (Unix time).",
    ["source"],
)
WATCH_SOURCE_ERRORS = Counter(
    "vigie_watch_source_errors_total",
    "A watch source's failures: unreachable, timed out, too large, not a feed.",
    ["source"],
)
WATCH_ALERTS_SEEN = Counter(
    "vigie_watch_alerts_total",
    "Other issuers' alerts the watch read, per source and outcome (listed, ended, repeat, "
    "expired, refused).",
    ["source", "outcome"],
)
CONSUMER_LAG = Gauge(
    "vigie_consumer_lag",
    "Messages in a partition not yet read by this process's consumer.",
    ["topic", "partition", "group"],
)


async def watch_consumer_lag(broker: KafkaBroker, every_s: float = 2.0) -> None:
    """Keep CONSUMER_LAG current for the partitions this process's consumers hold now (a
    partition not yet fetched shows NaN; one handed to another replica disappears)."""
    while True:
        current: dict[tuple[str, str, str], float] = {}
        for consumer in _consumers(broker):
            group = str(getattr(consumer, "_group_id", "") or "")
            for partition in list(consumer.assignment()):
                # A rebalance may take the partition away at any await (aiokafka then
                # asserts it is not assigned): the next round tells. A gauge must never
                # stop the process that sends the alerts.
                try:
                    highwater = consumer.highwater(partition)
                    position = await consumer.position(partition)
                except Exception:
                    continue
                lag = float("nan") if highwater is None else max(highwater - position, 0)
                current[(partition.topic, str(partition.partition), group)] = lag
        CONSUMER_LAG.clear()
        for labels, lag in current.items():
            CONSUMER_LAG.labels(*labels).set(lag)
        await asyncio.sleep(every_s)


def _consumers(broker: KafkaBroker) -> list[Any]:
    """The Kafka consumers of the process's subscribers: one each, or several for a
    subscriber that runs a consumer per worker (`max_workers`)."""
    found: list[Any] = []
    for subscriber in broker.subscribers:
        found += getattr(subscriber, "consumer_subgroup", None) or [
            c for c in [getattr(subscriber, "consumer", None)] if c is not None
        ]
    return found
