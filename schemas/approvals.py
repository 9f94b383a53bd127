"""A second operator's approval of an event held by the two-person rule."""

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from schemas.crisis import CapToken

KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_identifier: CapToken
    crisis_id: CapToken
    approver_key: KeyId
    approved_at: AwareDatetime
    signature: str = ""  # over every other field, by the approver's key
