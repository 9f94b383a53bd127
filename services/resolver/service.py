"""The resolver consumer group: crisis.accepted -> fan-out jobs, leader alerts, candidates."""

import logging
import zlib
from collections import Counter
from datetime import UTC, datetime

from schemas.alerts import Addressee, AlertJob, LeaderAlert, Recipient, ReservistCandidates
from schemas.crisis import Channel, CrisisEvent, MsgType, Status
from schemas.topics import (
    ALERT_JOBS,
    ALERT_JOBS_PRIORITY,
    CRISIS_ACCEPTED,
    LEADER_ALERTS,
    RESERVIST_CANDIDATES,
    Topic,
)
from services.common.in_flight import InFlight
from services.common.metrics import JOBS, RECIPIENTS
from services.common.runtime import Runtime
from services.common.topic_admin import partition_counts
from services.places.directory_view import DirectoryCache, DirectoryView
from services.places.geometry import TargetArea, target_area
from services.places.posts import area_posts, islands_concerned, posts_concerned
from services.resolver.audience import Audience, audience_of
from services.resolver.gate import Gate
from services.resolver.reach import people_reached
from services.resolver.recipients import addressees, post_cells, to_recipient
from services.resolver.reservists import candidates
from services.state import calllist, crises, reminders
from services.state.directory import nationals_by_id
from services.state.records import IslandRow
from services.trust import holds

log = logging.getLogger("vigie.resolver")
STAGE = "resolver"


def _why_unsent(event: CrisisEvent) -> str:
    if event.msg_type in (MsgType.ACK, MsgType.ERROR):
        return f"an {event.msg_type.value} is recorded, never sent"
    return f"status {event.status.value} never reaches anyone"


