"""Crisis events for tests, built from the demo's sample."""

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import SAMPLES

_BASE: dict[str, Any] = json.loads((SAMPLES / "earthquake-marrakech.json").read_text())


def event_dict(identifier: str = "T-1", **overrides: Any) -> dict[str, Any]:
    event = copy.deepcopy(_BASE)
    event["identifier"] = identifier
    event["sent"] = datetime.now(UTC).isoformat()
    for need in event["reservist_needs"]:
        need["deadline"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    event.update(overrides)
    return event


def event_json(identifier: str = "T-1", **overrides: Any) -> bytes:
    return json.dumps(event_dict(identifier, **overrides)).encode()


def cap_xml(
    identifier: str = "CAP-1",
    polygon: str = "35.7,-5.9 35.7,-5.7 35.9,-5.7 35.7,-5.9",
    msg_type: str = "Alert",
    extra_root: str = "",
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>cdcs@diplomatie.gouv.fr</sender>
  <sent>{datetime.now(UTC).isoformat(timespec="seconds")}</sent>
  <status>Actual</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>{extra_root}
  <info>
    <language>fr</language>
    <category>Met</category>
    <event>Inondations</event>
    <urgency>Expected</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <headline>Crues attendues</headline>
    <parameter><valueName>VIGIE_RESERVIST_NEED</valueName>
      <value>need_id=hydro;skill=hydrology;count=2;languages=fr,ar;deadline=2026-12-01T00:00:00Z</value>
    </parameter>
    <area>
      <areaDesc>Tanger</areaDesc>
      <polygon>{polygon}</polygon>
      <circle>35.77,-5.80 15</circle>
      <geocode><valueName>ISO3166-1</valueName><value>MA</value></geocode>
    </area>
  </info>
</alert>""".encode()


LONDON = [[51.10, -0.75], [51.10, 0.45], [51.90, 0.45], [51.90, -0.75], [51.10, -0.75]]


def london_event_json(identifier: str, **overrides: Any) -> bytes:
    """An urgent crisis over London, where a tenth of a generated directory lives: Immediate
    (the priority lane) but not Extreme, which would wait for a second operator."""
    return event_json(
        identifier,
        severity="Severe",
        urgency="Immediate",
        reservist_needs=[],
        areas=[{"description": "London", "polygons": [{"points": LONDON}]}],
        **overrides,
    )


def cancel_json(identifier: str, cancels: str) -> bytes:
    return event_json(
        identifier,
        msgType="Cancel",
        areas=[],
        reservist_needs=[],
        references=[
            {
                "sender": _BASE["sender"],
                "identifier": cancels,
                "sent": datetime.now(UTC).isoformat(),
            }
        ],
    )


def hydrologists(count: int) -> list[dict[str, Any]]:
    """A reservist need for hydrologists speaking French or Arabic, far from its deadline."""
    return [
        {
            "need_id": "hydro",
            "skill": "hydrology",
            "count": count,
            "languages": ["fr", "ar"],
            "deadline": "2030-01-01T00:00:00+00:00",
        }
    ]
