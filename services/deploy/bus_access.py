"""Who may do what on the bus: the topics each service reads and writes and the consumer
groups it joins. A secured Kafka grants exactly this (`vigie topics grant`), so that a service
cannot write a topic it does not own: the dispatcher cannot forge a crisis event, only ingest
reads them."""

from dataclasses import dataclass

from schemas.crisis import Channel
from schemas.topics import (
    ALERT_JOBS,
    ALERT_JOBS_PRIORITY,
    CRISIS_ACCEPTED,
    CRISIS_APPROVALS,
    CRISIS_EVENTS,
    DEAD_LETTERS,
    DELIVERY_REPORTS,
    EXTERNAL_ALERTS,
    LEADER_ALERTS,
    NOTICES,
    RESERVIST_CANDIDATES,
    RESPONSES,
    Topic,
)


@dataclass(frozen=True)
class Access:
    reads: tuple[Topic, ...]
    writes: tuple[Topic, ...]
    groups: tuple[str, ...]  # consumer groups, by stage (BusSettings.group names them)


_CHANNELS = tuple(channel.value for channel in Channel)

# Keyed by what `vigie run` starts; "operator" is the `vigie` CLI of the crisis centre.
ACCESS: dict[str, Access] = {
    "ingest": Access(
        reads=(CRISIS_EVENTS, CRISIS_APPROVALS),
        writes=(CRISIS_ACCEPTED, DEAD_LETTERS),
        groups=("ingest", "approvals"),
    ),
    "resolver": Access(
        reads=(CRISIS_ACCEPTED,),
        writes=(
            *ALERT_JOBS.values(),
            *ALERT_JOBS_PRIORITY.values(),
            LEADER_ALERTS,
            RESERVIST_CANDIDATES,
            DEAD_LETTERS,
        ),
        groups=("resolver",),
    ),
    # A person every channel of an alert failed is tried on their others: a job of the
    # same lane.
    "dispatcher": Access(
        reads=tuple(ALERT_JOBS.values()),
        writes=(*ALERT_JOBS.values(), DELIVERY_REPORTS, DEAD_LETTERS),
        groups=tuple(f"dispatcher-{channel}" for channel in _CHANNELS),
    ),
    "dispatcher-priority": Access(
        reads=(*ALERT_JOBS_PRIORITY.values(), NOTICES),
        writes=(*ALERT_JOBS_PRIORITY.values(), DELIVERY_REPORTS, DEAD_LETTERS),
        groups=(*(f"dispatcher-priority-{c}" for c in _CHANNELS), "dispatcher-priority-notices"),
    ),
    "leaders": Access(reads=(LEADER_ALERTS, RESPONSES), writes=(NOTICES,), groups=("leaders",)),
    "reservists": Access(
        reads=(RESERVIST_CANDIDATES, RESPONSES), writes=(NOTICES,), groups=("reservists",)
    ),
    # The safety check's reminders go as routine alert jobs.
    "responses": Access(
        reads=(RESPONSES,),
        writes=(*ALERT_JOBS.values(), RESPONSES, NOTICES, DEAD_LETTERS),
        groups=("safety",),
    ),
    # The watch's pollers hand what their feeds bring to its consumers, on its own topic;
    # it writes nothing any other service reads.
    "watch": Access(
        reads=(EXTERNAL_ALERTS,),
        writes=(EXTERNAL_ALERTS, DEAD_LETTERS),
        groups=("watch",),
    ),
    "operator": Access(
        reads=(CRISIS_ACCEPTED, DEAD_LETTERS),
        writes=(CRISIS_EVENTS, CRISIS_APPROVALS),
        groups=(),
    ),
}


def user_of(principal: str, user_prefix: str = "vigie-") -> str:
    """The Kafka user a service signs in as: vigie-ingest, vigie-operator..."""
    return user_prefix + principal
