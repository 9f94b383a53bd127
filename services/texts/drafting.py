"""Events prepared in advance: vetted wording per kind of crisis, with placeholders the
operator fills in; an event still holding one is never published."""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, indent, tostring

import yaml

from services.cap.cap_xml import CAP_NS

TEMPLATES = Path(__file__).parent / "drafts"
META_FIELDS = ("category", "event", "urgency", "severity", "certainty")
TEXT_FIELDS = ("headline", "description", "instruction")
PLACEHOLDER = re.compile(rb"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
SENDER = "cdcs@diplomatie.gouv.fr"


class DraftError(ValueError):
    """A kind with no template, or a template that cannot be read."""


def kinds(templates: Path = TEMPLATES) -> list[str]:
    return sorted(p.stem for p in templates.glob("*.yaml") if "." not in p.stem)


def unfilled(raw: bytes) -> list[str]:
    """The placeholders still in an event file, each once, in order."""
    return list(dict.fromkeys(m.decode() for m in PLACEHOLDER.findall(raw)))


def named(placeholders: list[str]) -> str:
    """The placeholders as the operator writes them: {{area}}, {{post_phone}}."""
    return ", ".join("{{" + name + "}}" for name in placeholders)


def draft_event(kind: str, templates: Path = TEMPLATES) -> dict[str, Any]:
    """An event of this kind with its wording in every language it has, and placeholders
    for the identifier, the area and what the wording needs."""
    meta = _read(templates / f"{kind}.yaml", kind, templates)
    # French first: it is the text for every language the event lacks.
    texts = sorted(templates.glob(f"{kind}.*.yaml"), key=lambda p: (p.suffixes[0] != ".fr", p))
    if not texts:
        raise DraftError(f"no wording for {kind!r} in {templates} (expected {kind}.fr.yaml)")
    info = [
        {"language": path.suffixes[0].lstrip("."), **_texts(_read(path, kind))} for path in texts
    ]
    return {
        "identifier": "{{identifier}}",
        "sender": SENDER,
        "sent": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        **_pick(meta, META_FIELDS),
        "category": [meta["category"]],
        "info": info,
        "areas": [
            {
                "description": "{{area}}",
                "circles": [{"center": ["{{lat}}", "{{lon}}"], "radius_km": "{{radius_km}}"}],
            }
        ],
        "channels": ["push", "sms", "email"],
    }


def as_cap(event: dict[str, Any]) -> bytes:
    """The same draft as a CAP 1.2 document."""
    alert = Element("alert", xmlns=CAP_NS)
    for name in ("identifier", "sender", "sent", "status", "msgType", "scope"):
        SubElement(alert, name).text = event[name]
    for text in event["info"]:
        info = SubElement(alert, "info")
        SubElement(info, "language").text = text["language"]
        for category in event["category"]:
            SubElement(info, "category").text = category
        for name in ("event", "urgency", "severity", "certainty"):
            SubElement(info, name).text = event[name]
        for name in TEXT_FIELDS:
            SubElement(info, name).text = text[name]
        for area in event["areas"]:
            element = SubElement(info, "area")
            SubElement(element, "areaDesc").text = area["description"]
            for circle in area["circles"]:
                lat, lon = circle["center"]
                SubElement(element, "circle").text = f"{lat},{lon} {circle['radius_km']}"
    indent(alert)
    document: bytes = tostring(alert, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _read(path: Path, kind: str, templates: Path | None = None) -> dict[str, Any]:
    if not path.exists():
        known = ", ".join(kinds(templates)) if templates else ""
        raise DraftError(f"no template for {kind!r}" + (f"; known kinds: {known}" if known else ""))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DraftError(f"{path}: not readable YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise DraftError(f"{path}: expected fields, one per line")
    return data


def _texts(data: dict[str, Any]) -> dict[str, str]:
    """A language's wording: a headline, and a description and instruction if it has them."""
    return _pick(data, ("headline",)) | {n: str(data.get(n) or "") for n in TEXT_FIELDS[1:]}


def _pick(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    missing = [n for n in names if not data.get(n)]
    if missing:
        raise DraftError(f"template lacks {', '.join(missing)}")
    return {n: str(data[n]) for n in names}
