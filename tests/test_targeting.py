"""Who a crisis reaches, end to end through ingest and the resolver."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import redis
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.alerts import Addressee, AlertJob, LeaderAlert, ReservistCandidates
from schemas.crisis import Channel
from schemas.topics import (
    ALERT_JOBS,
    ALERT_JOBS_PRIORITY,
    LEADER_ALERTS,
    RESERVIST_CANDIDATES,
    Topic,
)
from services.common.bus_reader import read_models, wait_for_models
from services.common.config import Settings
from services.common.transport import kafka_client_options
from services.state import keys
from tests.events import event_json, hydrologists
from tests.helpers import import_marrakech, publish, running

HYDROLOGISTS = hydrologists(2)


@dataclass
class Targeted:
    """A person as the fan-out jobs name them, over every channel's jobs."""

    person_id: str
    language: str
    post_id: str | None
    island_id: str | None
    trip_id: str | None
    channels: list[Channel] = field(default_factory=list)


async def _resolve(
    settings: Settings, *events: bytes, priority: bool = True, leaders: int = 0
) -> list[tuple[Channel, Addressee]]:
    """Each (channel, person) of the fan-out jobs."""
    topics = ALERT_JOBS_PRIORITY if priority else ALERT_JOBS
    async with running(settings, ["ingest", "resolver"]):
        for raw in events:
            await publish(settings, raw)
        # Everyone these crises reach has a phone: each event makes an SMS job.
        await wait_for_models(settings, topics[Channel.SMS], AlertJob, len(events))
        if leaders:
            await wait_for_models(settings, LEADER_ALERTS, LeaderAlert, leaders)
        await asyncio.sleep(0.5)
        jobs = {c: await read_models(settings, t, AlertJob) for c, t in topics.items()}
    for channel, found in jobs.items():
        assert all(job.channel is channel for job in found), f"a job on {channel}'s topic"
    return [(job.channel, r) for found in jobs.values() for job in found for r in job.recipients]


def _by_person(deliveries: list[tuple[Channel, Addressee]]) -> dict[str, Targeted]:
    found: dict[str, Targeted] = {}
    for channel, r in deliveries:
        person = found.setdefault(
            r["person_id"],
            Targeted(r["person_id"], r["language"], r["post_id"], r["island_id"], r["trip_id"]),
        )
        assert channel not in person.channels, f"{r['person_id']} is in two {channel} jobs"
        assert (person.language, person.post_id, person.island_id, person.trip_id) == (
            r["language"],
            r["post_id"],
            r["island_id"],
            r["trip_id"],
        ), f"{r['person_id']} is named differently on {channel}"
        person.channels.append(channel)
    return found


