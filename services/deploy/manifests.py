"""Kubernetes manifests for Vigie, generated so that replica counts follow the partition
counts of schemas/topics.py: a consumer group never has more members than partitions."""

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from schemas.crisis import Channel
from schemas.topics import (
    ALERT_JOBS,
    ALERT_JOBS_PRIORITY,
    CRISIS_ACCEPTED,
    CRISIS_EVENTS,
    EXTERNAL_ALERTS,
    LEADER_ALERTS,
    RESERVIST_CANDIDATES,
    RESPONSES,
    Topic,
)
from services.common.config.concerns import DeliverySettings
from services.deploy.bus_access import user_of
from services.deploy.kafka_brokers import ADMIN

IMAGE = "registry.example/vigie:0.1.0"
OPS_PORT = 9100
ANSWERS_PORT = 8470
GRACE_S = 45  # longer than VIGIE_GRACEFUL_TIMEOUT_S (30): the batch in hand is finished


@dataclass(frozen=True)
class Workload:
    name: str
    service: str  # what `vigie run` starts
    topic: Topic  # the topic whose partitions bound the replicas
    replicas: int
    max_replicas: int | None = None  # autoscaled up to this (never above the partitions)
    env: dict[str, str] = field(default_factory=dict)
    memory: str = "384Mi"
    cpu: str = "250m"

    @property
    def consumers(self) -> int:
        """Consumer-group members per replica: a dispatcher runs VIGIE_CONSUMERS of them for
        a channel it sends (the defaults are the settings' own)."""
        if not self.service.startswith("dispatcher"):
            return 1
        fields = DeliverySettings.model_fields
        per_channel = json.loads(self.env.get("VIGIE_CONSUMERS", "null"))
        channels = json.loads(self.env.get("VIGIE_DISPATCH_CHANNELS", "null"))
        per_channel = per_channel or fields["consumers"].get_default(call_default_factory=True)
        channels = channels or fields["dispatch_channels"].get_default(call_default_factory=True)
        return max((per_channel.get(c, 1) for c in channels), default=1)

    @property
    def ceiling(self) -> int:
        """The most replicas that each get partitions: more members would sit idle."""
        return max(1, self.topic.partitions // self.consumers)


WORKLOADS = (
    Workload("ingest", "ingest", CRISIS_EVENTS, 2),
    Workload("resolver", "resolver", CRISIS_ACCEPTED, 2, memory="768Mi"),
    Workload(
        "dispatcher",
        "dispatcher",
        ALERT_JOBS[Channel.SMS],
        2,
        8,
        {"VIGIE_DISPATCH_CHANNELS": '["sms", "push"]'},
    ),
    Workload(
        "dispatcher-email",
        "dispatcher",
        ALERT_JOBS[Channel.EMAIL],
        2,
        4,
        {"VIGIE_DISPATCH_CHANNELS": '["email"]', "VIGIE_CONSUMERS": '{"email": 2}'},
    ),
    Workload(
        "dispatcher-priority",
        "dispatcher-priority",
        ALERT_JOBS_PRIORITY[Channel.SMS],
        4,
        8,
        {"VIGIE_DISPATCH_CHANNELS": '["sms", "push"]'},
        cpu="500m",
    ),
    Workload(
        "dispatcher-priority-email",
        "dispatcher-priority",
        ALERT_JOBS_PRIORITY[Channel.EMAIL],
        4,
        4,
        {"VIGIE_DISPATCH_CHANNELS": '["email"]', "VIGIE_CONSUMERS": '{"email": 2}'},
        cpu="500m",
    ),
    Workload("leaders", "leaders", LEADER_ALERTS, 2),
    Workload("reservists", "reservists", RESERVIST_CANDIDATES, 2),
    Workload("responses", "responses", RESPONSES, 2, 4, {"VIGIE_RESPONSE_LISTEN": "0.0.0.0:8470"}),
    Workload("watch", "watch", EXTERNAL_ALERTS, 1),
)


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "vigie", "app.kubernetes.io/component": name}


def _container(workload: Workload) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": "ops"}, "periodSeconds": 10}
    ports = [{"name": "ops", "containerPort": OPS_PORT}]
    if workload.service == "responses":
        ports.append({"name": "answers", "containerPort": ANSWERS_PORT})
    env = {
        "VIGIE_OPS_LISTEN": f"0.0.0.0:{OPS_PORT}",
        "VIGIE_KAFKA_USERNAME": user_of(workload.service),
        **workload.env,
    }
    return {
        "name": "vigie",
        "image": IMAGE,
        "args": ["run", workload.service],
        "envFrom": [{"configMapRef": {"name": "vigie-config"}}],
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "ports": ports,
        "resources": {
            "requests": {"cpu": workload.cpu, "memory": workload.memory},
            "limits": {"memory": workload.memory},
        },
        "readinessProbe": {**probe, "initialDelaySeconds": 5},
        "livenessProbe": {**probe, "initialDelaySeconds": 30, "failureThreshold": 6},
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "secrets", "mountPath": "/run/secrets", "readOnly": True},
            {
                "name": "trusted-keys",
                "mountPath": "/etc/vigie/trusted-keys.json",
                "subPath": "trusted-keys.json",
                "readOnly": True,
            },
        ],
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
        },
    }


