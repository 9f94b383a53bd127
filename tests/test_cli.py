"""The `vigie` command as an operator uses it, in real processes."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.state import crises
from tests.conftest import needs_java
from tests.directory_data import marrakech_directory, write
from tests.helpers import SAMPLES, vigie


@pytest.fixture
def operator_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env["VIGIE_HOME"] = str(tmp_path / "home")
    env["COLUMNS"] = "200"
    return env


@contextmanager
def running_up(
    env: dict[str, str], log: Path, *options: str, start_s: float = 60
) -> Iterator[None]:
    """`vigie up` until it has announced itself; Ctrl-C at the end must stop it cleanly."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up", *options],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    state = Path(env["VIGIE_HOME"]) / "embedded.json"
    deadline = time.monotonic() + start_s
    # Announced, and every service running: Ctrl-C then finds them at work.
    while not (state.exists() and "services running" in log.read_text()):
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "vigie up did not announce itself"
        time.sleep(0.1)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    assert not state.exists(), "vigie up must withdraw its announcement when it stops"


@pytest.fixture
def vigie_up(operator_env: dict[str, str], tmp_path: Path) -> Iterator[None]:
    with running_up(operator_env, tmp_path / "up.log"):
        yield


def test_publish_refuses_a_bad_file_naming_the_fault(operator_env: dict[str, str]) -> None:
    result = vigie("publish", str(SAMPLES / "unclosed-polygon.json"), env=operator_env)
    assert result.returncode == 1
    assert "areas.0.polygons.0.points: polygon is not closed" in result.stdout


def test_publish_without_a_stack_says_how_to_get_one(operator_env: dict[str, str]) -> None:
    result = vigie("publish", "--now", str(SAMPLES / "earthquake-marrakech.json"), env=operator_env)
    assert result.returncode == 2
    assert "vigie up" in result.stderr


def test_commands_find_a_running_vigie_up_without_flags(
    operator_env: dict[str, str],
    vigie_up: None,
) -> None:
    published = vigie("publish", "--now", str(SAMPLES / "flood-tangier.cap.xml"), env=operator_env)
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip() == "CDCS-2026-0002"
    forced = vigie(
        "publish", "--unchecked", str(SAMPLES / "unclosed-polygon.json"), env=operator_env
    )
    assert forced.returncode == 0, forced.stderr
    letters: list[dict[str, str]] = []
    deadline = time.monotonic() + 30
    while not letters and time.monotonic() < deadline:
        result = vigie("deadletters", "--json", env=operator_env)
        assert result.returncode == 0, result.stderr
        letters = json.loads(result.stdout)
    assert len(letters) == 1
    assert "polygon is not closed" in letters[0]["reason"]


def _kill_processes(command_line: str) -> None:
    killed = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if command_line in cmdline.read_bytes().replace(b"\0", b" ").decode() + " ":
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
                killed += 1
        except (OSError, UnicodeDecodeError):
            continue  # a process that ended meanwhile
    assert killed == 1, f"{killed} processes matched {command_line!r}"


def _a_crisis_end_to_end(operator_env: dict[str, str], tmp_path: Path) -> None:
    directory = write(tmp_path / "directory.geojson", marrakech_directory(date.today()))
    imported = vigie("directory", "import", str(directory), env=operator_env)
    assert imported.returncode == 0, imported.stderr
    assert "12 national(s)" in imported.stdout
    published = vigie(
        "publish", "--now", str(SAMPLES / "earthquake-marrakech.json"), env=operator_env
    )
    assert published.returncode == 0, published.stderr
    status: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    while not crises.is_settled(status.get("counters", {})):
        assert time.monotonic() < deadline, status
        result = vigie("status", "CDCS-2026-0001", "--json", env=operator_env)
        status = json.loads(result.stdout) if result.returncode == 0 else {}
        time.sleep(0.5)
    assert status["state"] == "active"
    assert status["counters"]["sent:sms"] == "5"
    table = vigie("status", "CDCS-2026-0001", env=operator_env)
    assert "CON-MARRAKECH" in table.stdout and "sms" in table.stdout
    received: list[dict[str, str]] = []
    leaders = {"N-IN", "N-EDGE-N"}  # the leaders of the two islands touched
    # Leaders are asked apart, each island in its own time: wait for both.
    while not leaders <= {r["person"] for r in received if "/leader/" in r["event"]}:
        assert time.monotonic() < deadline, received
        result = vigie("outbox", "--crisis", "CDCS-2026-0001", "--json", env=operator_env)
        received = json.loads(result.stdout)
    alerts = [r for r in received if r["event"] == "CDCS-2026-0001"]
    sms = sorted(r["person"] for r in alerts if r["channel"] == "sms")
    assert sms == ["N-BOTH", "N-IN", "N-IN-EN", "N-SMS-ONLY", "N-TRAVELLER"]
    leaders_asked = {r["person"] for r in received if "/leader/" in r["event"]}
    assert leaders_asked == leaders
    assert all("@example.fr" not in r["to"] or "***" in r["to"] for r in received)
    unknown = vigie("status", "NO-SUCH-CRISIS", env=operator_env)
    assert unknown.returncode == 1 and "No crisis" in unknown.stdout


