"""Signed, expiring answer tokens: a link answers for one person, in one crisis, only with
the answers that person was asked for."""

import time
from collections.abc import Callable

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from pydantic import BaseModel, ValidationError

from schemas.responses import Answer, Role

SALT = "vigie-answer"


class Claim(BaseModel):
    crisis_id: str
    person_id: str
    role: Role
    answers: list[Answer]
    island_id: str | None = None
    post_id: str | None = None
    need_id: str | None = None


class BadToken(ValueError):
    """The token is forged, damaged or misused; the message says which, for the person."""


class ExpiredToken(BadToken):
    pass


def _signer_on(clock: Callable[[], float]) -> type[TimestampSigner]:
    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return ClockedSigner


class AnswerTokens:
    def __init__(self, secret: str, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self.serializer = URLSafeTimedSerializer(secret, salt=SALT, signer=_signer_on(clock))

    def issue(self, claim: Claim) -> str:
        token: str = self.serializer.dumps(claim.model_dump(mode="json", exclude_none=True))
        return token

    def read(self, token: str) -> Claim:
        try:
            payload = self.serializer.loads(token, max_age=self.ttl_s)
        except SignatureExpired:
            raise ExpiredToken("This link has expired.") from None
        except BadSignature:
            raise BadToken(
                "This link is not valid: it was altered or not issued by Vigie."
            ) from None
        try:
            return Claim.model_validate(payload)
        except ValidationError:
            raise BadToken("This link is not valid.") from None
