"""Apache Kafka brokers in KRaft mode on loopback: each node a broker and a controller, with its
own log directory, formatted on first start; from the jars `scripts/install` fetched from
Maven Central (deploy/kafka/pom.xml). Used by `vigie up --broker kafka` and the Kafka tests."""

import asyncio
import base64
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from services.common.config import Settings
from services.common.transport import kafka_client_options
from services.deploy.kafka_brokers import (
    ADMIN,
    BROKER_LISTENER,
    CONTROLLER_LISTENER,
    broker_properties,
)
from services.embedded.kafka_security import ClusterSecurity
from services.embedded.processes import StackError, free_port, reap, wait_for_port

STARTUP_TIMEOUT_S = 90.0
# Where scripts/install puts the jars (VIGIE_KAFKA_LIB elsewhere).
DEFAULT_LIB = Path(__file__).resolve().parents[2] / ".kafka" / "lib"
HEAP = "-Xmx768m"


def kafka_lib() -> Path:
    lib = Path(os.environ.get("VIGIE_KAFKA_LIB", DEFAULT_LIB))
    if not any(lib.glob("kafka_2.13-*.jar")):
        raise StackError(
            f"Apache Kafka is not installed in {lib}: run scripts/install with Java 17 and "
            "Maven on the machine (or VIGIE_KAFKA=1 scripts/install to insist)"
        )
    return lib


def java_binary() -> str:
    found = shutil.which("java")
    if found is None:
        raise StackError("Apache Kafka needs Java 17 or newer: no `java` on PATH")
    return found


@dataclass
class KafkaNode:
    node_id: int
    broker_port: int
    controller_port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.directory / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.directory / "data"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None, f"node {self.node_id} was never started"
        return self.process.pid


