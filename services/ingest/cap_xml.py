"""CAP 1.2 XML to the crisis event model, with a hardened parser."""

import re
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from pydantic import ValidationError

from schemas.crisis import CrisisEvent
from services.common.validation import describe_validation_error
from services.ingest.errors import InvalidEvent

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_NS = {"cap": CAP_NS}
COUNTRY_GEOCODE = "ISO3166-1"
REGION_GEOCODE = "ISO3166-2"
CHANNELS_PARAMETER = "VIGIE_CHANNELS"
NEED_PARAMETER = "VIGIE_RESERVIST_NEED"


def parse_cap_xml(raw: bytes) -> CrisisEvent:
    try:
        root = safe_xml.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InvalidEvent(f"forbidden XML construct ({type(exc).__name__}): {exc}") from exc
    except safe_xml.ParseError as exc:
        line, column = exc.position
        raise InvalidEvent(f"malformed XML at line {line}, column {column}: {exc.msg}") from exc
    if root.tag != f"{{{CAP_NS}}}alert":
        raise InvalidEvent(
            f"not a CAP 1.2 alert: root element is {root.tag!r}, "
            f"expected 'alert' in namespace {CAP_NS}"
        )
    fields = _alert_fields(root)
    try:
        return CrisisEvent.model_validate(fields)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc, prefix="CAP ")) from exc


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
    if not infos:
        raise InvalidEvent("CAP alert has no <info> block")
    first = infos[0]
    fields: dict[str, Any] = {
        "identifier": _required(root, "identifier", ""),
        "sender": _required(root, "sender", ""),
        "sent": _required(root, "sent", ""),
        "status": _required(root, "status", ""),
        "msg_type": _required(root, "msgType", ""),
        "references": _references(_text(root, "references") or ""),
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


def _references(text: str) -> list[dict[str, str]]:
    references = []
    for triple in text.split():
        parts = triple.split(",")
        if len(parts) != 3:
            raise InvalidEvent(f"CAP <references> entry {triple!r} is not 'sender,identifier,sent'")
        references.append({"sender": parts[0], "identifier": parts[1], "sent": parts[2]})
    return references


def _info(info: Element, index: int) -> dict[str, Any]:
    fields = {
        "language": _text(info, "language") or "en-US",
        "headline": _required(info, "headline", f"info[{index}]/"),
        "description": _text(info, "description") or "",
        "instruction": _text(info, "instruction") or "",
        "web": _text(info, "web"),
        "contact": _text(info, "contact"),
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
    areas: list[dict[str, Any]] = []
    for i, info in enumerate(infos):
        for j, area in enumerate(info.findall("cap:area", _NS)):
            where = f"info[{i}]/area[{j}]"
            parsed = {
                "description": _text(area, "areaDesc") or "",
                "polygons": [
                    {"points": _points(p, f"{where}/polygon[{k}]")}
                    for k, p in enumerate(_texts(area, "polygon"))
                ],
                "circles": [
                    _circle(c, f"{where}/circle[{k}]") for k, c in enumerate(_texts(area, "circle"))
                ],
                "countries": _geocodes(area, COUNTRY_GEOCODE),
                "regions": _geocodes(area, REGION_GEOCODE),
            }
            if parsed not in areas:  # each language block repeats the same areas
                areas.append(parsed)
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


def _geocodes(area: Element, name: str) -> list[str]:
    codes = []
    for node in area.findall("cap:geocode", _NS):
        if _text(node, "valueName") == name:
            codes.extend((_text(node, "value") or "").upper().split())
    return codes
