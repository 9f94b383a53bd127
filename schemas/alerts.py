"""What the resolver hands to delivery: fan-out jobs, leader alerts, reservist candidates."""

from pydantic import AwareDatetime, BaseModel, Field

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


class AlertJob(BaseModel):
    """A batch of recipients of one crisis event; the dispatcher sends to each."""

    job_id: str
    crisis_id: str
    event_identifier: str
    msg_type: MsgType
    priority: bool
    recipients: list[Recipient] = Field(max_length=2_000)
    created_at: AwareDatetime


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
