"""Operators' keys for trust tests, apart from the stack's own keyring."""

from pathlib import Path

from services.common.config import Settings
from services.common.runtime import make_redis
from services.publishing import publish_approval, publish_raw, signed_headers
from services.trust.approvals import signed_approval
from services.trust.holds import Hold, get_hold
from services.trust.keys import Keyring, generate, load_private


def operators(directory: Path, *names: str) -> tuple[Keyring, dict[str, Path]]:
    """A keyring trusting a key per named operator; their private key files by name."""
    keyring = Keyring(directory / "keyring.json")
    private_keys = {}
    for name in names:
        private, public, _ = generate(directory, name)
        keyring.trust(public)
        private_keys[name] = private
    return keyring, private_keys


async def publish_signed_by(settings: Settings, raw: bytes, key_file: Path) -> None:
    await publish_raw(settings, raw, "k", signed_headers(raw, key_file))


async def approve_as(settings: Settings, identifier: str, crisis_id: str, key_file: Path) -> None:
    await publish_approval(settings, signed_approval(identifier, crisis_id, load_private(key_file)))


async def hold_of(settings: Settings, crisis_id: str, identifier: str) -> Hold | None:
    redis = make_redis(settings)
    try:
        return await get_hold(redis, crisis_id, identifier)
    finally:
        await redis.aclose()
