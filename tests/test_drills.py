"""CAP status, scope and message types obeyed end to end: who got which message, on the real
broker, Redis and local providers. A drill reaches only its audience, marked as a drill; a
Draft, a System message, an Ack or an Error reaches nobody."""

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import redis

from services.common.config import Settings
from services.common.runtime import make_redis
from services.providers import outbox
from services.state import keys
from services.status.collect import crisis_view
from tests.answer_helpers import eventually
from tests.delivery_helpers import settled
from tests.directory_data import CELL_EMAIL, marrakech_directory, write
from tests.events import event_json, hydrologists
from tests.helpers import WHOLE_PIPELINE, import_directory, publish, running

PIPELINE = WHOLE_PIPELINE
ENROLLED = {"N-IN-EN": "exercise", "R-NEAR": "exercise", "N-SMS-ONLY": "test"}
HYDROLOGISTS = hydrologists(1)


def _directory(tmp_path: Path) -> tuple[Path, dict[tuple[str, str], str]]:
    """The Marrakech directory with a few people enrolled for drills and tests, and who
    owns each contact point."""
    rows = marrakech_directory(date.today())
    owners: dict[tuple[str, str], str] = {("email", CELL_EMAIL): "cell:CON-MARRAKECH"}
    for row in rows:
        properties = row["properties"]
        if properties["id"] in ENROLLED:
            properties[ENROLLED[properties["id"]]] = True
        for channel, field in (("sms", "sms"), ("email", "email"), ("push", "push_token")):
            if properties.get(field) and properties["kind"] in ("national", "reservist"):
                owners.setdefault((channel, properties[field]), properties["id"])
    return write(tmp_path / "directory.geojson", rows), owners


