"""Importing the directory: valid rows kept, bad rows reported, re-import updates in place."""

import json
from datetime import date
from pathlib import Path

import redis

from services.common.config import Settings
from services.common.runtime import make_redis
from services.directory.generate import generate_directory
from services.directory.importer import import_files
from services.state import keys
from tests.directory_data import box, feature, marrakech_directory, national, point, write


async def _import(settings: Settings, *paths: Path):  # type: ignore[no-untyped-def]
    client = make_redis(settings)
    try:
        return await import_files(client, list(paths))
    finally:
        await client.aclose()


async def test_import_keeps_valid_rows_and_names_each_bad_one(
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    rows = marrakech_directory(date.today())
    bad = [
        feature(point(31.6, -8.0), kind="martian", id="X"),
        national("N-BAD-PHONE", 31.6, -8.0, sms="0612"),
        feature(box(31.5, -8.1, 31.6, -8.0), kind="national", id="N-POLY"),
        feature(point(95.0, 10.0), kind="national", id="N-LAT"),
        feature(
            point(31.6, -8.0),
            kind="trip",
            id="T-BACKWARDS",
            national_id="N-IN",
            start="2026-11-20",
            end="2026-11-10",
        ),
        {"type": "Feature", "properties": {"kind": "post"}},
    ]
    path = write(tmp_path / "dir.geojson", rows[:5] + bad + rows[5:])
    report = await _import(settings, path)
    assert sum(report.imported.values()) == len(rows)
    reasons = {r.index: r.reason for r in report.rejected}
    assert all(r.file == "dir.geojson" for r in report.rejected)
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10]
    assert "properties.kind is 'martian'" in reasons[5]
    assert "sms" in reasons[6]
    assert "must be a Point" in reasons[7]
    assert "lat" in reasons[8]
    assert "ends (2026-11-10) before it starts" in reasons[9]
    assert "no geometry" in reasons[10]
    assert redis_client.hexists(keys.POSTS, "CON-MARRAKECH")


async def test_reimport_updates_in_place_without_duplicates(
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await _import(
        settings, write(tmp_path / "a.geojson", [national("N-MOVER", 31.6, -8.0, country="MA")])
    )
    await _import(
        settings, write(tmp_path / "b.geojson", [national("N-MOVER", 14.7, -17.45, country="SN")])
    )
    old_tile, new_tile = keys.tile_of(31.6, -8.0), keys.tile_of(14.7, -17.45)
    assert redis_client.zscore(keys.national_geo(old_tile), "N-MOVER") is None
    assert redis_client.zscore(keys.national_geo(new_tile), "N-MOVER") is not None
    assert not redis_client.sismember(keys.country_members("national", "MA"), "N-MOVER")
    assert redis_client.sismember(keys.country_members("national", "SN"), "N-MOVER")
    stored = json.loads(redis_client.hget(keys.national_data(new_tile), "N-MOVER") or "{}")
    assert stored["country"] == "SN"


async def test_the_same_file_again_writes_nothing_and_a_changed_row_only_itself(
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    rows = marrakech_directory(date.today())
    path = write(tmp_path / "dir.geojson", rows)
    first = await _import(settings, path)
    assert first.changed == len(rows)
    version = redis_client.get(keys.DIRECTORY_VERSION)
    again = await _import(settings, path)
    assert (again.imported, again.changed) == (first.imported, 0)
    assert redis_client.get(keys.DIRECTORY_VERSION) == version, "services reload for nothing"
    moved = [
        national("N-CASA", 33.58, -7.60) if r["properties"]["id"] == "N-CASA" else r for r in rows
    ]
    third = await _import(settings, write(tmp_path / "moved.geojson", moved))
    assert third.changed == 1
    assert redis_client.get(keys.DIRECTORY_VERSION) != version
    tile = keys.tile_of(33.58, -7.60)
    assert json.loads(redis_client.hget(keys.national_data(tile), "N-CASA") or "{}")[
        "location"
    ] == {
        "lat": 33.58,
        "lon": -7.60,
    }


async def test_not_a_feature_collection_is_reported(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    report = await _import(settings, path)
    assert "no features found" in report.rejected[0].reason
    truncated = tmp_path / "cut.geojson"
    truncated.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat')
    report = await _import(settings, truncated)
    assert "invalid JSON" in report.rejected[0].reason


async def test_generated_directory_imports_cleanly(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "generated.geojson"
    generate_directory(path, nationals=2_000, seed=7)
    report = await _import(settings, path)
    assert report.rejected == []
    assert report.imported["national"] == 2_000
    assert report.imported["reservist"] == 1_000
    assert report.imported["island"] > 50
    assert report.imported["post"] >= 30


async def test_the_same_id_twice_is_reported_with_both_places_and_neither_imported(
    settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    first = national("N-TWICE", 31.6, -8.0, sms="+33600000101")
    second = national("N-TWICE", 48.8, 2.3, sms="+33600000102")
    others = [national(f"N-ONE-{n}", 31.6, -8.0) for n in range(3)]
    a = write(tmp_path / "a.geojson", [others[0], first, others[1]])
    b = write(tmp_path / "b.geojson", [others[2], second])
    report = await _import(settings, a, b)
    assert report.imported["national"] == 3, "the counts are distinct records"
    [twice] = [r for r in report.rejected if "N-TWICE" in r.reason]
    assert "a.geojson feature 1" in twice.reason and "b.geojson feature 1" in twice.reason
    assert "none imported" in twice.reason
    assert not redis_client.hexists(keys.NATIONAL_WHERE, "N-TWICE")
    assert redis_client.hexists(keys.NATIONAL_WHERE, "N-ONE-2")


async def test_an_address_a_provider_would_misread_is_reported_and_never_stored(
    settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    """`a,b@example.fr` once became `<a>` on the envelope, and its owner was counted as
    reached; a control character passed too. Both rows are now reported, and the numbers
    and domains that pass are stored as the providers will take them."""
    rows = [
        national("N-COMMA", 31.6, -8.0, email="a,b@example.fr"),
        national("N-CONTROL", 31.6, -8.0, email="jean\x07dupont@example.fr"),
        national("N-NOPLAN", 31.6, -8.0, sms="+33700000001"),
        national("N-SPACED", 31.6, -8.0, sms="+33 6 12 34 56 78", email="Jean@Example.FR"),
    ]
    report = await _import(settings, write(tmp_path / "contacts.geojson", rows))
    reasons = {r.index: r.reason for r in report.rejected}
    assert sorted(reasons) == [0, 1, 2]
    assert "email" in reasons[0] and "','" in reasons[0]
    assert "email" in reasons[1] and "U+0007" in reasons[1]
    assert "sms" in reasons[2] and "numbering plan" in reasons[2]
    assert "a,b@example.fr" not in reasons[0]  # the reason never repeats a contact point
    tile = keys.tile_of(31.6, -8.0)
    assert redis_client.hget(keys.national_data(tile), "N-COMMA") is None
    assert redis_client.hget(keys.national_data(tile), "N-CONTROL") is None
    stored = json.loads(redis_client.hget(keys.national_data(tile), "N-SPACED") or "{}")
    assert (stored["sms"], stored["email"]) == ("+33612345678", "Jean@example.fr")
