"""Outcomes of deliveries, and rejected input."""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

from schemas.crisis import Channel, MsgType


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # cancelled, or superseded by an Update, before this send
    NOT_NEEDED = "not_needed"  # a correction to someone the withdrawn alert never reached


class DeliveryOutcome(BaseModel):
    """What became of one person's delivery."""

    person_id: str
    outcome: Outcome
    attempts: int
    post_id: str | None = None
    error: str | None = None


class OutcomeGroup(BaseModel):
    """The people of a post whose deliveries went the same way: same outcome, after as many
    attempts, with the same error if any."""

    outcome: Outcome
    attempts: int
    post_id: str | None = None
    error: str | None = None
    person_ids: list[str]


class DeliveryReport(BaseModel):
    """What became of one channel of one fan-out job, for each of its people. They come in
    groups that went the same way: a job's thousand people make a handful, which costs the
    dispatcher and the bus a fraction of a record a person."""

    crisis_id: str
    event_identifier: str
    msg_type: MsgType
    job_id: str
    channel: Channel
    groups: list[OutcomeGroup]
    at: AwareDatetime

    @property
    def outcomes(self) -> list[DeliveryOutcome]:
        """Person by person."""
        return [
            DeliveryOutcome(
                person_id=person_id,
                outcome=group.outcome,
                attempts=group.attempts,
                post_id=group.post_id,
                error=group.error,
            )
            for group in self.groups
            for person_id in group.person_ids
        ]


class DeadLetter(BaseModel):
    """Input a stage could not accept, with a reason a person can act on."""

    stage: str
    reason: str
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    payload: str
    received_at: AwareDatetime