@asynccontextmanager
async def _pipeline_over_directory(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[dict[tuple[str, str], str]]:
    """The pipeline running over the enrolled directory; yields who owns each contact."""
    path, owners = _directory(tmp_path)
    await import_directory(settings, path)
    async with running(settings, PIPELINE):
        yield owners


def _received(
    client: redis.Redis, owners: dict[tuple[str, str], str], event: str
) -> dict[str, list[outbox.Received]]:
    """Per person, what the providers received for this event (alerts and notices)."""
    found: dict[str, list[outbox.Received]] = defaultdict(list)
    for entry in outbox.read_log(client.lrange(outbox.LOG, 0, -1)):
        if entry.key.split("/")[0] == event:
            found[owners.get((entry.channel, entry.to), entry.to)].append(entry)
    return dict(found)


def _referencing(identifier: str) -> list[dict[str, str]]:
    return [
        {
            "sender": "cdcs@diplomatie.gouv.fr",
            "identifier": identifier,
            "sent": datetime.now(UTC).isoformat(),
        }
    ]


async def _seen(
    settings: Settings, crisis_id: str, part: str, identifier: str, timeout_s: float = 30
) -> Any:
    """What `vigie status CRISIS` shows under `part` (unsent, rejected, state) for this
    event (or field), once it shows it."""
    client = make_redis(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while identifier not in (view := await crisis_view(client, crisis_id))[part]:
            assert time.monotonic() < deadline, f"{identifier} never shown as {part}"
            await asyncio.sleep(0.2)
    finally:
        await client.aclose()
    return view[part][identifier]


async def test_each_status_and_scope_reaches_exactly_its_audience(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    async with _pipeline_over_directory(settings, tmp_path) as owners:
        # A drill: the enrolled, the island leaders and deputies, the post's crisis cell.
        await publish(settings, event_json("EX-1", status="Exercise", reservist_needs=HYDROLOGISTS))
        await settled(redis_client, "EX-1")
        for leader in ("N-IN", "N-EDGE-N"):
            await eventually(
                lambda leader=leader: leader in _received(outbox_client, owners, "EX-1") or None,
                f"{leader}'s drill notice as an island leader",
            )
        await eventually(
            lambda: "R-NEAR" in _received(outbox_client, owners, "EX-1") or None,
            "the enrolled reservist's drill request",
        )
        drill = _received(outbox_client, owners, "EX-1")
        # N-IN and N-EDGE-N lead the islands the area meets: their notices, not the alert.
        expected = {"N-IN-EN", "N-IN", "N-EDGE-N", "R-NEAR", "cell:CON-MARRAKECH"}
        assert set(drill) == expected, set(drill)
        assert all("/" in m.key for m in drill["N-IN"] + drill["N-EDGE-N"])
        assert {m.channel for m in drill["N-IN-EN"]} == {"sms", "email", "push"}
        for person, messages in drill.items():
            mark = "EXERCISE" if person == "N-IN-EN" else "EXERCICE"
            for message in messages:
                assert (message.title or message.body).startswith(mark), (person, message)
                if message.channel == "email":
                    assert message.body.startswith(mark), (person, message.body[:80])
        assert redis_client.hget(keys.crisis("EX-1"), "status") == "Exercise"

        # A technical test: only the people flagged for tests; no leader is flagged.
        await publish(settings, event_json("TS-1", status="Test", reservist_needs=[]))
        await settled(redis_client, "TS-1")
        test = _received(outbox_client, owners, "TS-1")
        assert set(test) == {"N-SMS-ONLY"}, set(test)
        assert [m.channel for m in test["N-SMS-ONLY"]] == ["sms"]
        assert test["N-SMS-ONLY"][0].body.startswith("TEST - ")

        # Published by mistake, never fanned out: Draft, System, and an issuer's Ack.
        await publish(settings, event_json("DR-1", status="Draft"))
        await publish(settings, event_json("SY-1", status="System"))
        await publish(
            settings,
            event_json("ACK-1", msgType="Ack", references=_referencing("EX-1"), areas=[]),
        )
        assert (await _seen(settings, "DR-1", "unsent", "DR-1"))["status"] == "Draft"
        assert (await _seen(settings, "SY-1", "unsent", "SY-1"))["status"] == "System"
        assert (await _seen(settings, "EX-1", "unsent", "ACK-1"))["msg_type"] == "Ack"

        # A real Update can never turn the drill into a real alert.
        await publish(
            settings,
            event_json(
                "EX-1-REAL",
                msgType="Update",
                references=_referencing("EX-1"),
                reservist_needs=[],
            ),
        )

        refusal = await _seen(settings, "EX-1", "rejected", "EX-1-REAL")
        assert "Exercise" in refusal["reason"], refusal

        # Restricted: the crisis cells and the island leaders only, never the public.
        await publish(settings, event_json("RS-1", scope="Restricted", reservist_needs=[]))
        await settled(redis_client, "RS-1")
        await eventually(
            lambda: "N-IN" in _received(outbox_client, owners, "RS-1") or None,
            "the island leader's notice",
        )
        restricted = _received(outbox_client, owners, "RS-1")
        assert set(restricted) <= {"N-IN", "N-EDGE-N", "cell:CON-MARRAKECH"}, set(restricted)
        assert "cell:CON-MARRAKECH" in restricted
        assert all(m.key.count("/") for m in restricted["N-IN"])  # notices, not the alert

        # Private: the named people only, wherever they are.
        await publish(
            settings,
            event_json("PV-1", scope="Private", addresses=["N-CASA"], reservist_needs=[]),
        )
        await settled(redis_client, "PV-1")
        private = _received(outbox_client, owners, "PV-1")
        assert set(private) == {"N-CASA"}, set(private)

    for nobody in ("DR-1", "SY-1"):
        assert _received(outbox_client, owners, nobody) == {}
        assert not redis_client.exists(keys.status(nobody))
    assert not _received(outbox_client, owners, "ACK-1")
    assert not _received(outbox_client, owners, "EX-1-REAL")
    # The drill is still a drill, its alert still the one in force.
    assert redis_client.hget(keys.crisis("EX-1"), "latest") == "EX-1"


async def test_an_update_or_cancel_of_a_message_never_seen(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    async with _pipeline_over_directory(settings, tmp_path) as owners:
        # An Update of an alert Vigie never saw is the crisis's first alert.
        await publish(
            settings,
            event_json(
                "UP-1", msgType="Update", references=_referencing("NEVER-SEEN"), reservist_needs=[]
            ),
        )
        status = await settled(redis_client, "NEVER-SEEN")
        assert int(status["targeted:sms"]) == 5 and "update:targeted:sms" not in status
        alerts = [m for m in _received(outbox_client, owners, "UP-1")["N-IN"] if m.key == "UP-1"]
        assert sorted(m.channel for m in alerts) == ["email", "push", "sms"]
        assert not any("MISE A JOUR" in m.body for m in alerts)  # the first alert
        # A Cancel of nothing alerts nobody, and `vigie status` says so.
        await publish(
            settings,
            event_json("CA-1", msgType="Cancel", references=_referencing("NOTHING"), areas=[]),
        )
        note = await _seen(settings, "NOTHING", "state", "note")
    assert "never sent: nobody alerted" in note
    assert _received(outbox_client, owners, "CA-1") == {}
