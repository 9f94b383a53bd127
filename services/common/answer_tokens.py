"""Signed, expiring answer tokens: a link answers for one person, in one crisis, only with
the answers that person was asked for."""

import hashlib
import hmac
import time
from binascii import b2a_base64
from collections.abc import Callable, Iterable

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from pydantic import BaseModel, ValidationError

from schemas.responses import ANSWERS_BY_ROLE, Answer, Role
from services.common.compact_json import string as _text

SALT = "vigie-answer"
_ROLE_ANSWERS = 0  # in a token: the answers are those of the claim's role
_SAME_ANSWERS = str(_ROLE_ANSWERS)  # as JSON
_FIELDS = ("crisis_id", "person_id", "role", "answers", "island_id", "post_id", "need_id")


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


# The claim's JSON is written from its strings' JSON, as compact `json.dumps` writes it but
# faster (docs/benchmarks.md): a batch of emails needs thousands of tokens at once.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _maybe(value: str | None) -> str:
    return "null" if value is None else _text(value)


def _list(values: Iterable[str]) -> str:
    return _list_of_json(_text(v) for v in values)


def _list_of_json(items: Iterable[str]) -> str:
    return "[" + ",".join(items) + "]"


def _base64(data: bytes) -> bytes:
    """itsdangerous's `base64_encode` (URL-safe, unpadded), without its calls around it."""
    return b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


class _FastSigning:
    """`TimestampSigner.sign`, byte for byte, in a third of its time, for the thousands of
    tokens an email batch needs at once: itsdangerous derives the key again for each
    token, and its SHA-1 is a Python function, which sends `hmac` down its pure-Python
    path. Here the keyed HMAC is made once and copied for each token. Checked against the
    signer itself when made."""

    def __init__(self, signer: TimestampSigner) -> None:
        self.keyed = hmac.new(signer.derive_key(), digestmod=hashlib.sha1)
        self.clock = signer.get_timestamp
        self.stamp: tuple[int, bytes] = (-1, b"")
        signer.unsign(self.sign(b"probe"))  # raises BadSignature if the bytes differ

    def sign(self, value: bytes) -> str:
        now = self.clock()
        if now != self.stamp[0]:
            self.stamp = (now, b"." + base64_encode(int_to_bytes(now)))
        signed = value + self.stamp[1]
        mac = self.keyed.copy()
        mac.update(signed)
        return (signed + b"." + _base64(mac.digest())).decode()


class AnswerTokens:
    def __init__(self, secret: str, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self.serializer = URLSafeTimedSerializer(secret, salt=SALT, signer=_signer_on(clock))
        signer = self.serializer.make_signer(SALT)
        assert isinstance(signer, TimestampSigner)
        self.signing = _FastSigning(signer)

    def issue(self, claim: Claim) -> str:
        return self.issue_fields(
            claim.crisis_id,
            claim.person_id,
            claim.role,
            claim.answers,
            claim.island_id,
            claim.post_id,
            claim.need_id,
        )

    def issue_fields(
        self,
        crisis_id: str,
        person_id: str,
        role: Role,
        answers: Iterable[Answer],
        island_id: str | None = None,
        post_id: str | None = None,
        need_id: str | None = None,
    ) -> str:
        """The claim as a list in `_FIELDS` order: a shorter link than named fields, and
        made without a model, as an email batch needs thousands at once. The answers are
        left out (0) when they are the role's own. Not compressed: zlib, for a payload this
        short, costs more than the rest of the token and saves a few characters."""
        asked = tuple(answers)
        payload = [
            _text(crisis_id),
            _text(person_id),
            _text(role.value),
            _SAME_ANSWERS if asked == ANSWERS_BY_ROLE[role] else _list(a.value for a in asked),
            _maybe(island_id),
            _maybe(post_id),
            _maybe(need_id),
        ]
        while payload[-1] == "null":
            payload.pop()
        return self.signing.sign(_base64(_list_of_json(payload).encode()))

    def read(self, token: str) -> Claim:
        try:
            payload = self.serializer.loads(token, max_age=self.ttl_s)
        except SignatureExpired:
            raise ExpiredToken("This link has expired.") from None
        except BadSignature:
            raise BadToken(
                "This link is not valid: it was altered or not issued by Vigie."
            ) from None
        if isinstance(payload, list):
            payload = dict(zip(_FIELDS, payload, strict=False))
        try:
            if payload.get("answers") == _ROLE_ANSWERS:
                payload["answers"] = ANSWERS_BY_ROLE[Role(payload.get("role"))]
            return Claim.model_validate(payload)
        except (ValidationError, ValueError, AttributeError):
            raise BadToken("This link is not valid.") from None
