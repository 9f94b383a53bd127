"""`vigie publish --dry-run`: who an event would reach and each message exactly, sending
nothing and recording nothing; its counts are what publishing then reaches."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis

from services.common.config import Settings
from services.providers import outbox
from tests.delivery_helpers import settled
from tests.events import event_dict
from tests.helpers import import_marrakech, publish, running

PIPELINE = ["ingest", "resolver", "dispatcher", "dispatcher-priority"]


def _dry_run(settings: Settings, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "publish", str(path), "--dry-run", *extra],
        env={**settings.as_env(), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
    )


def _preview(settings: Settings, tmp_path: Path, event: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / f"{event['identifier']}.json"
    path.write_text(json.dumps(event))
    shown: dict[str, Any] = json.loads(_dry_run(settings, path, "--json").stdout)
    return shown


async def test_a_preview_sends_nothing_and_counts_what_publishing_reaches(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    await import_marrakech(settings, tmp_path)
    event = event_dict("PREVIEW-1", reservist_needs=[])
    shown = _preview(settings, tmp_path, event)
    # Nothing sent, nothing recorded: the providers got nothing, no crisis exists.
    assert outbox_client.llen(outbox.LOG) == 0
    assert not any(redis_client.scan_iter(match="*PREVIEW-1*"))
    assert shown["sends"] and shown["trust"] is None, shown["trust"]
    assert shown["channels"] == {"push": 4, "sms": 5, "email": 4}, shown["channels"]
    assert shown["languages"] == {"fr": 5, "en": 1}
    assert shown["posts"]["CON-MARRAKECH"]["sms"] == 5
    assert {i["island"] for i in shown["islands"]} == {"ISL-INSIDE", "ISL-TOUCHING"}
    sms = {m["language"]: m for m in shown["messages"] if m["channel"] == "sms"}
    assert sms["fr"]["encoding"] in ("GSM-7", "UCS-2") and sms["fr"]["segments"] >= 1
    assert "+212524388200" in sms["fr"]["body"]  # the post's emergency number
    email = next(m for m in shown["messages"] if (m["channel"], m["language"]) == ("email", "fr"))
    assert email["title"] and event["info"][0]["headline"] in email["body"]

    # Then published: what the crisis centre sees equals what the preview said.
    async with running(settings, PIPELINE):
        await publish(settings, json.dumps(event).encode())
        status = await settled(redis_client, "PREVIEW-1")
    for channel, count in shown["channels"].items():
        assert int(status[f"targeted:{channel}"]) == count, channel
    assert int(status["people"]) == shown["people"]
    for key, value in shown["counters"].items():
        assert int(status[key]) == value, key


async def test_a_preview_warns_of_what_an_operator_must_know(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    await import_marrakech(settings, tmp_path)
    draft = _preview(settings, tmp_path, event_dict("PREVIEW-DRAFT", status="Draft"))
    assert not draft["sends"]
    assert any("reaches NOBODY" in w for w in draft["warnings"]), draft["warnings"]
    assert draft["channels"]["sms"] == 5  # whom it would reach if it were real

    drill = _preview(settings, tmp_path, event_dict("PREVIEW-EX", status="Exercise"))
    assert drill["channels"]["sms"] == 0  # nobody in this directory is enrolled
    assert all(m["body"].startswith(("EXERCICE", "EXERCISE")) for m in drill["messages"])

    far = event_dict(
        "PREVIEW-FAR",
        reservist_needs=[],
        areas=[{"description": "mid-ocean", "circles": [{"center": [0.0, -30.0], "radius_km": 5}]}],
        info=[{"language": "fr", "headline": "Essai très long " * 9, "instruction": "Abri"}],
    )
    warnings = _preview(settings, tmp_path, far)["warnings"]
    assert "nobody would be reached" in warnings
    assert "the area lies outside every post's district" in warnings
    assert any("SMS takes 2 segments" in w for w in warnings), warnings

    english_only = event_dict(
        "PREVIEW-EN", info=[{"language": "en", "headline": "Quake", "instruction": "Shelter"}]
    )
    warnings = _preview(settings, tmp_path, english_only)["warnings"]
    assert any("read 'fr', in which the event has no text" in w for w in warnings), warnings

    # The terminal form says plainly that nothing was published.
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(event_dict("PREVIEW-TEXT", status="Draft")))
    screen = _dry_run(settings, path).stdout
    assert "was NOT published" in screen and "reaches NOBODY" in screen
    assert outbox_client.llen(outbox.LOG) == 0