def test_schemas_export_writes_a_json_schema_per_bus_message(
    operator_env: dict[str, str],
    tmp_path: Path,
) -> None:
    result = vigie("schemas", "export", str(tmp_path / "out"), env=operator_env)
    assert result.returncode == 0, result.stderr
    crisis = json.loads((tmp_path / "out" / "CrisisEvent.schema.json").read_text())
    assert "msgType" in json.dumps(crisis) or "msg_type" in crisis["properties"]
    assert (tmp_path / "out" / "DeadLetter.schema.json").exists()


def test_an_extreme_event_is_held_until_a_second_operator_approves(
    operator_env: dict[str, str],
    vigie_up: None,
    tmp_path: Path,
) -> None:
    directory = write(tmp_path / "directory.geojson", marrakech_directory(date.today()))
    assert vigie("directory", "import", str(directory), env=operator_env).returncode == 0
    extreme = json.loads((SAMPLES / "earthquake-marrakech.json").read_text())
    extreme["severity"] = "Extreme"
    sample = tmp_path / "extreme.json"
    sample.write_text(json.dumps(extreme))
    published = vigie("publish", "--now", str(sample), env=operator_env)
    assert published.returncode == 0, published.stderr
    deadline = time.monotonic() + 60
    shown = ""
    while "HELD" not in shown:
        assert time.monotonic() < deadline, shown
        shown = vigie("status", "CDCS-2026-0001", env=operator_env).stdout
        time.sleep(0.5)
    assert "severity Extreme" in shown and "signed by duty-officer" in shown
    assert "Nobody has been alerted" in shown
    approved = vigie("approve", "CDCS-2026-0001", env=operator_env)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    status: dict[str, Any] = {}
    while not crises.is_settled(status.get("counters", {})):
        assert time.monotonic() < deadline, status
        result = vigie("status", "CDCS-2026-0001", "--json", env=operator_env)
        status = json.loads(result.stdout) if result.returncode == 0 else {}
        time.sleep(0.5)
    assert status["counters"]["sent:sms"] == "5"
    [hold] = status["holds"]
    assert hold["approved_by"]["operator"] == "second-officer"
    again = vigie("approve", "CDCS-2026-0001", env=operator_env)
    assert again.returncode == 1 and "Nothing held" in again.stdout


def test_operators_make_trust_and_revoke_keys(operator_env: dict[str, str], tmp_path: Path) -> None:
    ring = str(tmp_path / "ring.json")
    made = vigie("keys", "generate", "alice", "--dir", str(tmp_path), env=operator_env)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "alice.key").stat().st_mode & 0o077 == 0, "the private key is owner-only"
    trusted = vigie(
        "keys", "trust", str(tmp_path / "alice.pub"), "--keyring", ring, env=operator_env
    )
    key_id = trusted.stdout.split()[-1]
    listed = vigie("keys", "list", "--keyring", ring, env=operator_env)
    assert key_id in listed.stdout and "trusted" in listed.stdout
    revoked = vigie("keys", "revoke", key_id, "--keyring", ring, env=operator_env)
    assert revoked.returncode == 0 and "of alice" in revoked.stdout
    assert "revoked" in vigie("keys", "list", "--keyring", ring, env=operator_env).stdout
    unknown = vigie("keys", "revoke", "0123456789abcdef", "--keyring", ring, env=operator_env)
    assert unknown.returncode == 1 and "no key 0123456789abcdef" in unknown.stdout
    unsigned = vigie(
        "publish",
        "--now",
        str(SAMPLES / "earthquake-marrakech.json"),
        env={
            **operator_env,
            "VIGIE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
            "VIGIE_REDIS_URL": "redis://x",
        },
    )
    assert unsigned.returncode == 2 and "events must be signed" in unsigned.stdout


