"""Reading a running process's /metrics and /healthz, as Prometheus and a probe would."""

import time
from collections import defaultdict

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.common.config import Settings
from services.embedded.processes import free_port


def with_ops_port(settings: Settings) -> Settings:
    return settings.changed(ops_listen=f"127.0.0.1:{free_port()}")


Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(settings: Settings) -> Samples:
    response = httpx.get(f"http://{settings.operations.ops_listen}/metrics", timeout=5)
    response.raise_for_status()
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def value(
    samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str
) -> float:
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


def assigned(settings: Settings, group_suffix: str) -> set[tuple[str, int]]:
    """The partitions a process's consumers of that group hold now, per its lag gauge."""
    return {
        (labels["topic"], int(labels["partition"]))
        for labels, _ in scrape(settings).get("vigie_consumer_lag", [])
        if labels["group"].endswith(group_suffix)
    }


def wait_healthy(settings: Settings, timeout_s: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response = httpx.get(f"http://{settings.operations.ops_listen}/healthz", timeout=2)
            if response.status_code == 200:
                health: dict[str, object] = response.json()
                return health
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the process never reported healthy"
        time.sleep(0.2)
