"""The production description can't run here; check it statically."""

import json
import re
from copy import deepcopy
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services.common.config import Settings
from services.deploy.kafka_brokers import (
    BROKER_LISTENER,
    CONTROLLER_LISTENER,
    as_environment,
    broker_properties,
    production_security,
)
from services.deploy.manifests import WORKLOADS, read_env_file, render
from services.registry import SERVICES

K8S_VERSION = "1.30.0"

ROOT = Path(__file__).parent.parent
POM = Path("deploy") / "kafka" / "pom.xml"


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


def test_compose_brokers_carry_the_settings_the_test_clusters_run_with() -> None:
    """replication, min.insync.replicas, SASL_SSL listeners, ACLs...: one definition for
    both; no plaintext listener and no password in the file."""
    shared = as_environment(broker_properties(3) | production_security())
    pinned = re.search(r"<kafka.version>(.+)</kafka.version>", (ROOT / POM).read_text())
    assert pinned is not None
    for name in ("kafka-1", "kafka-2", "kafka-3"):
        broker = compose()["services"][name]
        assert broker["image"] == f"apache/kafka:{pinned.group(1)}"
        # Compose reads "$$" as a literal "$" (else it would interpolate the ${dir:...}).
        environment = {k: str(v).replace("$$", "$") for k, v in broker["environment"].items()}
        assert "PLAINTEXT" not in " ".join(environment.values()), name
        assert "kafka_admin_password" in broker["secrets"], name
        assert {k: environment.get(k) for k in shared} == shared, name
        listeners = environment["KAFKA_LISTENERS"]
        assert f"{BROKER_LISTENER}://" in listeners and f"{CONTROLLER_LISTENER}://" in listeners


def test_vigie_services_wait_for_topics_and_redis() -> None:
    services = compose()["services"]
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["topics"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"


def test_services_trust_a_keyring_log_json_and_read_secrets_from_files() -> None:
    document = compose()
    settings = read_env_file((ROOT / "deploy" / "vigie.env").read_text())
    assert settings["VIGIE_LOG_FORMAT"] == "json"
    assert settings["VIGIE_SECRETS_DIR"] == "/run/secrets"
    for name in SERVICES:
        service = document["services"][name]
        [config] = service["configs"]
        assert config["target"] == settings["VIGIE_TRUSTED_KEYS"]
        assert document["configs"][config["source"]]["file"] == "./deploy/trusted-keys.json"
        assert "vigie_redis_password" in service["secrets"]
        for secret in ("vigie_sms_url", "vigie_email_url", "vigie_push_url"):
            # The watch sends nothing: it is given no provider's credentials.
            assert (secret in service["secrets"]) is (name != "watch")
            assert secret in document["secrets"]
    # Nothing secret is written in the files themselves: the brokers' JAAS settings name
    # the secret file their password is read from.
    for text in ((ROOT / "docker-compose.yml").read_text(), str(settings)):
        text = re.sub(r'password=\\"\$\$\{dir:/run/secrets:\w+\}\\"', "<from a secret>", text)
        assert "password=" not in text.lower() and "secret=" not in text.lower()


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    assert [e.message for e in validator.iter_errors(compose())] == []
    broken = compose()
    broken["services"]["ingest"]["deploy"]["replicas"] = "two"
    assert list(validator.iter_errors(broken)), "the schema check must be able to fail"


def _manifests() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "vigie.yaml").read_text())]


def test_kubernetes_manifests_are_current_and_valid() -> None:
    environment = read_env_file((ROOT / "deploy" / "vigie.env").read_text())
    committed = (ROOT / "deploy" / "k8s" / "vigie.yaml").read_text()
    assert committed == render(environment), (
        "out of date: run `vigie deploy manifests > deploy/k8s/vigie.yaml`"
    )
    for document in _manifests():
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
    broken = deepcopy(_manifests()[-1])
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_kubernetes_replicas_never_outnumber_partitions_and_probes_are_set() -> None:
    documents = _manifests()
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    ran = {d["spec"]["template"]["spec"]["containers"][0]["args"][1] for d in deployments.values()}
    assert ran == set(SERVICES)
    bound = {f"vigie-{w.name}": w.topic.partitions for w in WORKLOADS}
    members = {}  # consumer-group members per replica: a dispatcher may run several a channel
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e["value"] for e in container["env"]}
        consumers = json.loads(env.get("VIGIE_CONSUMERS", "null")) or Settings().delivery.consumers
        channels = json.loads(env.get("VIGIE_DISPATCH_CHANNELS", "null")) or list(consumers)
        dispatches = container["args"][1].startswith("dispatcher")
        members[name] = max((consumers.get(c, 1) for c in channels if dispatches), default=1)
        assert deployment["spec"]["replicas"] * members[name] <= bound[name]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["requests"]["memory"]
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > 30  # VIGIE_GRACEFUL_TIMEOUT_S: the batch in hand finishes
    for hpa in (d for d in documents if d["kind"] == "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]["name"]
        assert hpa["spec"]["maxReplicas"] * members[target] <= bound[target]


def test_the_configuration_document_lists_every_setting_as_the_code_has_it() -> None:
    document = (ROOT / "docs" / "configuration.md").read_text()
    assert Settings.documented() in document, (
        "out of date: replace the table in docs/configuration.md with `vigie settings doc`"
    )
    for name, field in Settings.model_fields.items():
        concern = field.annotation
        assert concern is not None and concern.__doc__, f"{name} has no description"
        for setting, info in concern.model_fields.items():
            assert info.description, f"{name}.{setting} has no description"


def test_the_topics_job_creates_the_topics_then_grants_each_service_its_own() -> None:
    """As docker-compose's `topics` then `grants`: without the grants, every service but
    the admin is refused by the brokers' ACLs."""
    [job] = [d for d in _manifests() if d["kind"] == "Job"]
    steps = job["spec"]["template"]["spec"]
    ran = [c["args"] for c in steps["initContainers"]] + [c["args"] for c in steps["containers"]]
    services = compose()["services"]
    assert ran == [services["topics"]["command"], services["grants"]["command"]]
    assert all(
        {"name": "VIGIE_KAFKA_USERNAME", "value": "admin"} in c["env"]
        for c in steps["initContainers"] + steps["containers"]
    )
