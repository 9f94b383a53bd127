"""What ingest accepts and the reasons it gives for what it refuses."""

import json

import pytest

from schemas.crisis import Channel, MsgType
from services.cap.errors import InvalidEvent
from services.cap.parse import MAX_EVENT_BYTES, parse_event
from tests.events import cap_xml, event_dict, event_json
from tests.helpers import SAMPLES


def test_json_event_is_parsed() -> None:
    event = parse_event(event_json("J-1"))
    assert event.identifier == "J-1"
    assert event.msg_type is MsgType.ALERT
    assert event.info_for("en").headline.startswith("Earthquake")
    assert event.info_for("de").headline.startswith("Séisme")  # falls back to French
    assert event.reservist_needs[0].skill == "medicine"


def test_cap_xml_event_is_parsed_with_areas_and_vigie_parameters() -> None:
    event = parse_event(cap_xml("CAP-7"))
    assert event.identifier == "CAP-7"
    area = event.areas[0]
    assert area.polygons[0].points[0] == (35.7, -5.9)
    assert area.circles[0].center == (35.77, -5.80) and area.circles[0].radius_km == 15
    assert area.countries == ["MA"]
    assert event.reservist_needs[0].languages == ["fr", "ar"]


def test_sample_cap_file_keeps_one_copy_of_areas_repeated_per_language() -> None:
    event = parse_event((SAMPLES / "flood-tangier.cap.xml").read_bytes())
    assert len(event.info) == 2
    assert len(event.areas) == 1
    assert event.channels == [Channel.PUSH, Channel.SMS, Channel.EMAIL]


def test_cap_update_carries_references_to_the_original() -> None:
    refs = "<references>cdcs@diplomatie.gouv.fr,CAP-1,2026-11-25T08:00:00+00:00</references>"
    event = parse_event(cap_xml("CAP-2", msg_type="Update", extra_root=refs))
    assert event.msg_type is MsgType.UPDATE
    assert event.crisis_id == "CAP-1"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"<alert><unclosed>", "malformed XML at line 1"),
        (event_json(identifier=""), "identifier"),
        (
            json.dumps({k: v for k, v in event_dict().items() if k != "identifier"}).encode(),
            "identifier: Field required",
        ),
        (cap_xml(polygon="35.7,-5.9 35.7,-5.7 35.9,-5.7 35.8,-5.8"), "polygon is not closed"),
        (
            event_json(msgType="Panic"),
            "msgType: Input should be 'Alert', 'Update', 'Cancel', 'Ack' or 'Error'",
        ),
        (cap_xml(msg_type="Panic"), "msg_type"),
        (b'{"identifier": "x",', "Invalid JSON"),
        (event_json(msgType="Cancel"), "must reference the alert"),
        (event_json(areas=[{"circles": [{"center": [95, 0], "radius_km": 3}]}]), "less than"),
        (event_json(areas=[{"description": "nowhere"}]), "no polygon, circle, country or region"),
        (b"   ", "empty"),
        (cap_xml(polygon="35.7;-5.9"), "is not a 'lat,lon' pair"),
    ],
)
def test_bad_events_are_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(raw)
    assert reason in str(caught.value)


def test_xml_entity_expansion_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>"""
    with pytest.raises(InvalidEvent, match="forbidden XML construct"):
        parse_event(bomb)


def test_cap_without_the_cap_namespace_is_refused() -> None:
    with pytest.raises(InvalidEvent, match=r"not a CAP 1\.2 or 1\.1 alert"):
        parse_event(b"<alert><identifier>x</identifier></alert>")


def test_oversized_event_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="over the"):
        parse_event(b"{" + b" " * MAX_EVENT_BYTES + b"}")
