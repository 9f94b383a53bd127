"""Activation requests to reservists and the answers people give."""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

from schemas.alerts import Contacts
from schemas.crisis import ReservistNeed


class ActivationRequest(BaseModel):
    crisis_id: str
    need: ReservistNeed
    reservist_id: str
    wave: int
    contacts: Contacts
    sent_at: AwareDatetime


class Answer(StrEnum):
    ACK = "ack"
    SAFE = "safe"
    HELP = "help"
    ACCEPT = "accept"
    DECLINE = "decline"


class PersonResponse(BaseModel):
    crisis_id: str
    person_id: str
    answer: Answer
    need_id: str | None = None
    channel: str
    at: AwareDatetime
