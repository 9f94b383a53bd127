"""The two-person rule: a second operator's signed approval releases a held event."""

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.approvals import Approval
from services.common.runtime import Runtime
from services.state import crises
from services.trust import holds
from services.trust.keys import TrustedKey, key_id_of
from services.trust.signing import Untrusted, check_fresh, check_signature, signature

KIND = "approval"


def signed_approval(identifier: str, crisis_id: str, private: Ed25519PrivateKey) -> Approval:
    unsigned = Approval(
        event_identifier=identifier,
        crisis_id=crisis_id,
        approver_key=key_id_of(private.public_key()),
        approved_at=datetime.now(UTC),
    )
    signed = signature(KIND, unsigned, private, exclude={"signature"})
    return unsigned.model_copy(update={"signature": signed})


async def check_approval(
    rt: Runtime, approval: Approval, keys: dict[str, TrustedKey]
) -> holds.Hold:
    """The hold this approval releases (again, if it was approved already: releasing twice
    is harmless, losing a release is not); raises Untrusted saying why it does not count."""
    approver = check_signature(
        KIND, approval, approval.approver_key, approval.signature, keys, exclude={"signature"}
    )
    check_fresh(approval.approved_at, rt.settings.trust.max_clock_skew_s)
    held = await holds.get_hold(rt.redis, approval.crisis_id, approval.event_identifier)
    if held is None:
        raise Untrusted(
            f"nothing held under {approval.event_identifier} in crisis {approval.crisis_id}"
        )
    if await crises.is_cancelled(rt.redis, approval.crisis_id):
        raise Untrusted(f"crisis {approval.crisis_id} was cancelled: nothing to release")
    signer = held.signer
    if signer is not None and approver.operator == signer.operator:
        raise Untrusted(
            f"{approver.operator} signed {approval.event_identifier} and cannot approve it too: "
            "a second operator must"
        )
    if held.approved_by is None:
        await holds.approve(rt.redis, held, approver, approval.approved_at)
    return held