def deployment(workload: Workload) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"vigie-{workload.name}", "labels": _labels(workload.name)},
        "spec": {
            "replicas": min(workload.replicas, workload.ceiling),
            "selector": {"matchLabels": _labels(workload.name)},
            "template": {
                "metadata": {
                    "labels": _labels(workload.name),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(OPS_PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "terminationGracePeriodSeconds": GRACE_S,
                    "containers": [_container(workload)],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {}},
                        _secrets(user_of(workload.service)),
                        {"name": "trusted-keys", "configMap": {"name": "vigie-trusted-keys"}},
                    ],
                },
            },
        },
    }


def autoscaler(workload: Workload) -> dict[str, Any]:
    assert workload.max_replicas is not None
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": f"vigie-{workload.name}", "labels": _labels(workload.name)},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"vigie-{workload.name}",
            },
            "minReplicas": min(workload.replicas, workload.ceiling),
            # More members than partitions would sit idle: the partitions are the ceiling.
            "maxReplicas": min(workload.max_replicas, workload.ceiling),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }


def topics_job() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "vigie-topics", "labels": _labels("topics")},
        "spec": {
            "backoffLimit": 10,
            "template": {
                "metadata": {"labels": _labels("topics")},
                "spec": {
                    "restartPolicy": "OnFailure",
                    # The topics first, then each service's user given its own topics and
                    # groups (bus_access.py), as docker-compose's `topics` and `grants` do.
                    "initContainers": [
                        _admin_step("topics", ["topics", "create", "--replication", "3"])
                    ],
                    "containers": [_admin_step("grants", ["topics", "grant"])],
                    "volumes": [_secrets(ADMIN)],
                },
            },
        },
    }


def _admin_step(name: str, args: list[str]) -> dict[str, Any]:
    """A container of the topics job: `vigie` signed in to Kafka as the admin."""
    return {
        "name": name,
        "image": IMAGE,
        "args": args,
        "envFrom": [{"configMapRef": {"name": "vigie-config"}}],
        "env": [{"name": "VIGIE_KAFKA_USERNAME", "value": ADMIN}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        "volumeMounts": [{"name": "secrets", "mountPath": "/run/secrets", "readOnly": True}],
    }


def answers_service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "vigie-responses", "labels": _labels("responses")},
        "spec": {
            "selector": _labels("responses"),
            "ports": [{"name": "answers", "port": 80, "targetPort": "answers"}],
        },
    }


def config_map(environment: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "vigie-config", "labels": _labels("config")},
        "data": environment,
    }


def manifests(environment: dict[str, str]) -> list[dict[str, Any]]:
    documents = [config_map(environment), topics_job(), answers_service()]
    for workload in WORKLOADS:
        documents.append(deployment(workload))
        if workload.max_replicas is not None:
            documents.append(autoscaler(workload))
    return documents


def _secrets(kafka_user: str) -> dict[str, Any]:
    """The shared secrets, and this Kafka user's own password as vigie_kafka_password."""
    own = {"key": "password", "path": "vigie_kafka_password"}
    return {
        "name": "secrets",
        "projected": {
            "sources": [
                {"secret": {"name": "vigie-secrets"}},
                {"secret": {"name": f"kafka-{kafka_user}", "items": [own]}},
            ]
        },
    }


def render(environment: dict[str, str]) -> str:
    header = (
        "# Generated by `vigie deploy manifests`; do not edit. Needs, beside these: the\n"
        "# Secret vigie-secrets (files vigie_sms_url, vigie_email_url, vigie_push_url,\n"
        "# vigie_response_secret, vigie_inbound_sms_key, vigie_redis_password, kafka_ca.pem),\n"
        "# a Secret kafka-<user> per Kafka user (key password: kafka-admin, kafka-vigie-ingest,\n"
        "# ...) and the ConfigMap vigie-trusted-keys (trusted-keys.json, `vigie keys trust`).\n"
    )
    return header + yaml.safe_dump_all(manifests(environment), sort_keys=False)


def read_env_file(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return {key: value for key, value in pairs}
