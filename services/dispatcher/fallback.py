"""A national an alert failed to on every channel it went to is tried once on the other
channels they have: those they did not choose, or the crisis did not use."""

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Self

from schemas.alerts import Addressee, AlertJob, addressee
from schemas.crisis import Channel, CrisisEvent, MsgType
from schemas.topics import ALERT_JOBS, ALERT_JOBS_PRIORITY
from services.common.runtime import Runtime
from services.state import crises, fallbacks
from services.state.directory import nationals_by_id, reachable
from services.state.records import CONTACT_FIELD

log = logging.getLogger("vigie.dispatcher")

Row = tuple[str, str | None, list[Channel], list[Channel]]


class OtherChannels:
    """The people of a job whose delivery fails on its channel, with where the alert went
    to them and the other addresses they gave. Asked before their failure is settled (no
    status shows the crisis settled while a fallback is due), and after it (when two
    channels fail a person at once, the later one sees both)."""

    def __init__(
        self,
        rt: Runtime,
        job: AlertJob,
        people: dict[str, Addressee],
        rows: list[Row],
        addresses: dict[str, dict[Channel, str]],
    ) -> None:
        self.rt, self.job, self.people, self.rows, self.addresses = rt, job, people, rows, addresses

    @classmethod
    async def of(
        cls, rt: Runtime, job: AlertJob, event: CrisisEvent, failed: list[Addressee]
    ) -> Self | None:
        if job.msg_type not in (MsgType.ALERT, MsgType.UPDATE) or job.reminder or not failed:
            return None
        records = await nationals_by_id(rt.redis, [r["person_id"] for r in failed])
        rows: list[Row] = []
        addresses: dict[str, dict[Channel, str]] = {}
        for was in failed:
            record = records.get(was["person_id"])
            if record is None:  # a post's crisis cell
                continue
            # Every address they gave, also on a channel they chose not to be alerted on.
            mine = {c: str(record[f]) for c, f in CONTACT_FIELD.items() if record.get(f)}
            tried = [c for c, _ in reachable(record, event.channels)]
            others = [c for c in mine if c not in tried]
            if others:
                addresses[was["person_id"]] = mine
                rows.append((was["person_id"], was["post_id"], tried, others))
        people = {r["person_id"]: r for r in failed}
        return cls(rt, job, people, rows, addresses) if rows else None

    async def take(self, failing: Channel | None) -> None:
        """Those whose every channel failed (`failing`: the channel failing them now, not
        settled yet) get a job on each of their other channels."""
        taken = await fallbacks.take(
            self.rt.redis,
            self.job.crisis_id,
            self.job.event_identifier,
            crises.COUNTER_PREFIX[self.job.msg_type],
            self.rows,
            failing,
        )
        self.rows = [row for row in self.rows if row[0] not in taken]
        jobs: dict[Channel, list[Addressee]] = defaultdict(list)
        for person_id, channels in taken.items():
            was = self.people[person_id]
            for channel in channels:
                address = self.addresses[person_id][channel]
                jobs[channel].append(
                    addressee(
                        person_id,
                        address,
                        was["language"],
                        was["post_id"],
                        was["island_id"],
                        was["trip_id"],
                    )
                )
        topics = ALERT_JOBS_PRIORITY if self.job.priority else ALERT_JOBS
        for channel, recipients in jobs.items():
            other = self.job.model_copy(
                update={
                    "job_id": f"{self.job.job_id}:fallback:{channel.value}",
                    "channel": channel,
                    "recipients": recipients,
                    "created_at": datetime.now(UTC),
                }
            )
            topic = self.rt.topic(topics[channel])
            await self.rt.broker.publish(other, topic, key=other.job_id.encode())
            log.info(
                "%s: %d people no channel reached, tried on %s",
                self.job.crisis_id,
                len(recipients),
                channel.value,
            )
        await fallbacks.handed_on(
            self.rt.redis, self.job.crisis_id, self.job.event_identifier, list(taken)
        )
