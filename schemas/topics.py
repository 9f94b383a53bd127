"""Every Kafka topic Vigie uses, named once."""

from dataclasses import dataclass

from schemas.crisis import Channel

# The largest message a topic takes, and producers send: a real issuer's CAP document with a
# country's outline (100,000 vertices) is about 2 MiB as XML and as JSON.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def min_insync(replication: int) -> int:
    """Writes wait for this many copies: with three, one broker may be down and nothing
    acknowledged is lost; with one (a single local broker), there is no choice."""
    return 2 if replication >= 3 else 1


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    description: str
    retention_days: int = 7  # how long the broker keeps what was published

    def configs(self, replication: int = 1) -> dict[str, str]:
        return {
            "retention.ms": str(self.retention_days * 86_400_000),
            "max.message.bytes": str(MAX_MESSAGE_BYTES),
            **({"min.insync.replicas": str(min_insync(replication))} if replication > 1 else {}),
        }


CRISIS_EVENTS = Topic(
    "crisis.events",
    4,
    "Raw crisis events from the crisis centre (JSON or CAP 1.2 XML).",
    retention_days=90,
)
CRISIS_ACCEPTED = Topic(
    "crisis.accepted", 4, "Validated, authenticated, de-duplicated crisis events."
)
CRISIS_APPROVALS = Topic(
    "crisis.approvals",
    1,
    "A second operator's signed approvals of events held for one.",
    retention_days=90,
)
# Fan-out jobs, a topic per lane and channel: each channel's dispatchers read only theirs.
ALERT_JOBS: dict[Channel, Topic] = {
    channel: Topic(
        f"alerts.jobs.{channel.value}",
        8,
        f"Routine fan-out jobs: batches of recipients to alert by {channel.value}.",
    )
    for channel in Channel
}
ALERT_JOBS_PRIORITY: dict[Channel, Topic] = {
    channel: Topic(
        f"alerts.jobs.priority.{channel.value}",
        8,
        f"Fan-out jobs of Extreme or Immediate crises by {channel.value} (own lane).",
    )
    for channel in Channel
}
LEADER_ALERTS = Topic("alerts.leaders", 4, "Alerts to security-island leaders awaiting an ack.")
RESERVIST_CANDIDATES = Topic(
    "reservists.candidates", 4, "Ranked reservist candidates per reservist need."
)
NOTICES = Topic(
    "alerts.notices",
    4,
    "Messages to one person: leader alerts awaiting an ack, reservist activation requests, "
    "warnings to posts and the crisis centre.",
)
RESPONSES = Topic("responses", 4, "Answers from people: acks, safety answers, accept/decline.")
DELIVERY_REPORTS = Topic(
    "delivery.reports", 8, "Outcome of every delivery attempt.", retention_days=30
)
# The watch (veille): official alerts of other issuers, as raw CAP documents: those its
# feeds bring in, and those other systems push. They are matched, listed, never sent.
EXTERNAL_ALERTS = Topic(
    "external.alerts",
    1,
    "Official CAP alerts of other issuers (host countries' agencies), for the watch list.",
    retention_days=30,
)
DEAD_LETTERS = Topic(
    "deadletters", 1, "Rejected input with the reason, for operators.", retention_days=90
)

ALL_TOPICS: tuple[Topic, ...] = (
    CRISIS_EVENTS,
    CRISIS_ACCEPTED,
    CRISIS_APPROVALS,
    *ALERT_JOBS.values(),
    *ALERT_JOBS_PRIORITY.values(),
    LEADER_ALERTS,
    RESERVIST_CANDIDATES,
    NOTICES,
    RESPONSES,
    DELIVERY_REPORTS,
    EXTERNAL_ALERTS,
    DEAD_LETTERS,
)
