"""A realistic synthetic directory as one GeoJSON FeatureCollection, one feature per line."""

import json
import random
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from services.directory.cities import CITIES, FRENCH_CITIES, City

CITY_SPREAD_DEG = 0.08  # standard deviation of homes around the city centre
CITY_HALF_WIDTH_DEG = 0.35  # homes and islands lie within this half-width of the centre
ISLAND_GRID = 5  # islands per side of the city box
CONSULATE_HALF_WIDTH_DEG = 0.75
TRIP_SHARE = 0.05
RESERVISTS = 1_000
SKILLS = (
    "hydrology",
    "cybersecurity",
    "medicine",
    "logistics",
    "evacuation",
    "crisis_communication",
    "osint",
    "disinformation_analysis",
    "political_analysis",
    "languages",
)
EXTRA_LANGUAGES = ("en", "ar", "es", "de", "it", "pt", "zh", "ru")


def generate_directory(
    path: Path, nationals: int, seed: int, today: date | None = None, trips: int | None = None
) -> None:
    """`trips`: how many trips, a twentieth of the nationals unless given."""
    rng = random.Random(seed)
    today = today or date.today()
    trips = int(nationals * TRIP_SHARE) if trips is None else trips
    with path.open("w") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        first = True
        for feature in _features(rng, nationals, trips, today):
            out.write(("" if first else ",\n") + json.dumps(feature, separators=(",", ":")))
            first = False
        out.write("\n]}\n")


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _box(lon0: float, lat0: float, lon1: float, lat1: float) -> dict[str, Any]:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _features(rng: random.Random, total: int, trips: int, today: date) -> Iterator[dict[str, Any]]:
    yield from _posts()
    weight = sum(c.weight for c in CITIES)
    next_id = 0
    for city in CITIES:
        count = round(total * city.weight / weight)
        homes = [_home(rng, city) for _ in range(count)]
        ids = [f"N{next_id + i:07d}" for i in range(count)]
        next_id += count
        for national_id, (lon, lat) in zip(ids, homes, strict=True):
            yield _national(rng, national_id, city, lon, lat)
        yield from _islands(rng, city, ids, homes)
    yield from _trips(rng, next_id, trips, today)
    yield from _reservists(rng)


def _home(rng: random.Random, city: City) -> tuple[float, float]:
    def offset() -> float:
        return max(
            -CITY_HALF_WIDTH_DEG * 0.99,
            min(CITY_HALF_WIDTH_DEG * 0.99, rng.gauss(0, CITY_SPREAD_DEG)),
        )

    return city.lon + offset(), city.lat + offset()


def _posts() -> Iterator[dict[str, Any]]:
    for city in CITIES:
        properties = {
            "kind": "post",
            "id": post_id_for(city),
            "post_type": "embassy" if city.capital else "consulate",
            "name": f"{'Ambassade' if city.capital else 'Consulat général'} de France, {city.name}",
            "country": city.country,
            "district_countries": [city.country],
            "emergency_phone": f"+{1 + zlib.crc32(city.name.encode()) % 9}"
            f"{zlib.crc32(city.country.encode()) % 10**9:09d}",
        }
        if city.capital:
            yield _feature(_point(city.lon, city.lat), **properties)
        else:
            half = CONSULATE_HALF_WIDTH_DEG
            yield _feature(
                _box(city.lon - half, city.lat - half, city.lon + half, city.lat + half),
                **properties,
            )


def post_id_for(city: City) -> str:
    if not city.capital:
        return f"CON-{city.country}-{_slug(city.name)}"
    return f"EMB-{city.country}-{_slug(city.name)}"


def _slug(name: str) -> str:
    return name.upper().replace(" ", "").replace("-", "")[:10]


def _national(
    rng: random.Random, national_id: str, city: City, lon: float, lat: float
) -> dict[str, Any]:
    number = int(national_id[1:])
    properties: dict[str, Any] = {
        "kind": "national",
        "id": national_id,
        "country": city.country,
        "language": rng.choices(("fr", "en", "ar"), (85, 10, 5))[0],
    }
    if rng.random() < 0.9:
        properties["sms"] = f"+336{number:08d}"
    if rng.random() < 0.8:
        properties["email"] = f"national.{number}@example.fr"
    if rng.random() < 0.6:
        properties["push_token"] = f"push-{number:08d}-{rng.getrandbits(32):08x}"
    if rng.random() < 0.1:
        properties["channels"] = ["sms"]
    return _feature(_point(lon, lat), **properties)


def _islands(
    rng: random.Random, city: City, ids: list[str], homes: list[tuple[float, float]]
) -> Iterator[dict[str, Any]]:
    step = 2 * CITY_HALF_WIDTH_DEG / ISLAND_GRID
    west, south = city.lon - CITY_HALF_WIDTH_DEG, city.lat - CITY_HALF_WIDTH_DEG
    residents: dict[tuple[int, int], list[str]] = {}
    for national_id, (lon, lat) in zip(ids, homes, strict=True):
        cell = (int((lon - west) / step), int((lat - south) / step))
        residents.setdefault(cell, []).append(national_id)
    for (col, row), people in sorted(residents.items()):
        if len(people) < 3:
            continue
        leader, *deputies = rng.sample(people, 3)
        lon0, lat0 = west + col * step, south + row * step
        yield _feature(
            _box(lon0, lat0, lon0 + step, lat0 + step),
            kind="island",
            id=f"ISL-{_slug(city.name)}-{col}{row}",
            post_id=post_id_for(city),
            name=f"{city.name} îlot {col * ISLAND_GRID + row + 1}",
            leader_id=leader,
            deputy_ids=deputies,
        )


def _trips(
    rng: random.Random, national_count: int, trips: int, today: date
) -> Iterator[dict[str, Any]]:
    for i in range(trips):
        city = rng.choice(CITIES)
        lon, lat = _home(rng, city)
        start = today + timedelta(days=rng.randint(-20, 10))
        yield _feature(
            _point(lon, lat),
            kind="trip",
            id=f"T{i:07d}",
            national_id=f"N{rng.randrange(national_count):07d}",
            country=city.country,
            start=start.isoformat(),
            end=(start + timedelta(days=rng.randint(2, 21))).isoformat(),
        )


def _reservists(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(RESERVISTS):
        city = rng.choice(FRENCH_CITIES) if rng.random() < 0.6 else rng.choice(CITIES)
        lon, lat = _home(rng, city)
        languages = ["fr", *rng.sample(EXTRA_LANGUAGES, rng.randint(0, 2))]
        yield _feature(
            _point(lon, lat),
            kind="reservist",
            id=f"R{i:05d}",
            skills=rng.sample(SKILLS, rng.randint(1, 2)),
            languages=languages,
            available=rng.random() < 0.85,
            sms=f"+3375{i:07d}",
            email=f"reserviste.{i}@example.fr",
            push_token=f"push-r{i:05d}-{rng.getrandbits(32):08x}",
        )