@dataclass
class KafkaCluster:
    """`size` nodes under `home`; `security`: SASL_SSL with SCRAM users and ACLs (else
    plaintext). Stopping keeps the disks: `start()` again reloads them."""

    home: Path
    size: int = 3
    security: ClusterSecurity | None = None
    nodes: list[KafkaNode] = field(default_factory=list)
    cluster_id: str = ""

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{node.broker_port}" for node in self.nodes)

    @property
    def replication(self) -> int:
        return min(3, self.size)

    def settings(self, user: str = ADMIN, **overrides: object) -> Settings:
        """Settings of a client of this cluster, signed in as `user` when it is secured."""
        access = self.security.client_settings(user) if self.security else {}
        return Settings(kafka_bootstrap=self.bootstrap, **{**access, **overrides})  # type: ignore[arg-type]

    def start(self) -> "KafkaCluster":
        if not self.nodes:
            self._lay_out()
        for node in self.nodes:
            if not node.running:
                self._launch(node)
        for node in self.nodes:
            self._wait_for(node)
        self.wait_until_complete()
        return self

    def stop(self, grace_s: float = 60) -> None:
        """SIGTERM to every node at once (a controlled shutdown each), then wait, each at
        most `grace_s` before kill -9."""
        for node in self.nodes:
            if node.running and node.process is not None:
                node.process.terminate()
        for node in self.nodes:
            self._reap(node, grace_s)

    def kill(self, node: KafkaNode) -> None:
        """kill -9: no shutdown, no flush beyond what the OS already has."""
        if node.process is not None and node.running:
            node.process.kill()
            node.process.wait()

    def stop_node(self, node: KafkaNode) -> None:
        if node.process is not None and node.running:
            node.process.terminate()
        self._reap(node)

    def restart_node(self, node: KafkaNode) -> None:
        self._launch(node)
        self._wait_for(node)
        self.wait_until_complete()

    def pause(self, node: KafkaNode) -> None:
        os.kill(node.pid, signal.SIGSTOP)

    def resume(self, node: KafkaNode) -> None:
        os.kill(node.pid, signal.SIGCONT)

    def node(self, node_id: int) -> KafkaNode:
        return next(node for node in self.nodes if node.node_id == node_id)

    async def busiest_leader(self, topics: list[str]) -> KafkaNode:
        """The node that leads the most partitions of these topics."""
        async with self._admin() as admin:
            described = await admin.describe_topics(topics)
        leaders = [p["leader"] for topic in described for p in topic["partitions"]]
        return self.node(max(set(leaders), key=leaders.count))

    @asynccontextmanager
    async def _admin(self) -> AsyncIterator[AIOKafkaAdminClient]:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap.split(","),
            request_timeout_ms=5_000,
            **kafka_client_options(self.settings()),
        )
        await admin.start()
        try:
            yield admin
        finally:
            await admin.close()

    def wait_until_complete(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Until every node is registered as a broker and no partition lacks a replica in
        sync (a restarted node has caught up)."""
        deadline = time.monotonic() + timeout_s
        problem = "no answer"
        while time.monotonic() < deadline:
            try:
                problem = asyncio.run(self._incomplete())
            except Exception as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if not problem:
                return
            time.sleep(0.5)
        raise StackError(f"the Kafka cluster did not come together: {problem}")

    async def _incomplete(self) -> str:
        async with self._admin() as admin:
            cluster = await admin.describe_cluster()
            if len(cluster["brokers"]) < self.size:
                return f"{len(cluster['brokers'])} of {self.size} brokers registered"
            # The first group lookup creates the consumer offsets topic: done here, the
            # services' groups do not each wait for it (and log that they did).
            await admin.find_coordinator("vigie-cluster-check")
            topics = await admin.list_topics()
            for described in await admin.describe_topics(topics) if topics else []:
                for partition in described["partitions"]:
                    if len(partition["isr"]) < len(partition["replicas"]):
                        return f"{described['topic']}/{partition['partition']} under-replicated"
            return ""

    def _lay_out(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        self.nodes = [
            KafkaNode(n, free_port(), free_port(), self.home / f"node-{n}")
            for n in range(1, self.size + 1)
        ]
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        (self.home / "log4j2.properties").write_text(LOG4J2)
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            properties = broker_properties(self.replication) | {
                "node.id": str(node.node_id),
                "controller.quorum.voters": voters,
                "log.dirs": str(node.log_dir),
                "listeners": f"{BROKER_LISTENER}://127.0.0.1:{node.broker_port},"
                f"{CONTROLLER_LISTENER}://127.0.0.1:{node.controller_port}",
                "advertised.listeners": f"{BROKER_LISTENER}://127.0.0.1:{node.broker_port}",
                # Tests and the local stack start consumer groups all the time; production
                # keeps the broker's 3 s wait for members that join together.
                "group.initial.rebalance.delay.ms": "0",
                **(self.security.properties(node.directory) if self.security else PLAINTEXT),
            }
            node.config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
            self._format(node)

    def _java(self, main: str, *args: str, heap: str = HEAP) -> list[str]:
        return [
            java_binary(),
            heap,
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{kafka_lib()}/*",
            main,
            *args,
        ]

    def _format(self, node: KafkaNode) -> None:
        scram = self.security.scram_arguments() if self.security else []
        command = self._java(
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            self.cluster_id,
            "--config",
            str(node.config),
            "--ignore-formatted",
            *scram,
            heap="-Xmx256m",
        )
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(
                f"kafka storage format failed for node {node.node_id}: "
                f"{done.stderr.strip() or done.stdout.strip()}"
            )

    def _launch(self, node: KafkaNode) -> None:
        log = (node.directory / "server.log").open("ab")
        node.process = subprocess.Popen(
            self._java("kafka.Kafka", str(node.config)),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LOG_DIR": str(node.directory)},
            start_new_session=True,
        )
        log.close()

    def _wait_for(self, node: KafkaNode) -> None:
        assert node.process is not None
        wait_for_port(
            node.broker_port, node.process, f"Kafka node {node.node_id}", STARTUP_TIMEOUT_S
        )

    @staticmethod
    def _reap(node: KafkaNode, grace_s: float = 60) -> None:
        if node.process is not None:
            reap(node.process, grace_s)

    def remove(self) -> None:
        # The disks are deleted next: the brokers need not finish a controlled shutdown,
        # which with all three stopping at once may wait for a quorum that is leaving too.
        self.stop(grace_s=5)
        shutil.rmtree(self.home, ignore_errors=True)


PLAINTEXT = {
    "listener.security.protocol.map": (
        f"{BROKER_LISTENER}:PLAINTEXT,{CONTROLLER_LISTENER}:PLAINTEXT"
    ),
}

# Each node's log in its own directory (server.log, via stdout); the controller and request
# chatter kept to warnings.
LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""
