"""The resolver consumer group: crisis.accepted -> fan-out jobs, leader alerts, candidates."""

import logging
import zlib
from collections import Counter
from datetime import UTC, datetime

from redis.typing import EncodableT, FieldT

from schemas.alerts import Addressee, AlertJob, LeaderAlert, Recipient, ReservistCandidates
from schemas.crisis import Channel, CrisisEvent, MsgType
from schemas.topics import (
    ALERT_JOBS,
    ALERT_JOBS_PRIORITY,
    CRISIS_ACCEPTED,
    LEADER_ALERTS,
    RESERVIST_CANDIDATES,
    Topic,
)
from services.common import crises
from services.common.in_flight import InFlight
from services.common.metrics import JOBS, RECIPIENTS
from services.common.runtime import Runtime
from services.common.topic_admin import partition_counts
from services.directory.records import IslandRow
from services.resolver.directory_view import DirectoryCache, DirectoryView
from services.resolver.gate import Gate
from services.resolver.geometry import TargetArea, target_area
from services.resolver.people import PeopleFinder, nationals_by_id
from services.resolver.recipients import addressees, to_recipient
from services.resolver.reservists import candidates

log = logging.getLogger("vigie.resolver")
STAGE = "resolver"


class Resolver:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.cache = DirectoryCache(rt.redis)
        self.gate = Gate(rt.redis, rt.settings.approval_above_people)
        self.partitions: dict[Topic, int] = {}

    async def handle(self, event: CrisisEvent) -> None:
        # Before the event is recorded: a held Update must not supersede the alert in force.
        if await self.gate.holds_back(event):
            return
        await crises.record_event(self.rt.redis, event)
        # A Cancel reaches the people the alert in force reached, with a correction.
        source = event
        if event.msg_type is MsgType.CANCEL:
            latest = await crises.latest_alert(self.rt.redis, event.crisis_id)
            if latest is None:
                log.warning("cancel %s for unknown crisis %s", event.identifier, event.crisis_id)
                return
            source = latest
        view = await self.cache.current()
        area = target_area(source.areas)
        counts: Counter[str] = Counter()
        jobs = await self._fan_out(event, area, view, counts)
        islands = self._islands(area, view)
        for island in islands:
            await self._alert_leader(event, island)
        if event.msg_type is not MsgType.CANCEL:
            for need in event.reservist_needs:
                found = candidates(need, view.reservists, area.centre)
                await self.rt.broker.publish(
                    ReservistCandidates(
                        crisis_id=event.crisis_id,
                        event_identifier=event.identifier,
                        need=need,
                        candidates=found,
                    ),
                    self.rt.topic(RESERVIST_CANDIDATES),
                    key=event.crisis_id.encode(),
                )
        await self._seed_status(event, counts, jobs, islands, self._posts(area, view, counts))
        log.info(
            "resolved %s %s: %d people, %d jobs, %d islands",
            event.msg_type.value,
            event.identifier,
            counts["people"],
            jobs,
            len(islands),
        )

    async def _fan_out(
        self, event: CrisisEvent, area: TargetArea, view: DirectoryView, counts: Counter[str]
    ) -> int:
        """Jobs per channel, each to that channel's topic; returns how many."""
        topics = ALERT_JOBS_PRIORITY if event.is_priority else ALERT_JOBS
        lane = "priority" if event.is_priority else "routine"
        in_flight = InFlight()
        size = self.rt.settings.job_size
        pending: dict[Channel, list[Addressee]] = {channel: [] for channel in Channel}
        published: Counter[Channel] = Counter()
        start = zlib.crc32(event.identifier.encode())

        async def publish(channel: Channel, batch: list[Addressee]) -> None:
            job_id = f"{event.identifier}:{channel.value}:{published[channel]}"
            # Made without validating again: `addressees` validated each person already (a
            # bad record is skipped there, not the job), and the rest is the event's.
            job = AlertJob.model_construct(
                job_id=job_id,
                crisis_id=event.crisis_id,
                event_identifier=event.identifier,
                msg_type=event.msg_type,
                priority=event.is_priority,
                channel=channel,
                recipients=batch,
                created_at=datetime.now(UTC),
            )
            topic = topics[channel]
            publishing = self.rt.broker.publish(
                job,
                self.rt.topic(topic),
                key=job_id.encode(),
                partition=self._spread(topic, start + published[channel]),
            )
            await in_flight.add(publishing)
            published[channel] += 1
            JOBS.labels(lane).inc()
            RECIPIENTS.labels(lane).inc(len(batch))

        async for people in PeopleFinder(self.rt.redis, area, event.sent.date()).people():
            for channel, found in addressees(people, view, event.channels, counts).items():
                pending[channel] += found
            for channel, waiting in pending.items():
                # The first people found leave at once; then jobs fill up, as each job
                # costs the dispatchers a round of provider calls whatever its size.
                while waiting and (published[channel] == 0 or len(waiting) >= size):
                    await publish(channel, waiting[:size])
                    del waiting[:size]
        for channel, waiting in pending.items():
            if waiting:
                await publish(channel, waiting)
        await in_flight.drain()
        return sum(published.values())

    def _spread(self, topic: Topic, n: int) -> int | None:
        """The partition of a crisis's n-th job on a topic: its jobs go round the topic's
        partitions (from a place set by the event). Each dispatcher replica holds a share
        of the partitions, and hashing the job's key gave some a quarter more jobs than
        others, whose replica then finished last, alone. Jobs need no order between them.
        None (the key decides) for a topic whose partitions are not known."""
        count = self.partitions.get(topic)
        return n % count if count else None

    async def learn_partitions(self) -> None:
        topics = [*ALERT_JOBS.values(), *ALERT_JOBS_PRIORITY.values()]
        self.partitions = await partition_counts(self.rt.settings, topics)
        if unknown := [self.rt.topic(t) for t in topics if t not in self.partitions]:
            log.warning(
                "partitions of %s unknown: their jobs go by key hash, which may load "
                "dispatcher replicas unevenly",
                ", ".join(unknown),
            )

    def _islands(self, area: TargetArea, view: DirectoryView) -> list[IslandRow]:
        found = {i.id: i for i in view.islands_meeting(area.shape)} if area.shape else {}
        coded_posts = {
            p.id
            for p in view.posts.values()
            if set(p.district_countries) & area.countries or set(p.district_regions) & area.regions
        }
        for island in view.islands:
            if island.post_id in coded_posts:
                found.setdefault(island.id, island)
        return sorted(found.values(), key=lambda i: i.id)

    def _posts(self, area: TargetArea, view: DirectoryView, counts: Counter[str]) -> list[str]:
        posts = {p.id for p in view.posts_meeting(area.shape)} if area.shape else set()
        posts |= {
            p.id
            for p in view.posts.values()
            if set(p.district_countries) & area.countries or set(p.district_regions) & area.regions
        }
        posts |= {
            key.split(":")[1]
            for key in counts
            if key.startswith("post:") and key.split(":")[1] != "None"
        }
        return sorted(posts)

    async def _alert_leader(self, event: CrisisEvent, island: IslandRow) -> None:
        people = await nationals_by_id(self.rt.redis, [island.leader_id, *island.deputy_ids])

        def recipient(person_id: str) -> Recipient | None:
            person = people.get(person_id)
            if person is None:
                return None
            return to_recipient(person, event.channels, island.id, island.post_id)

        deputies = [r for r in map(recipient, island.deputy_ids) if r is not None]
        alert = LeaderAlert(
            crisis_id=event.crisis_id,
            event_identifier=event.identifier,
            msg_type=event.msg_type,
            island_id=island.id,
            island_name=island.name,
            post_id=island.post_id,
            leader=recipient(island.leader_id),
            deputies=deputies,
        )
        await self.rt.broker.publish(alert, self.rt.topic(LEADER_ALERTS), key=island.id.encode())

    async def _seed_status(
        self,
        event: CrisisEvent,
        counts: Counter[str],
        jobs: int,
        islands: list[IslandRow],
        posts: list[str],
    ) -> None:
        # Set, not incremented: a re-read of this event must not count people twice.
        prefix = crises.COUNTER_PREFIX[event.msg_type]
        fields: dict[FieldT, EncodableT] = {f"{prefix}{k}": v for k, v in counts.items()}
        fields.update(
            {
                f"{prefix}jobs": jobs,
                f"{prefix}islands": len(islands),
                f"{prefix}posts": ",".join(posts),
                f"{prefix}resolved_at": datetime.now(UTC).isoformat(),
            }
        )
        await self.rt.redis.hset(crises.status_key(event.crisis_id), mapping=fields)


def register(rt: Runtime) -> None:
    resolver = Resolver(rt)
    rt.startup.append(resolver.cache.current)
    rt.startup.append(resolver.learn_partitions)

    @rt.subscribe(CRISIS_ACCEPTED, STAGE)
    async def resolve(event: CrisisEvent) -> None:
        await resolver.handle(event)
