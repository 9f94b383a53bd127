"""The production description can't run here; check it statically."""

from pathlib import Path
from typing import Any

import yaml

from services.registry import SERVICES

ROOT = Path(__file__).parent.parent


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def test_compose_runs_every_vigie_service_and_nothing_unknown() -> None:
    services = compose()["services"]
    runs = {s["command"][1] for s in services.values() if s.get("command", [None])[0] == "run"}
    assert runs == set(SERVICES)


def test_compose_has_kraft_kafka_and_redis_with_aof() -> None:
    services = compose()["services"]
    kafkas = [s for s in services.values() if str(s.get("image", "")).startswith("apache/kafka")]
    assert len(kafkas) == 3
    for kafka in kafkas:
        assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
        assert "KAFKA_ZOOKEEPER_CONNECT" not in kafka["environment"]
    assert "--appendonly" in services["redis"]["command"]


def test_vigie_services_wait_for_topics_and_redis() -> None:
    services = compose()["services"]
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["topics"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
