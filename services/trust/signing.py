"""Signatures over a canonical form: the same event signs the same, however it was encoded
(JSON or CAP XML, any whitespace or key order)."""

import base64
import json
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from services.trust.keys import TrustedKey, key_id_of

KEY_HEADER = "vigie-key"
SIGNATURE_HEADER = "vigie-signature"


class Untrusted(ValueError):
    """Refused for who sent it or when, not for its form; the message says why."""


def canonical(model: BaseModel, exclude: set[str] | None = None) -> bytes:
    data = model.model_dump(mode="json", exclude=exclude)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(
    kind: str, model: BaseModel, private: Ed25519PrivateKey, exclude: set[str] | None = None
) -> str:
    """The signature of a model; the kind is signed too, so that one kind of signed message
    (an event) can never pass for another (an approval)."""
    payload = kind.encode() + b"\n" + canonical(model, exclude)
    return base64.b64encode(private.sign(payload)).decode()


def sign_event(event: BaseModel, private: Ed25519PrivateKey) -> dict[str, str]:
    """The Kafka headers that carry the signature of this event."""
    return {
        KEY_HEADER: key_id_of(private.public_key()),
        SIGNATURE_HEADER: signature("event", event, private),
    }


def verify_event(
    event: BaseModel, headers: dict[str, str], keys: dict[str, TrustedKey]
) -> TrustedKey:
    """The trusted key that signed this event; raises Untrusted saying why not."""
    key_id, signed = headers.get(KEY_HEADER), headers.get(SIGNATURE_HEADER)
    if not key_id or not signed:
        raise Untrusted("unsigned event: no vigie-key / vigie-signature headers")
    return check_signature("event", event, key_id, signed, keys)


def check_signature(
    kind: str,
    model: BaseModel,
    key_id: str,
    signed: str,
    keys: dict[str, TrustedKey],
    exclude: set[str] | None = None,
) -> TrustedKey:
    if not keys:
        raise Untrusted("no trusted keys configured (VIGIE_TRUSTED_KEYS): every event is refused")
    key = keys.get(key_id)
    if key is None:
        raise Untrusted(f"signed by key {key_id[:32]!r}, which is not trusted")
    if key.revoked:
        raise Untrusted(f"signed by key {key_id} of {key.operator}, which has been revoked")
    try:
        payload = kind.encode() + b"\n" + canonical(model, exclude)
        key.public_key.verify(base64.b64decode(signed, validate=True), payload)
    except (InvalidSignature, ValueError):
        raise Untrusted(
            f"signature does not match the {kind} for key {key_id} of {key.operator} "
            "(forged or altered in transit)"
        ) from None
    return key


def check_fresh(sent: datetime, max_skew_s: float, now: datetime | None = None) -> None:
    """Refuse events sent too long ago (a replay) or in the future (a wrong clock)."""
    now = now or datetime.now(UTC)
    skew = (now - sent).total_seconds()
    if abs(skew) > max_skew_s:
        when = f"{skew:.0f} s ago" if skew > 0 else f"{-skew:.0f} s in the future"
        raise Untrusted(
            f"sent {sent.isoformat()}, {when}: outside the ±{max_skew_s:.0f} s window "
            "(a replayed or stale event)"
        )