class Resolver:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.cache = DirectoryCache(rt.redis)
        self.gate = Gate(rt.redis, rt.settings.trust.approval_above_people)
        self.partitions: dict[Topic, int] = {}

    async def handle(self, event: CrisisEvent) -> None:
        if event.is_record_only:
            why = _why_unsent(event)
            await crises.record_unsent(self.rt.redis, event, why)
            log.info("%s %s recorded, sent to nobody: %s", event.status, event.identifier, why)
            return
        kept = await self._in_kind(event)
        if kept is None:
            return
        event = kept
        # Made once: a country's outline of tens of thousands of vertices takes a while.
        area = target_area(event.areas)
        # Before the event is recorded: a held Update must not supersede the alert in force.
        if await self.gate.holds_back(event, area):
            return
        await crises.record_event(self.rt.redis, event)
        # A Cancel reaches the people the alert in force reached, with a correction.
        if event.msg_type is MsgType.CANCEL:
            latest = await crises.latest_alert(self.rt.redis, event.crisis_id)
            if latest is None:
                log.warning("cancel %s for unknown crisis %s", event.identifier, event.crisis_id)
                await crises.note(
                    self.rt.redis,
                    event.crisis_id,
                    f"Cancel {event.identifier} of a message Vigie never sent: nobody alerted",
                )
                return
            area = target_area(latest.areas)
        audience = audience_of(event)
        view = await self.cache.current()
        counts: Counter[str] = Counter()
        jobs = await self._fan_out(event, area, view, counts, audience)
        islands = islands_concerned(area, view) if audience.leaders else []
        for island in islands:
            await self._alert_leader(event, island, audience)
        if event.msg_type is not MsgType.CANCEL and audience.reservists:
            reservists = [r for r in view.reservists if audience.admits(r.model_dump())]
            for need in event.reservist_needs:
                found = candidates(need, reservists, area.centre)
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
        await self._seed_status(event, counts, jobs, islands, posts_concerned(area, view, counts))
        if event.msg_type is not MsgType.CANCEL:
            delay = self.rt.settings.answers.safety_reminder_s
            await reminders.schedule(self.rt.redis, event.crisis_id, delay)
        log.info(
            "resolved %s %s %s: %d people, %d jobs, %d islands",
            event.status.value,
            event.msg_type.value,
            event.identifier,
            counts["people"],
            jobs,
            len(islands),
        )

    async def _in_kind(self, event: CrisisEvent) -> CrisisEvent | None:
        """The event as it must be handled, or None when refused: a drill and a real alert
        never mix, so an exercise can never be turned real by a later message."""
        if not event.references:
            return event
        recorded = await crises.crisis_status(self.rt.redis, event.crisis_id)
        if recorded is None:
            # An Update of a message Vigie never saw is the crisis's first alert.
            if event.msg_type is MsgType.UPDATE:
                return event.model_copy(update={"msg_type": MsgType.ALERT})
            return event
        if recorded is event.status:
            return event
        if event.msg_type is MsgType.CANCEL and event.status is Status.ACTUAL:
            # Withdrawing a drill is part of the drill: its corrections are marked too.
            return event.model_copy(update={"status": recorded})
        reason = (
            f"{event.identifier}: a {event.status.value} {event.msg_type.value} cannot refer "
            f"to crisis {event.crisis_id}, which is {recorded.value}"
        )
        log.warning("refused %s", reason)
        await holds.reject(self.rt.redis, event.crisis_id, event.identifier, reason)
        await self.rt.dead_letter(STAGE, reason, event.model_dump_json().encode(), CRISIS_ACCEPTED)
        return None

    async def _fan_out(
        self,
        event: CrisisEvent,
        area: TargetArea,
        view: DirectoryView,
        counts: Counter[str],
        audience: Audience,
    ) -> int:
        """Jobs per channel, each to that channel's topic; returns how many."""
        topics = ALERT_JOBS_PRIORITY if event.is_priority else ALERT_JOBS
        lane = "priority" if event.is_priority else "routine"
        in_flight = InFlight()
        size = self.rt.settings.delivery.job_size
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

        if audience.post_cells:
            for channel, cells in post_cells(area_posts(area, view), event.channels, counts):
                pending[channel] += cells
        async for people in people_reached(self.rt.redis, event, area, audience):
            without_contact: dict[str, str] = {}
            found_now = addressees(people, view, event.channels, counts, without_contact)
            for channel, found in found_now.items():
                pending[channel] += found
            if without_contact:
                await calllist.remember_failed(self.rt.redis, event.crisis_id, without_contact)
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

    async def _alert_leader(
        self, event: CrisisEvent, island: IslandRow, audience: Audience
    ) -> None:
        people = await nationals_by_id(self.rt.redis, [island.leader_id, *island.deputy_ids])

        def recipient(person_id: str) -> Recipient | None:
            person = people.get(person_id)
            if person is None or not audience.admits_leader(person):
                return None
            return to_recipient(person, event.channels, island.id, island.post_id)

        deputies = [r for r in map(recipient, island.deputy_ids) if r is not None]
        leader = recipient(island.leader_id)
        if audience.leaders_enrolled and leader is None and not deputies:
            return  # a technical test reaches only the leaders flagged for tests
        alert = LeaderAlert(
            crisis_id=event.crisis_id,
            event_identifier=event.identifier,
            msg_type=event.msg_type,
            island_id=island.id,
            island_name=island.name,
            post_id=island.post_id,
            leader=leader,
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
        prefix = crises.COUNTER_PREFIX[event.msg_type]
        fields: dict[str, str | int] = {f"{prefix}{k}": v for k, v in counts.items()}
        fields.update(
            {
                f"{prefix}jobs": jobs,
                f"{prefix}islands": len(islands),
                f"{prefix}posts": ",".join(posts),
                f"{prefix}resolved_at": datetime.now(UTC).isoformat(),
            }
        )
        await crises.seed_counters(self.rt.redis, event.crisis_id, fields)


def register(rt: Runtime) -> None:
    resolver = Resolver(rt)
    rt.startup.append(resolver.cache.current)
    rt.startup.append(resolver.learn_partitions)

    @rt.subscribe(CRISIS_ACCEPTED, STAGE)
    async def resolve(event: CrisisEvent) -> None:
        await resolver.handle(event)
