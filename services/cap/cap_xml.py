"""CAP 1.2 XML to the crisis event model, with a hardened parser."""

import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from pydantic import ValidationError

from schemas.crisis import MAX_DESCRIPTION, MAX_HEADLINE, MAX_TEXT, CrisisEvent
from services.cap.errors import InvalidEvent
from services.common.validation import describe_validation_error

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# CAP 1.1 (still written by many issuers) has every element Vigie reads, under the same names.
CAP_1_1_NS = "urn:oasis:names:tc:emergency:cap:1.1"
_NS = {"cap": CAP_NS}
COUNTRY_GEOCODE = "ISO3166-1"
REGION_GEOCODE = "ISO3166-2"
# Geocode schemes of other issuers that tell the country they lie in.
US_SCHEMES = {"SAME", "FIPS6", "UGC"}
CANADA_SCHEMES = {"SGC", "PROFILE:CAP-CP:LOCATION:0.3"}
PREFIXED_SCHEMES = {"NUTS", "NUTS1", "NUTS2", "NUTS3", "EMMA_ID"}  # code starts with it
EU_TO_ISO = {"EL": "GR", "UK": "GB"}  # Eurostat's country codes that ISO spells otherwise
_REGION = re.compile(r"^([A-Z]{2})[-_ ]?([A-Z0-9]{1,3})$")
CHANNELS_PARAMETER = "VIGIE_CHANNELS"
NEED_PARAMETER = "VIGIE_RESERVIST_NEED"


def parse_cap_xml(raw: bytes) -> CrisisEvent:
    """Other issuers' documents too: any declared encoding, prefixes, stylesheets, XML
    signatures and other foreign elements (ignored: Vigie's own signature authenticates)."""
    try:
        root = read_xml(raw)
    except XmlRefused as exc:
        raise InvalidEvent(str(exc)) from exc
    if root.tag == f"{{{CAP_1_1_NS}}}alert":
        _as_cap_1_2(root)
    if root.tag != f"{{{CAP_NS}}}alert":
        raise InvalidEvent(
            f"not a CAP 1.2 or 1.1 alert: root element is {root.tag!r}, "
            f"expected 'alert' in namespace {CAP_NS}"
        )
    fields = _alert_fields(root)
    try:
        return CrisisEvent.model_validate(fields)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc, prefix="CAP ")) from exc


class XmlRefused(ValueError):
    """XML that is not read: malformed, or with a DTD or entities; the message says where."""


def read_xml(raw: bytes) -> Element:
    """Other issuers' XML (CAP documents, the feeds listing them), read with no DTD and no
    entities: each is as hostile as the network it came from."""
    try:
        root: Element = safe_xml.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmlRefused(f"forbidden XML construct ({type(exc).__name__}): {exc}") from exc
    except safe_xml.ParseError as exc:
        line, column = exc.position
        raise XmlRefused(f"malformed XML at line {line}, column {column}: {exc.msg}") from exc
    return root


def _as_cap_1_2(root: Element) -> None:
    old, new = f"{{{CAP_1_1_NS}}}", f"{{{CAP_NS}}}"
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith(old):
            element.tag = new + element.tag.removeprefix(old)


def _text(parent: Element, tag: str) -> str | None:
    node = parent.find(f"cap:{tag}", _NS)
    return node.text.strip() if node is not None and node.text else None


def _texts(parent: Element, tag: str) -> list[str]:
    return [n.text.strip() for n in parent.findall(f"cap:{tag}", _NS) if n.text]


def _required(parent: Element, tag: str, where: str) -> str:
    value = _text(parent, tag)
    if value is None:
        raise InvalidEvent(f"CAP {where}<{tag}> is missing or empty")
    return value