def test_a_dispatcher_refuses_a_provider_url_it_cannot_use_naming_it(
    operator_env: dict[str, str],
) -> None:
    env = {
        **operator_env,
        "VIGIE_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "VIGIE_REDIS_URL": "redis://127.0.0.1:9/0",
        "VIGIE_SMS_URL": "json://gateway.example/sms?:to={to}",
        "VIGIE_PUSH_URL": "nosuchservice://push.example/{to}",
        "VIGIE_EMAIL_URL": "mailto://relay.example?from=alertes@example.fr&to={to}",
    }
    result = vigie("run", "dispatcher", env=env)
    assert result.returncode == 2
    assert "VIGIE_PUSH_URL is not a URL apprise can use" in result.stdout
    env["VIGIE_PUSH_URL"] = "json://push.example/?:to={to}"
    env["VIGIE_EMAIL_URL"] = "mailto://relay.example?from=alertes@example.fr"
    result = vigie("run", "dispatcher", env=env)
    assert result.returncode == 2
    assert "VIGIE_EMAIL_URL has no {to} where the recipients go" in result.stdout


def _processes_under(folder: str) -> list[int]:
    """The processes whose command line names this folder (the brokers of a cluster)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if folder in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.kafka
def test_vigie_up_on_apache_kafka_runs_a_crisis_and_ctrl_c_stops_its_three_brokers(
    operator_env: dict[str, str], tmp_path: Path
) -> None:
    needs_java()
    log = tmp_path / "up.log"
    with running_up(operator_env, log, "--broker", "kafka", start_s=180):
        said = log.read_text()
        assert "Vigie is up on Apache Kafka, 3 brokers in KRaft mode" in said, said
        found = re.search(r"logs in (\S+)\)", said)
        assert found is not None, said
        brokers = _processes_under(found.group(1))
        assert len(brokers) == 3, brokers
        _a_crisis_end_to_end(operator_env, tmp_path)
    assert _processes_under(found.group(1)) == [], "a broker outlived Ctrl-C"
    assert not Path(found.group(1)).exists()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_vigie_up_on_redis_cluster_restarts_its_gateway_runs_a_crisis_and_ctrl_c_stops_it(
    operator_env: dict[str, str], tmp_path: Path
) -> None:
    """`vigie up --redis cluster`: its six nodes up, its SMS and push gateway killed first
    (`vigie up` starts it again and says so), a crisis through the operator's commands
    (`status`, `outbox`) reaching everyone, and Ctrl-C stopping every node."""
    log = tmp_path / "up.log"
    with running_up(operator_env, log, "--redis", "cluster", start_s=120):
        said = " ".join(log.read_text().split())  # as said, lines wrapped at the terminal's width
        found = re.search(r"Redis Cluster of 6 nodes \(seeds (\S+), data in (\S+)\)", said)
        assert found is not None, said
        ports = [int(port) for port in re.findall(r":(\d+)/0", found.group(1))]
        assert len(ports) == 6 and all(_listening(port) for port in ports), ports
        state = json.loads((Path(operator_env["VIGIE_HOME"]) / "embedded.json").read_text())
        _kill_processes(f"services.providers gateway {state['providers_redis_url']} ")
        _a_crisis_end_to_end(operator_env, tmp_path)
        said = log.read_text()
        assert "the local SMS and push gateway stopped (exit -9): restarted" in said, said
    assert not any(_listening(port) for port in ports), "a cluster node outlived Ctrl-C"
    assert not Path(found.group(2)).exists()


def test_the_quick_starts_demo_runs_a_crisis_end_to_end(operator_env: dict[str, str]) -> None:
    """`scripts/demo`, the README's first command: no Java, nothing running beforehand."""
    result = vigie("demo", env=operator_env, timeout=280)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    said = result.stdout
    for expected in (
        "Imported a synthetic directory",
        "Answered 'safe' through a link from the outbox: HTTP 200",
        "Answered 'ack' through a link from the outbox: HTTP 200",
        "polygon is not closed",  # the bad sample, refused with its reason
        "Stack stopped",
    ):
        assert expected in said, f"{expected!r} not in what the demo said:\n{said}"
