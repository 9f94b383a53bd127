"""Property-based: a thousand and more hostile inputs at ingest and the directory import, each
refused with a reason, nothing crashing, and good input in between all processed."""

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from schemas.crisis import CrisisEvent
from schemas.delivery import DeadLetter
from schemas.topics import CRISIS_ACCEPTED, DEAD_LETTERS
from services.cap.errors import InvalidEvent
from services.cap.parse import parse_event
from services.common.bus_reader import wait_for_models
from services.common.config import Settings
from services.common.runtime import make_redis
from services.directory.features import InvalidRow, feature_to_row
from services.directory.importer import import_files
from tests.directory_data import collection, national
from tests.events import event_json
from tests.helpers import publish_many, running
from tests.hostile import (
    hostile_events,
    hostile_features,
    huge_hostile_events,
    small_hostile_events,
)

AT_LEAST = 1_000
FAST = settings(
    max_examples=AT_LEAST,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@FAST
@given(hostile_events)
def test_every_hostile_event_is_refused_with_a_reason(raw: bytes) -> None:
    try:
        event = parse_event(raw)
    except InvalidEvent as exc:
        assert str(exc).strip()
    else:
        raise AssertionError(f"accepted a hostile event: {event!r:.300}")


@FAST
@given(hostile_features())
def test_every_hostile_directory_row_is_refused_with_a_reason(row: Any) -> None:
    try:
        parsed = feature_to_row(row)
    except InvalidRow as exc:
        assert str(exc).strip()
    else:
        raise AssertionError(f"accepted a hostile row: {parsed!r:.300}")


def draw_many(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """At least `count` distinct examples of a strategy, to send through the real parts."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    while len(drawn) < count:
        collect()
    return drawn


async def test_ingest_survives_a_thousand_hostile_events_and_good_ones_flow(
    settings: Settings,
) -> None:
    hostile = draw_many(huge_hostile_events, 10) + draw_many(small_hostile_events, AT_LEAST)
    assert settings.trust.signing_key is not None
    good = {f"GOOD-{i}": event_json(f"GOOD-{i}") for i in range(len(hostile) // 100 + 1)}
    goods = list(good.values())
    stream: list[bytes] = []
    for n, bad in enumerate(hostile):  # a good (signed) event before every hundred hostile
        if n % 100 == 0:
            stream.append(goods[n // 100])
        stream.append(bad)
    async with running(settings, ["ingest"]):
        await publish_many(settings, stream, signed=lambda raw: raw in goods)
        letters = await wait_for_models(
            settings, DEAD_LETTERS, DeadLetter, len(hostile), timeout_s=180
        )
        accepted = await wait_for_models(
            settings, CRISIS_ACCEPTED, CrisisEvent, len(good), timeout_s=60
        )
    assert len(letters) == len(hostile)
    assert all(letter.reason.strip() and letter.stage == "ingest" for letter in letters)
    assert sorted(e.identifier for e in accepted) == sorted(good)


async def test_directory_import_refuses_each_hostile_row_and_keeps_the_good(
    settings: Settings, tmp_path: Path
) -> None:
    hostile = draw_many(hostile_features(), AT_LEAST)
    rows: list[Any] = []
    good_indexes = set()
    for n, row in enumerate(hostile):
        if n % 50 == 0:
            good_indexes.add(len(rows))
            rows.append(national(f"N-GOOD-{n}", 31.6, -8.0))
        rows.append(row)
    path = tmp_path / "hostile.geojson"
    path.write_text(json.dumps(collection(rows)))
    client = make_redis(settings)
    try:
        report = await import_files(client, [path])
    finally:
        await client.aclose()
    rejected = {r.index for r in report.rejected}
    assert rejected == set(range(len(rows))) - good_indexes
    assert all(r.reason.strip() for r in report.rejected)
    assert report.imported["national"] == len(good_indexes)
