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
    assert "--appendonly yes" in " ".join(services["redis"]["command"])


def test_vigie_services_wait_for_topics_and_redis() -> None:
    services = compose()["services"]
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["topics"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"


def test_services_trust_a_keyring_log_json_and_read_secrets_from_files() -> None:
    document = compose()
    settings = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "vigie.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert settings["VIGIE_LOG_FORMAT"] == "json"
    assert settings["VIGIE_SECRETS_DIR"] == "/run/secrets"
    for name in SERVICES:
        service = document["services"][name]
        [config] = service["configs"]
        assert config["target"] == settings["VIGIE_TRUSTED_KEYS"]
        assert document["configs"][config["source"]]["file"] == "./deploy/trusted-keys.json"
        for secret in ("vigie_sms_url", "vigie_email_url", "vigie_push_url"):
            assert secret in service["secrets"] and secret in document["secrets"]
    # Nothing secret is written in the files themselves.
    for text in ((ROOT / "docker-compose.yml").read_text(), str(settings)):
        assert "password=" not in text.lower() and "secret=" not in text.lower()
