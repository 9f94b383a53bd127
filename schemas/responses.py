"""The answers people give: a leader's ack, a national's safety answer, a reservist's."""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel


class Role(StrEnum):
    NATIONAL = "national"
    LEADER = "leader"  # an island's leader or one of its deputies
    RESERVIST = "reservist"


class Answer(StrEnum):
    ACK = "ack"
    SAFE = "safe"
    HELP = "help"
    ACCEPT = "accept"
    DECLINE = "decline"


ANSWERS_BY_ROLE: dict[Role, tuple[Answer, ...]] = {
    Role.NATIONAL: (Answer.SAFE, Answer.HELP),
    Role.LEADER: (Answer.ACK,),
    Role.RESERVIST: (Answer.ACCEPT, Answer.DECLINE),
}


class Via(StrEnum):
    WEB = "web"  # a signed link in a message
    SMS = "sms"  # a reply to an SMS, through the gateway's webhook


class PersonResponse(BaseModel):
    crisis_id: str
    person_id: str
    role: Role
    answer: Answer
    island_id: str | None = None
    post_id: str | None = None
    need_id: str | None = None
    via: Via
    at: AwareDatetime