def _alert_fields(root: Element) -> dict[str, Any]:
    infos = root.findall("cap:info", _NS)
    msg_type = _required(root, "msgType", "")
    fields: dict[str, Any] = {
        "identifier": _required(root, "identifier", ""),
        "sender": _required(root, "sender", ""),
        "sent": _required(root, "sent", ""),
        "status": _required(root, "status", ""),
        "msg_type": msg_type,
        "scope": _required(root, "scope", ""),
        "addresses": _addresses(_text(root, "addresses") or ""),
        "references": _references(_text(root, "references") or ""),
    }
    if not infos:
        if msg_type not in ("Ack", "Error"):
            raise InvalidEvent(f"CAP {msg_type} has no <info> block: nothing to tell anyone")
        # An Ack or an Error says nothing to the public: it only names what it answers.
        return fields | {
            "category": ["Other"],
            "event": msg_type,
            "urgency": "Unknown",
            "severity": "Unknown",
            "certainty": "Unknown",
        }
    first = infos[0]
    fields |= {
        "category": _texts(first, "category"),
        "event": _required(first, "event", "info[0]/"),
        "urgency": _required(first, "urgency", "info[0]/"),
        "severity": _required(first, "severity", "info[0]/"),
        "certainty": _required(first, "certainty", "info[0]/"),
        "info": [_info(info, i) for i, info in enumerate(infos)],
        "areas": _areas(infos),
    }
    parameters = _parameters(first)
    if CHANNELS_PARAMETER in parameters:
        fields["channels"] = re.split(r"[\s,]+", parameters[CHANNELS_PARAMETER][0].strip())
    needs = [_key_values(v, NEED_PARAMETER) for v in parameters.get(NEED_PARAMETER, [])]
    if needs:
        fields["reservist_needs"] = needs
    return fields


def _addresses(text: str) -> list[str]:
    """CAP addresses: space-separated, double-quoted where one holds a space."""
    return [quoted or plain for quoted, plain in re.findall(r'"([^"]*)"|(\S+)', text)]


def _references(text: str) -> list[dict[str, str]]:
    references = []
    for triple in text.split():
        parts = triple.split(",")
        if len(parts) != 3:
            raise InvalidEvent(f"CAP <references> entry {triple!r} is not 'sender,identifier,sent'")
        references.append({"sender": parts[0], "identifier": parts[1], "sent": parts[2]})
    return references


def _info(info: Element, index: int) -> dict[str, Any]:
    headline = _required(info, "headline", f"info[{index}]/")
    description = _text(info, "description") or ""
    if len(headline) > MAX_HEADLINE:
        # CAP asks for about 160 characters, not at most: the whole of a longer one leads
        # the description, and a shortened one heads the alert.
        description = f"{headline}\n\n{description}".strip()
        headline = headline[: MAX_HEADLINE - 3].rsplit(" ", 1)[0] + "..."
    fields = {
        "language": _text(info, "language") or "en-US",
        "headline": headline,
        "description": description[:MAX_TEXT],
        "instruction": _text(info, "instruction") or "",
        "web": _text(info, "web"),
        "contact": _text(info, "contact"),
        "sender_name": (_text(info, "senderName") or "")[:200] or None,
        "expires": _text(info, "expires"),
    }
    # CAP's default language is en-US; Vigie keys texts by primary language only.
    fields["language"] = str(fields["language"]).lower()
    return fields


