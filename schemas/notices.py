"""A message to one person that is not a crisis alert: it carries its own text."""

from enum import StrEnum

from pydantic import BaseModel

from schemas.alerts import Recipient
from schemas.crisis import Channel


class NoticeKind(StrEnum):
    LEADER_ALERT = "leader_alert"  # asks an island's leader (or deputy) to acknowledge
    LEADER_UPDATE = "leader_update"
    LEADER_CORRECTION = "leader_correction"
    ISLAND_UNREACHED = "island_unreached"  # to the post's crisis cell
    ACTIVATION_REQUEST = "activation_request"
    ACTIVATION_CONFIRMED = "activation_confirmed"
    ACTIVATION_NOT_NEEDED = "activation_not_needed"
    NEED_UNFILLED = "need_unfilled"  # to the crisis centre
    REPLY_UNCLEAR = "reply_unclear"  # an SMS reply not understood: the choices again
    REPLY_SHARED = "reply_shared"  # a reply from a number several people share: whose?


class Text(BaseModel):
    title: str
    body: str


class Notice(BaseModel):
    """Sent once per (notice_id, person, channel): notice_id names what is said and why."""

    notice_id: str
    crisis_id: str
    kind: NoticeKind
    recipient: Recipient
    texts: dict[Channel, Text]
