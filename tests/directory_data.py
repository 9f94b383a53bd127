"""A small hand-made directory around the Marrakech earthquake sample.

The sample's polygon spans lat 31.40..31.80, lon -8.30..-7.70.
"""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CELL_EMAIL = "cellule-crise@consulat-marrakech.example.fr"


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def box(lat0: float, lon0: float, lat1: float, lon1: float) -> dict[str, Any]:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def national(
    national_id: str, lat: float, lon: float, country: str = "MA", **extra: Any
) -> dict[str, Any]:
    number = sum(ord(c) for c in national_id)
    contacts = {
        "sms": f"+3361{number:07d}",
        "email": f"{national_id.lower()}@example.fr",
        "push_token": f"push-token-{national_id}",
    }
    return feature(
        point(lat, lon), kind="national", id=national_id, country=country, **{**contacts, **extra}
    )


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def marrakech_directory(today: date) -> list[dict[str, Any]]:
    return [
        feature(
            point(34.02, -6.84),
            kind="post",
            id="EMB-MA",
            name="Ambassade Rabat",
            post_type="embassy",
            country="MA",
            district_countries=["MA"],
            emergency_phone="+212537689700",
        ),
        feature(
            box(30.5, -9.0, 32.5, -7.0),
            kind="post",
            id="CON-MARRAKECH",
            name="Consulat général Marrakech",
            post_type="consulate",
            country="MA",
            district_countries=["MA"],
            emergency_phone="+212524388200",
            cell_email=CELL_EMAIL,
        ),
        feature(
            point(14.69, -17.44),
            kind="post",
            id="EMB-SN",
            name="Ambassade Dakar",
            post_type="embassy",
            country="SN",
            district_countries=["SN", "GM"],
            emergency_phone="+221338395100",
        ),
        national("N-IN", 31.60, -8.00),
        national("N-IN-EN", 31.50, -7.80, language="en"),
        national("N-EDGE-N", 31.81, -8.00),  # 0.01 degree north of the area
        national("N-EDGE-W", 31.60, -8.31),  # 0.01 degree west
        national("N-CASA", 33.57, -7.59),
        national("N-SMS-ONLY", 31.55, -7.90, channels=["sms"]),
        national("N-NO-CONTACT", 31.56, -7.91, sms=None, email=None, push_token=None),
        national("N-TRAVELLER", 48.85, 2.35, country="FR"),
        national("N-BACK-HOME", 48.86, 2.36, country="FR"),
        national("N-BOTH", 31.70, -8.10),
        national("N-DAKAR", 14.70, -17.45, country="SN"),
        national("N-BANJUL", 13.45, -16.58, country="GM"),
        feature(
            point(31.65, -7.95),
            kind="trip",
            id="T-ACTIVE",
            national_id="N-TRAVELLER",
            country="MA",
            start=(today - timedelta(days=2)).isoformat(),
            end=(today + timedelta(days=5)).isoformat(),
        ),
        feature(
            point(31.65, -7.95),
            kind="trip",
            id="T-ENDED",
            national_id="N-BACK-HOME",
            country="MA",
            start=(today - timedelta(days=10)).isoformat(),
            end=(today - timedelta(days=1)).isoformat(),
        ),
        feature(
            point(31.66, -7.96),
            kind="trip",
            id="T-BOTH",
            national_id="N-BOTH",
            country="MA",
            start=today.isoformat(),
            end=today.isoformat(),
        ),
        feature(
            box(31.50, -8.10, 31.60, -8.00),
            kind="island",
            id="ISL-INSIDE",
            post_id="CON-MARRAKECH",
            name="Médina",
            leader_id="N-IN",
            deputy_ids=["N-BOTH"],
        ),
        feature(
            box(31.80, -8.00, 31.90, -7.90),
            kind="island",
            id="ISL-TOUCHING",
            post_id="CON-MARRAKECH",
            name="Nord (touche la zone)",
            leader_id="N-EDGE-N",
            deputy_ids=["N-CASA", "N-EDGE-W"],
        ),
        feature(
            box(33.50, -7.70, 33.60, -7.50),
            kind="island",
            id="ISL-CASA",
            post_id="EMB-MA",
            name="Casablanca",
            leader_id="N-CASA",
            deputy_ids=[],
        ),
        reservist("R-NEAR", 31.62, -7.99, ["hydrology"], ["fr"]),
        reservist("R-FAR", 48.85, 2.35, ["hydrology", "logistics"], ["ar", "fr"]),
        reservist("R-MID", 33.57, -7.59, ["hydrology"], ["ar"]),
        reservist("R-BUSY", 31.63, -7.98, ["hydrology"], ["fr"], available=False),
        reservist("R-DOCTOR", 31.61, -7.97, ["medicine"], ["fr"]),
        reservist("R-GERMAN", 31.64, -7.96, ["hydrology"], ["de"]),
    ]


def reservist(
    reservist_id: str,
    lat: float,
    lon: float,
    skills: list[str],
    languages: list[str],
    available: bool = True,
) -> dict[str, Any]:
    return feature(
        point(lat, lon),
        kind="reservist",
        id=reservist_id,
        skills=skills,
        languages=languages,
        available=available,
        sms="+33750000001",
        email=f"{reservist_id.lower()}@example.fr",
        push_token=f"push-{reservist_id}",
    )


def write(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(collection(features)))
    return path
