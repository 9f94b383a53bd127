"""The safety check's reminder: a while after a crisis's alert, each national it reached who
has not answered gets it once more, on a channel of theirs it was not tried on."""

import logging
from collections import Counter, defaultdict
from datetime import UTC, datetime

from schemas.alerts import Addressee, AlertJob, addressee
from schemas.crisis import Channel
from schemas.topics import ALERT_JOBS
from services.common.runtime import Runtime
from services.state import calllist, crises
from services.state.directory import nationals_by_id
from services.state.records import CONTACT_FIELD

log = logging.getLogger("vigie.responses")

# The channels a reminder may take, those that carry a way to answer first.
ORDER = (Channel.SMS, Channel.EMAIL, Channel.PUSH)
JOB_SIZE = 1_000


async def remind(rt: Runtime, crisis_id: str) -> None:
    """The reminders of the crisis's alert in force, as jobs for the routine dispatchers;
    nothing once the crisis is cancelled. Its timer is over once they are published."""
    event = await crises.latest_alert(rt.redis, crisis_id)
    if event is None or await crises.is_cancelled(rt.redis, crisis_id):
        return None
    silent = await calllist.silent(rt.redis, crisis_id)
    records = await nationals_by_id(rt.redis, list(silent))  # a post's crisis cell has none
    jobs: dict[Channel, list[Addressee]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for person_id, record in records.items():
        tried, (post_id, island_id) = silent[person_id]
        for channel in ORDER:
            address = record.get(CONTACT_FIELD[channel])
            if address and channel not in tried:
                post = post_id or None
                jobs[channel].append(
                    addressee(
                        person_id,
                        str(address),
                        str(record.get("language") or "fr"),
                        post,
                        island_id or None,
                    )
                )
                counts[f"targeted:{channel.value}"] += 1
                counts[f"post:{post}:targeted:{channel.value}"] += 1
                break
    prefix = crises.REMINDER_PREFIX
    fields: dict[str, str | int] = {f"{prefix}{k}": v for k, v in counts.items()}
    fields[f"{prefix}resolved_at"] = datetime.now(UTC).isoformat()
    await crises.seed_counters(rt.redis, crisis_id, fields)
    for channel, recipients in jobs.items():
        for number, start in enumerate(range(0, len(recipients), JOB_SIZE)):
            batch = recipients[start : start + JOB_SIZE]
            job = AlertJob(
                job_id=f"{event.identifier}/reminder:{channel.value}:{number}",
                crisis_id=crisis_id,
                event_identifier=event.identifier,
                msg_type=event.msg_type,
                priority=False,
                channel=channel,
                recipients=batch,
                created_at=datetime.now(UTC),
                reminder=True,
            )
            await rt.broker.publish(job, rt.topic(ALERT_JOBS[channel]), key=job.job_id.encode())
    log.info(
        "%s: reminded %d people who have not answered, %s",
        crisis_id,
        sum(len(r) for r in jobs.values()),
        ", ".join(f"{c.value} {len(r)}" for c, r in jobs.items()) or "none on another channel",
    )
