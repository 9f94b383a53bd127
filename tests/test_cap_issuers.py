"""CAP as real issuers write it: each document accepted, or refused with a reason a person
understands; never a crash."""

import asyncio
from pathlib import Path

import numpy as np
import pytest
import shapely

from schemas.crisis import CrisisEvent, MsgType
from schemas.delivery import DeadLetter
from schemas.topics import CRISIS_ACCEPTED, DEAD_LETTERS
from services.cap.errors import InvalidEvent
from services.cap.parse import MAX_EVENT_BYTES, parse_event
from services.common.bus_reader import read_models
from services.common.config import Settings
from services.places.geometry import target_area
from services.publishing import check_event_file
from tests.events import cap_xml
from tests.helpers import publish, running

CAP_DIR = Path(__file__).parent / "data" / "cap"
# What each real document must become: accepted (with what Vigie read of it) or refused.
ACCEPTED = {
    "australia.cap": "two info blocks in one language",
    "canada.cap": "Update in English and French",
    "canada_signed.cap": "an enveloped XML signature",
    "earthquake-iso8859-1.cap": "ISO-8859-1",
    "earthquake_signed.cap": "CAP 1.1 with a signature",
    "wcatwc-warning.cap": "a headline over 160 characters",
    "weather.cap": "FIPS6 and UGC geocodes alone",
    "KAR0-0306112239-SW.cap": "a SAME geocode alone",
    "thunderstorm.cap": "a polygon",
}
REFUSED = {
    "canada_errors.cap": "<headline> is missing",
    "noaa_errors.cap": "<urgency> is missing",
    "invalid.cap": "<scope> is missing",
    "xee.cap": "forbidden XML construct",
    "no_optional_fields.cap": "has no <info> block",
    "43b080713727.cap": "Vigie cannot tell who is in it",
}


def test_the_set_of_real_documents_is_the_one_listed() -> None:
    assert {p.name for p in CAP_DIR.glob("*.cap")} == set(ACCEPTED) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_a_real_issuers_valid_document_is_accepted(name: str) -> None:
    event = parse_event((CAP_DIR / name).read_bytes())
    assert event.info and event.areas, ACCEPTED[name]
    # Whatever the issuer wrote, the resolver can make an area of it.
    area = target_area(event.areas)
    assert area.shape is not None or area.countries or area.regions


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_real_issuers_unusable_document_is_refused_with_its_reason(name: str) -> None:
    with pytest.raises(InvalidEvent, match=REFUSED[name].replace("<", ".").replace(">", ".")):
        parse_event((CAP_DIR / name).read_bytes())


def test_what_vigie_reads_of_real_documents() -> None:
    australia = parse_event((CAP_DIR / "australia.cap").read_bytes())
    # Two blocks in one language: the first speaks, the areas of both add up.
    assert australia.info_for("en").headline == australia.info[0].headline
    # ISO 3166-2 named by the ISO's address, beside a circle: a description, not a target.
    assert australia.areas[0].regions == [] and "AU-NSW" in australia.areas[0].description
    tsunami = parse_event((CAP_DIR / "wcatwc-warning.cap").read_bytes())
    assert len(tsunami.info[0].headline) <= 160
    assert tsunami.info[0].description.startswith(tsunami.info[0].headline.removesuffix("..."))
    weather = parse_event((CAP_DIR / "weather.cap").read_bytes())
    assert weather.areas[0].countries == ["US"]
    assert "no geometry in the event" in weather.areas[0].description
    quake = parse_event((CAP_DIR / "earthquake-iso8859-1.cap").read_bytes())
    assert "Usulután" in quake.areas[0].description  # decoded as the document declares


def _with(extra_root: str = "", info_extra: str = "", area_extra: str = "") -> str:
    text = cap_xml(extra_root=extra_root).decode()
    text = text.replace("<headline>", f"{info_extra}<headline>", 1)
    return text.replace("<areaDesc>", f"{area_extra}<areaDesc>", 1)


