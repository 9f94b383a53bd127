"""`vigie draft KIND`: vetted wording prepared in advance, and placeholders that must be
filled before anything is published."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.cap.parse import parse_event
from services.texts.drafting import as_cap, draft_event, kinds, unfilled

KINDS = [
    "attack",
    "cyclone",
    "earthquake",
    "epidemic",
    "evacuation",
    "flood",
    "official_alert",
    "shelter_in_place",
    "unrest",
]
VALUES = {
    "identifier": "CDCS-2026-0042",
    "area": "Marrakech",
    "post_phone": "+212524388200",
    "lat": "31.6",
    "lon": "-8.0",
    "radius_km": "25",
    "assembly_point": "lycée Victor Hugo",
    "issuer": "Direction de la Météorologie Nationale",
    "event": "Vigilance rouge orages",
}


def _filled(raw: bytes) -> bytes:
    for name, value in VALUES.items():
        raw = raw.replace(b"{{" + name.encode() + b"}}", value.encode())
    return raw


def _vigie(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parent.parent)},
        capture_output=True,
        text=True,
    )


def test_every_common_kind_has_vetted_wording() -> None:
    assert kinds() == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_a_draft_filled_in_is_a_valid_event_in_french_and_english(kind: str) -> None:
    event = draft_event(kind)
    for raw in (json.dumps(event).encode(), as_cap(event)):
        assert {"identifier", "area", "post_phone"} <= set(unfilled(raw))
        parsed = parse_event(_filled(raw))
        assert [i.language for i in parsed.info] == ["fr", "en"]
        assert "Marrakech" in parsed.info[0].headline
        assert "+212524388200" in parsed.info[0].instruction
        assert parsed.areas[0].circles[0].radius_km == 25
        assert not unfilled(_filled(raw))


def test_publish_refuses_a_draft_with_placeholders_naming_each(tmp_path: Path) -> None:
    made = _vigie("draft", "evacuation", "--out", "evac.json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    refused = _vigie("publish", "evac.json", cwd=tmp_path)
    assert refused.returncode == 1
    for name in ("identifier", "area", "post_phone", "assembly_point", "lat"):
        assert "{{" + name + "}}" in refused.stdout, refused.stdout
    assert "not published" in refused.stdout
    dry = _vigie("publish", "evac.json", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 1 and "{{area}}" in dry.stdout


def test_the_crisis_centre_can_edit_the_wording(tmp_path: Path) -> None:
    (tmp_path / "landslide.yaml").write_text(
        'category: "Geo"\nevent: "Landslide"\nurgency: "Immediate"\n'
        'severity: "Severe"\ncertainty: "Observed"\n'
    )
    (tmp_path / "landslide.fr.yaml").write_text(
        'headline: "Glissement de terrain {{area}}"\ndescription: ""\ninstruction: "Évacuez."\n'
    )
    made = _vigie("draft", "landslide", "--templates", str(tmp_path), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["info"][0]["headline"] == "Glissement de terrain {{area}}"
    unknown = _vigie("draft", "meteor", "--templates", str(tmp_path), cwd=tmp_path)
    assert unknown.returncode == 2 and "known kinds: landslide" in unknown.stdout
