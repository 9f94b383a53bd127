"""What the resolver hands to delivery: fan-out jobs, leader alerts, reservist candidates."""

from pydantic import AwareDatetime, BaseModel, Field
from typing_extensions import TypedDict

from schemas.crisis import Channel, MsgType, ReservistNeed


class Contacts(BaseModel):
    sms: str | None = None
    email: str | None = None
    push: str | None = None

    def for_channel(self, channel: Channel) -> str | None:
        value: str | None = getattr(self, channel.value)
        return value


class Recipient(BaseModel):
    person_id: str
    trip_id: str | None = None
    language: str = "fr"
    post_id: str | None = None
    island_id: str | None = None
    contacts: Contacts
    channels: list[Channel]


# A typed dict rather than a model: a job names up to 2,000, and the job (a model) checks
# every field of each all the same, in less than half the time of making models of them.
class Addressee(TypedDict):
    """A recipient on one channel: their address there, and what their message depends on."""

    person_id: str
    address: str
    language: str
    post_id: str | None
    island_id: str | None
    trip_id: str | None


def addressee(
    person_id: str,
    address: str,
    language: str = "fr",
    post_id: str | None = None,
    island_id: str | None = None,
    trip_id: str | None = None,
) -> Addressee:
    return {
        "person_id": person_id,
        "address": address,
        "language": language,
        "post_id": post_id,
        "island_id": island_id,
        "trip_id": trip_id,
    }


def cell_id(post_id: str) -> str:
    """A post's crisis cell where a person id is expected (its alerts, its notices)."""
    return f"cell:{post_id}"


def addressee_on(recipient: Recipient, channel: Channel) -> Addressee | None:
    """The recipient on this channel; None when they have no address there."""
    address = recipient.contacts.for_channel(channel)
    if not address:
        return None
    return addressee(
        recipient.person_id,
        address,
        recipient.language,
        recipient.post_id,
        recipient.island_id,
        recipient.trip_id,
    )


class AlertJob(BaseModel):
    """A batch of recipients of one crisis event on one channel; the channel's dispatcher
    sends to each. One channel a job: each dispatcher reads only the people it sends to,
    with only their address there (reading a person costs more than sending to them)."""

    job_id: str
    crisis_id: str
    event_identifier: str
    msg_type: MsgType
    priority: bool
    channel: Channel
    recipients: list[Addressee] = Field(max_length=2_000)
    created_at: AwareDatetime
    # A reminder of the alert, on another channel, to people who have not answered its
    # safety check: its deliveries and counters are its own.
    reminder: bool = False

    @property
    def delivery_id(self) -> str:
        """What its deliveries are recorded under, and the provider's idempotency key."""
        return f"{self.event_identifier}/reminder" if self.reminder else self.event_identifier


class LeaderAlert(BaseModel):
    """A security island touched by the crisis: its leader must acknowledge."""

    crisis_id: str
    event_identifier: str
    msg_type: MsgType
    island_id: str
    island_name: str
    post_id: str
    leader: Recipient | None
    deputies: list[Recipient]


class Candidate(BaseModel):
    reservist_id: str
    distance_km: float
    skills: list[str]
    languages: list[str]
    contacts: Contacts


class ReservistCandidates(BaseModel):
    """Available reservists matching one need, nearest first."""

    crisis_id: str
    event_identifier: str
    need: ReservistNeed
    candidates: list[Candidate]
