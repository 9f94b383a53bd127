"""The bus documentation in docs/asyncapi.yaml is what the code generates today."""

import subprocess
import sys
from pathlib import Path

import yaml

from schemas.topics import ALL_TOPICS, DEAD_LETTERS, DELIVERY_REPORTS

ROOT = Path(__file__).parent.parent
DOCUMENT = ROOT / "docs" / "asyncapi.yaml"
REGENERATE = (
    "PYTHONHASHSEED=0 faststream docs gen services.asyncapi:app --yaml --out docs/asyncapi.yaml"
)


def test_asyncapi_document_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "asyncapi.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "faststream",
            "docs",
            "gen",
            "services.asyncapi:app",
            "--yaml",
            "--out",
            str(fresh),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    # Compared as documents: the generator's channel order varies from run to run.
    current = yaml.safe_load(fresh.read_text())
    assert current == yaml.safe_load(DOCUMENT.read_text()), f"out of date: run `{REGENERATE}`"


def test_asyncapi_document_covers_every_consumed_topic() -> None:
    document = yaml.safe_load(DOCUMENT.read_text())
    documented = {channel["address"] for channel in document["channels"].values()}
    # Reports and dead letters are read by operators' tools, not by a service.
    consumed = {t.name for t in ALL_TOPICS} - {DELIVERY_REPORTS.name, DEAD_LETTERS.name}
    assert documented == consumed
    crisis = next(
        m for name, m in document["components"]["messages"].items() if "crisis.accepted" in name
    )
    assert crisis["payload"]["$ref"].endswith("CrisisEvent")
