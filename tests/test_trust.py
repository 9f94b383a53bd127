"""Only the crisis centre can alert: signed events, revocation, replays, the two-person rule."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

from schemas.delivery import DeadLetter
from schemas.topics import DEAD_LETTERS
from services.common.bus_reader import wait_for_models
from services.common.config import Settings
from services.providers import outbox
from services.publishing import publish_raw
from tests.delivery_helpers import settled
from tests.events import cancel_json, event_json
from tests.helpers import import_marrakech, running
from tests.trust_helpers import approve_as, hold_of, operators, publish_signed_by

PIPELINE = ["ingest", "resolver", "dispatcher", "dispatcher-priority"]


async def _until(condition: object, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def test_forged_revoked_unsigned_and_replayed_events_reach_nobody(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    keyring, keys = operators(tmp_path / "keys", "duty", "retired")
    _, outsider = operators(tmp_path / "outsider", "intruder")
    retired_id = keyring.revoke_by_operator("retired")
    settings = settings.changed(trusted_keys=keyring.path)
    await import_marrakech(settings, tmp_path)
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    async with running(settings, PIPELINE):
        await publish_signed_by(settings, event_json("FORGED"), outsider["intruder"])
        await publish_signed_by(settings, event_json("REVOKED"), keys["retired"])
        await publish_raw(settings, event_json("UNSIGNED"), "k")
        await publish_signed_by(settings, event_json("REPLAYED", sent=hour_ago), keys["duty"])
        tampered_headers = {"vigie-key": "0" * 16, "vigie-signature": "AAAA"}
        await publish_raw(settings, event_json("TAMPERED"), "k", tampered_headers)
        await publish_signed_by(settings, event_json("GENUINE"), keys["duty"])
        await settled(redis_client, "GENUINE")
        letters = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, 5)
    reasons = {letter.reason.split(":")[0]: letter.reason for letter in letters}
    assert "not trusted" in reasons["FORGED"]
    assert f"key {retired_id} of retired, which has been revoked" in reasons["REVOKED"]
    assert "unsigned event" in reasons["UNSIGNED"]
    assert "outside the ±300 s window" in reasons["REPLAYED"]
    assert "not trusted" in reasons["TAMPERED"]
    reached = {e.key.split("/")[0] for e in outbox.all_received(outbox_client)}
    assert reached == {"GENUINE"}  # nobody heard of the four others
    for identifier in ("FORGED", "REVOKED", "UNSIGNED", "REPLAYED"):
        assert redis_client.hget(f"rejected:{{{identifier}}}", identifier)


async def test_a_key_trusted_while_running_works_and_a_revoked_one_stops_at_once(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    keyring, keys = operators(tmp_path / "keys", "old-key")
    _, new = operators(tmp_path / "new", "new-key")
    settings = settings.changed(trusted_keys=keyring.path)
    await import_marrakech(settings, tmp_path)
    async with running(settings, PIPELINE):
        await publish_signed_by(settings, event_json("BEFORE-ROTATION"), keys["old-key"])
        await settled(redis_client, "BEFORE-ROTATION")
        keyring.trust(tmp_path / "new" / "new-key.pub")  # rotation: both valid for a while
        keyring.revoke_by_operator("old-key")
        await publish_signed_by(settings, event_json("OLD-KEY-AFTER"), keys["old-key"])
        await publish_signed_by(settings, event_json("NEW-KEY"), new["new-key"])
        await settled(redis_client, "NEW-KEY")
        [letter] = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, 1)
    assert letter.reason.startswith("OLD-KEY-AFTER:") and "revoked" in letter.reason
    assert "OLD-KEY-AFTER" not in {e.key for e in outbox.all_received(outbox_client)}


async def test_an_extreme_event_waits_for_a_second_operator(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    keyring, keys = operators(tmp_path / "keys", "alice", "bob")
    settings = settings.changed(trusted_keys=keyring.path)
    await import_marrakech(settings, tmp_path)
    async with running(settings, PIPELINE):
        await publish_signed_by(settings, event_json("EXTREME", severity="Extreme"), keys["alice"])
        await _until(lambda: redis_client.hget("holds:{EXTREME}", "EXTREME"))
        await asyncio.sleep(1)
        assert outbox.all_received(outbox_client) == []  # held: nobody reached yet
        await approve_as(settings, "EXTREME", "EXTREME", keys["alice"])  # her own event
        [letter] = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, 1)
        assert "alice signed EXTREME and cannot approve it too" in letter.reason
        await asyncio.sleep(1)
        assert outbox.all_received(outbox_client) == []
        await approve_as(settings, "EXTREME", "EXTREME", keys["bob"])
        status = await settled(redis_client, "EXTREME")
    assert status["sent:sms"] == 5
    hold = await hold_of(settings, "EXTREME", "EXTREME")
    assert hold is not None and hold.approved_by is not None
    assert hold.approved_by.operator == "bob" and hold.signer and hold.signer.operator == "alice"
    assert hold.reason == "severity Extreme"


async def test_a_cancel_needs_no_approval_and_kills_a_held_event(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    keyring, keys = operators(tmp_path / "keys", "alice", "bob")
    # Two people are enough to need a second operator, whatever the severity.
    settings = settings.changed(trusted_keys=keyring.path, approval_above_people=2)
    await import_marrakech(settings, tmp_path)
    async with running(settings, PIPELINE):
        await publish_signed_by(settings, event_json("BIG"), keys["alice"])
        await _until(lambda: redis_client.hget("holds:{BIG}", "BIG"))
        await publish_signed_by(settings, cancel_json("BIG-CANCEL", cancels="BIG"), keys["alice"])
        await _until(lambda: redis_client.hget("crisis:{BIG}", "state") == "cancelled")
        await approve_as(settings, "BIG", "BIG", keys["bob"])
        [letter] = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, 1)
        await asyncio.sleep(1)
    assert "BIG was cancelled" in letter.reason
    assert outbox.all_received(outbox_client) == []
    hold = await hold_of(settings, "BIG", "BIG")
    assert hold is not None and hold.reason == "reaches over 2 people"