def test_prefixes_encodings_marks_stylesheets_and_signatures_are_read() -> None:
    plain = parse_event(cap_xml())
    prefixed = (
        cap_xml()
        .decode()
        .replace('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">', "")
        .replace("</alert>", "")
    )
    prefixed = prefixed.replace("<", "<cap:").replace("<cap:/", "</cap:").replace("<cap:?", "<?")
    prefixed = prefixed.replace(
        "?>", '?>\n<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">', 1
    )
    variants = {
        "prefix": (prefixed + "</cap:alert>").encode(),
        "byte-order mark": b"\xef\xbb\xbf" + cap_xml(),
        "ISO-8859-1": cap_xml()
        .decode()
        .replace("UTF-8", "ISO-8859-1")
        .replace("Crues attendues", "Crues attendues à Tanger")
        .encode("latin-1"),
        "stylesheet": cap_xml()
        .decode()
        .replace("?>", '?>\n<?xml-stylesheet href="cap.xsl" type="text/xsl"?>', 1)
        .encode(),
        "empty optional elements": _with(
            extra_root="\n  <restriction/><addresses></addresses><note/>",
            info_extra="<web/><contact></contact><senderName/>",
        ).encode(),
        "signature": _with(
            extra_root='\n  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">'
            "<SignedInfo><Reference URI=''/></SignedInfo><SignatureValue>AAAA</SignatureValue>"
            "</Signature>"
        ).encode(),
    }
    for what, raw in variants.items():
        event = parse_event(raw)
        assert event.areas == plain.areas, what
        assert event.info[0].headline.startswith("Crues attendues"), what
    assert "à Tanger" in parse_event(variants["ISO-8859-1"]).info[0].headline


def test_a_circle_of_radius_zero_is_a_point() -> None:
    raw = (
        cap_xml()
        .decode()
        .replace("<circle>35.77,-5.80 15</circle>", "<circle>35.77,-5.80 0</circle>")
    )
    event = parse_event(raw.encode())
    assert event.areas[0].circles[0].radius_km == 0
    point_only = event.model_copy(
        update={"areas": [event.areas[0].model_copy(update={"polygons": [], "countries": []})]}
    )
    area = target_area(point_only.areas)
    assert area.shape is not None and area.shape.covers(shapely.Point(-5.80, 35.77))


def test_several_infos_in_one_language_add_their_areas_and_the_first_text_speaks() -> None:
    text = cap_xml().decode()
    info = text[text.index("<info>") : text.index("</info>") + len("</info>")]
    second = (
        info.replace("Crues attendues", "Autre texte")
        .replace("<areaDesc>Tanger</areaDesc>", "<areaDesc>Tétouan</areaDesc>")
        .replace("<circle>35.77,-5.80 15</circle>", "<circle>35.57,-5.37 10</circle>")
    )
    event = parse_event(text.replace(info, info + second).encode())
    assert event.info_for("fr").headline == "Crues attendues"
    assert [a.description for a in event.areas] == ["Tanger", "Tétouan"]


def test_an_embedded_resource_is_kept_off_the_bus() -> None:
    image = "A" * 30_000
    resource = (
        "<resource><resourceDesc>map</resourceDesc><mimeType>image/png</mimeType>"
        f"<derefUri>{image}</derefUri></resource>"
    )
    raw = cap_xml().decode().replace("<area>", resource + "<area>", 1).encode()
    event = parse_event(raw)
    assert len(event.model_dump_json()) < 5_000


def _country_sized(identifier: str) -> tuple[bytes, int]:
    """A CAP document whose area is an outline of 100,000 vertices (a real met service's
    country outline ran to 41,000), and its vertex count."""
    turns = np.linspace(0, 2 * np.pi, 99_999, endpoint=False)
    ring = [(31.5 + 1.5 * np.sin(t), -7.5 + 1.5 * np.cos(t)) for t in turns]
    outline = [*ring, ring[0]]
    polygon = " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in outline)
    return cap_xml(identifier, polygon=polygon), len(outline)


def test_large_legitimate_areas_are_read_and_too_large_documents_refused() -> None:
    raw, vertices = _country_sized("BIG-1")
    assert vertices == 100_000
    assert len(raw) < MAX_EVENT_BYTES
    event = parse_event(raw)
    assert len(event.areas[0].polygons[0].points) == vertices
    with pytest.raises(InvalidEvent, match=r"over the .*-byte limit"):
        parse_event(raw + b" " * (MAX_EVENT_BYTES - len(raw) + 1))