async def test_polygon_crisis_reaches_exactly_those_inside_or_travelling_there(
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await import_marrakech(settings, tmp_path)
    people = _by_person(await _resolve(settings, event_json("QUAKE-1"), leaders=2))
    assert set(people) == {"N-IN", "N-IN-EN", "N-SMS-ONLY", "N-TRAVELLER", "N-BOTH"}
    assert people["N-SMS-ONLY"].channels == ["sms"]
    assert sorted(people["N-IN"].channels) == ["email", "push", "sms"]
    assert people["N-IN-EN"].language == "en"
    assert people["N-TRAVELLER"].trip_id == "T-ACTIVE"
    assert people["N-TRAVELLER"].post_id == "CON-MARRAKECH"  # where the trip is
    assert people["N-IN"].island_id == "ISL-INSIDE"
    assert people["N-BOTH"].trip_id is None  # at home in the area: alerted once, as resident

    status = redis_client.hgetall(keys.status("QUAKE-1"))
    assert status["people"] == "6"  # five reachable and one without any contact point
    assert status["unreachable"] == "1"
    assert status["targeted:sms"] == "5"
    assert status["targeted:email"] == "4"
    assert status["post:CON-MARRAKECH:targeted:sms"] == "5"
    assert "CON-MARRAKECH" in status["posts"].split(",")


async def test_a_damaged_directory_record_is_skipped_and_everyone_else_is_reached(
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await import_marrakech(settings, tmp_path)
    for key in redis_client.scan_iter("dir:{*}:national"):
        if (record := redis_client.hget(key, "N-IN-EN")) is not None:
            redis_client.hset(key, "N-IN-EN", record.replace('"en"', "42"))
    people = _by_person(await _resolve(settings, event_json("QUAKE-1"), leaders=2))
    assert set(people) == {"N-IN", "N-SMS-ONLY", "N-TRAVELLER", "N-BOTH"}
    status = redis_client.hgetall(keys.status("QUAKE-1"))
    assert status["people"] == "6" and status["unreachable"] == "2"


async def test_a_crisis_s_jobs_are_shared_evenly_among_the_dispatcher_partitions(
    settings: Settings,
    tmp_path: Path,
) -> None:
    """Each dispatcher replica reads a share of the partitions: a crisis's jobs are spread
    one a partition in turn, so no replica gets more than its share to send."""
    await import_marrakech(settings, tmp_path)
    one_a_job = settings.changed(job_size=1)
    deliveries = await _resolve(one_a_job, event_json("QUAKE-1"), leaders=2)
    sms_jobs = sum(channel is Channel.SMS for channel, _ in deliveries)
    assert sms_jobs == 5
    per_partition = await _messages_per_partition(settings, ALERT_JOBS_PRIORITY[Channel.SMS])
    assert sorted(per_partition) == [0, 0, 0, 1, 1, 1, 1, 1]


async def _messages_per_partition(settings: Settings, topic: Topic) -> list[int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bus.bootstrap_servers, **kafka_client_options(settings)
    )
    await consumer.start()
    try:
        name = settings.bus.topic(topic)
        partitions = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        return [ends[p] - starts[p] for p in partitions]
    finally:
        await consumer.stop()


async def test_islands_meeting_the_area_bring_their_leaders_even_when_only_touching(
    settings: Settings,
    tmp_path: Path,
) -> None:
    await import_marrakech(settings, tmp_path)
    await _resolve(settings, event_json("QUAKE-2"), leaders=2)
    alerts = {a.island_id: a for a in await read_models(settings, LEADER_ALERTS, LeaderAlert)}
    assert set(alerts) == {"ISL-INSIDE", "ISL-TOUCHING"}
    touching = alerts["ISL-TOUCHING"]
    assert touching.leader is not None and touching.leader.person_id == "N-EDGE-N"
    assert [d.person_id for d in touching.deputies] == ["N-CASA", "N-EDGE-W"]
    assert touching.post_id == "CON-MARRAKECH"


async def test_country_code_crisis_reaches_the_whole_country_and_nobody_else(
    settings: Settings,
    tmp_path: Path,
) -> None:
    await import_marrakech(settings, tmp_path)
    event = event_json(
        "UNREST-MA",
        areas=[{"description": "Maroc", "countries": ["MA"]}],
        urgency="Expected",
        severity="Moderate",
        reservist_needs=[],
    )
    people = _by_person(await _resolve(settings, event, priority=False, leaders=3))
    assert set(people) == {
        "N-IN",
        "N-IN-EN",
        "N-EDGE-N",
        "N-EDGE-W",
        "N-CASA",
        "N-SMS-ONLY",
        "N-BOTH",
        "N-TRAVELLER",
    }
    assert people["N-CASA"].post_id == "EMB-MA"
    alerts = {a.island_id for a in await read_models(settings, LEADER_ALERTS, LeaderAlert)}
    assert alerts == {"ISL-INSIDE", "ISL-TOUCHING", "ISL-CASA"}


async def test_reservist_candidates_match_skill_language_and_availability_nearest_first(
    settings: Settings,
    tmp_path: Path,
) -> None:
    await import_marrakech(settings, tmp_path)
    await _resolve(settings, event_json("FLOOD-1", reservist_needs=HYDROLOGISTS), leaders=2)
    [found] = await wait_for_models(settings, RESERVIST_CANDIDATES, ReservistCandidates, 1)
    assert found.need.need_id == "hydro"
    assert [c.reservist_id for c in found.candidates] == ["R-NEAR", "R-MID", "R-FAR"]