def _parameters(info: Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in info.findall("cap:parameter", _NS):
        name, value = _text(node, "valueName"), _text(node, "value")
        if name and value is not None:
            found.setdefault(name, []).append(value)
    return found


def _key_values(text: str, parameter: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for pair in text.split(";"):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidEvent(f"CAP parameter {parameter}: {pair!r} is not key=value")
        key = key.strip()
        result[key] = [v for v in value.split(",") if v] if key == "languages" else value.strip()
    return result


def _areas(infos: list[Element]) -> list[dict[str, Any]]:
    """Every area of every info block, once: blocks in several languages repeat them, and
    blocks per category or place add theirs."""
    areas: list[dict[str, Any]] = []
    implied: list[tuple[dict[str, Any], Geocodes]] = []
    for i, info in enumerate(infos):
        for j, area in enumerate(info.findall("cap:area", _NS)):
            where = f"info[{i}]/area[{j}]"
            geocodes = _geocodes(area)
            parsed = {
                "description": (_text(area, "areaDesc") or "")[:MAX_DESCRIPTION],
                "polygons": [
                    {"points": _points(p, f"{where}/polygon[{k}]")}
                    for k, p in enumerate(_texts(area, "polygon"))
                ],
                "circles": [
                    _circle(c, f"{where}/circle[{k}]") for k, c in enumerate(_texts(area, "circle"))
                ],
                "countries": geocodes.countries,
                "regions": geocodes.regions,
            }
            if parsed not in areas:  # each language block repeats the same areas
                areas.append(parsed)
                implied.append((parsed, geocodes))
    has_geometry = any(a["polygons"] or a["circles"] for a in areas)
    for shown, geocodes in implied:
        kept = f"geocodes {', '.join(geocodes.others)}" if geocodes.others else ""
        places = geocodes.implied_countries | geocodes.implied_regions
        if places and not has_geometry:
            shown["countries"] = sorted(set(shown["countries"]) | geocodes.implied_countries)
            shown["regions"] = sorted(set(shown["regions"]) | geocodes.implied_regions)
            kept += f"; targeted as {', '.join(sorted(places))} (no geometry in the event)"
        if kept:
            shown["description"] = "; ".join(filter(None, (shown["description"], kept)))[
                :MAX_DESCRIPTION
            ]
    return areas


def _pair(text: str, where: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidEvent(f"CAP {where}: {text[:40]!r} is not a 'lat,lon' pair") from None
    return lat, lon


def _points(text: str, where: str) -> list[tuple[float, float]]:
    return [_pair(pair, where) for pair in text.split()]


def _circle(text: str, where: str) -> dict[str, Any]:
    parts = text.split()
    if len(parts) != 2:
        raise InvalidEvent(f"CAP {where}: {text[:40]!r} is not 'lat,lon radius_km'")
    try:
        radius = float(parts[1])
    except ValueError:
        raise InvalidEvent(f"CAP {where}: radius {parts[1][:20]!r} is not a number") from None
    return {"center": _pair(parts[0], where), "radius_km": radius}


@dataclass
class Geocodes:
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    # Told by codes of other schemes (or ISO 3166 written otherwise): targeted only where the
    # event has no geometry, which says more exactly where.
    implied_countries: set[str] = field(default_factory=set)
    implied_regions: set[str] = field(default_factory=set)
    others: list[str] = field(default_factory=list)  # "scheme value", kept as description


def _geocodes(area: Element) -> Geocodes:
    found = Geocodes()
    for node in area.findall("cap:geocode", _NS):
        name = _text(node, "valueName") or "?"
        scheme = name.upper()
        for code in (_text(node, "value") or "").upper().split():
            if scheme == COUNTRY_GEOCODE and re.fullmatch(r"[A-Z]{2}", code):
                found.countries.append(code)
                continue
            region = _REGION.match(code) if scheme == REGION_GEOCODE else None
            if region:
                found.regions.append(f"{region[1]}-{region[2]}")
                continue
            found.others.append(f"{name} {code}"[:120])
            region = _REGION.match(code) if _is_iso_3166(scheme) else None
            if region:
                found.implied_regions.add(f"{region[1]}-{region[2]}")
            elif country := _country_of(scheme, code):
                found.implied_countries.add(country)
    return found


def _is_iso_3166(scheme: str) -> bool:
    """ISO 3166 named otherwise: "iso3166-2", "ISO 3166-2", or the ISO's own page."""
    return bool(re.search(r"ISO.?3166|ISO\.ORG/ISO/COUNTRY_CODES", scheme))


def _country_of(scheme: str, code: str) -> str | None:
    """The country a geocode of another scheme lies in, where the scheme tells it."""
    if scheme in US_SCHEMES:
        return "US"
    if scheme in CANADA_SCHEMES:
        return "CA"
    if scheme in PREFIXED_SCHEMES or _is_iso_3166(scheme):
        prefix = code[:2]
        if re.fullmatch(r"[A-Z]{2}", prefix):
            return EU_TO_ISO.get(prefix, prefix)
    return None