@pytest.mark.parametrize(
    ("scheme", "code", "country"),
    [
        ("SAME", "006037", "US"),
        ("FIPS6", "030049", "US"),
        ("UGC", "MTZ045", "US"),
        ("NUTS3", "EL301", "GR"),
        ("EMMA_ID", "FR434", "FR"),
        ("NUTS2", "UKI3", "GB"),
    ],
)
def test_another_schemes_geocode_targets_its_country_only_without_geometry(
    scheme: str, code: str, country: str
) -> None:
    geocode = f"<geocode><valueName>{scheme}</valueName><value>{code}</value></geocode>"
    alone = "<area><areaDesc>Somewhere</areaDesc>" + geocode + "</area>"
    text = cap_xml().decode()
    area = text[text.index("<area>") : text.index("</area>") + len("</area>")]
    without_geometry = parse_event(text.replace(area, alone).encode())
    assert without_geometry.areas[0].countries == [country]
    assert f"{scheme} {code}" in without_geometry.areas[0].description
    beside_a_polygon = parse_event(text.replace("<areaDesc>", geocode + "<areaDesc>").encode())
    assert country not in beside_a_polygon.areas[0].countries
    assert f"{scheme} {code}" in beside_a_polygon.areas[0].description


@pytest.mark.parametrize(
    ("scheme", "code", "region"),
    [
        ("ISO3166-2", "fr-75", "FR-75"),
        ("iso3166-2", "FR_13", "FR-13"),
        ("ISO3166-2", "MA05", "MA-05"),
    ],
)
def test_iso_3166_2_written_differently_is_a_region(scheme: str, code: str, region: str) -> None:
    geocode = f"<geocode><valueName>{scheme}</valueName><value>{code}</value></geocode>"
    raw = cap_xml().decode().replace("<areaDesc>", geocode + "<areaDesc>").encode()
    assert parse_event(raw).areas[0].regions == [region]


def test_an_ack_or_an_error_without_info_is_read() -> None:
    text = cap_xml(
        identifier="ACK-1",
        msg_type="Ack",
        extra_root="\n  <references>cdcs@example.fr,CAP-1,2026-12-01T00:00:00Z</references>",
    ).decode()
    text = text[: text.index("<info>")] + "</alert>"
    for msg_type in ("Ack", "Error"):
        event = parse_event(text.replace("<msgType>Ack", f"<msgType>{msg_type}").encode())
        assert event.msg_type is MsgType(msg_type) and event.is_record_only
        assert event.crisis_id == "CAP-1"


async def test_the_real_set_through_publish_now_and_ingest(
    settings: Settings, tmp_path: Path
) -> None:
    """As `vigie publish --now FILE` sends each document (refused ones as `--unchecked`):
    ingest accepts each valid one and dead-letters each other with its reason."""
    sent: dict[str, str] = {}
    async with running(settings, ["ingest"]):
        for path in sorted(CAP_DIR.glob("*.cap")):
            try:
                raw, event = check_event_file(path, restamp=True)
                sent[path.name] = event.identifier
            except InvalidEvent:
                raw = path.read_bytes()
            await publish(settings, raw, key=path.name)
        big, _ = _country_sized("BIG-BUS")  # about 2 MiB, through the broker as it is
        await publish(settings, big, key="big")
        sent["big"] = "BIG-BUS"
        accepted: list[CrisisEvent] = []
        letters: list[DeadLetter] = []
        async with asyncio.timeout(60):
            while len(accepted) < len(sent) or len(letters) < len(REFUSED):
                await asyncio.sleep(0.5)
                accepted = await read_models(settings, CRISIS_ACCEPTED, CrisisEvent)
                letters = await read_models(settings, DEAD_LETTERS, DeadLetter)
    assert set(sent) == {*ACCEPTED, "big"}
    assert sorted(e.identifier for e in accepted) == sorted(sent.values())
    reasons = " | ".join(letter.reason for letter in letters)
    for name, reason in REFUSED.items():
        assert reason in reasons, (name, reasons)


@pytest.mark.kafka
async def test_a_country_sized_event_crosses_apache_kafka(kafka_settings: Settings) -> None:
    """The 4 MiB message limits (topics, producers, brokers) hold on Apache Kafka too: a
    1.8 MB event goes in on crisis.events and out on crisis.accepted."""
    big, vertices = _country_sized("BIG-KAFKA")
    assert len(big) > 1_700_000  # Kafka's own default limit is 1 MiB
    async with running(kafka_settings, ["ingest"]):
        await publish(kafka_settings, big, key="big")
        accepted: list[CrisisEvent] = []
        async with asyncio.timeout(60):
            while not accepted:
                await asyncio.sleep(0.5)
                accepted = await read_models(kafka_settings, CRISIS_ACCEPTED, CrisisEvent)
    [event] = accepted
    assert event.identifier == "BIG-KAFKA"
    assert len(event.areas[0].polygons[0].points) == vertices
