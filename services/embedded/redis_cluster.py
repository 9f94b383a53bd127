"""Redis Cluster from real redis-server processes on loopback: three masters with a replica
each, append-only files on, formed by `redis-cli --cluster create` as an operator would."""

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.crc import key_slot

from services.embedded.processes import (
    StackError,
    free_port,
    reap,
    redis_binary,
    wait_for_port,
)

# How long a master may be silent before its replica takes over. Production keeps Redis's
# 15 s; the tests kill masters and should not wait that long.
NODE_TIMEOUT_MS = 2_000


@dataclass
class ClusterNode:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True, socket_timeout=5)


CLUSTER_BUS_OFFSET = 10_000  # a node's cluster bus listens this far above its port


@dataclass
class RedisCluster:
    masters: int = 3
    replicas: int = 1
    node_timeout_ms: int = NODE_TIMEOUT_MS
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vigie-cluster-")))
    nodes: list[ClusterNode] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Every node as a seed (`VIGIE_REDIS_URL` with `VIGIE_REDIS_MODE=cluster`)."""
        return ",".join(f"redis://{node.address}/0" for node in self.nodes)

    def start(self) -> "RedisCluster":
        """Start every node and form the cluster; stopped again if that fails."""
        try:
            self.nodes = [
                ClusterNode(free_port(also=CLUSTER_BUS_OFFSET), self.home / f"node-{n}")
                for n in range(self.masters * (1 + self.replicas))
            ]
            for node in self.nodes:
                self._launch(node)
            self._create()
            self.wait_healthy()
        except BaseException:
            self.remove()
            raise
        return self

    def _launch(self, node: ClusterNode) -> None:
        node.directory.mkdir(parents=True, exist_ok=True)
        node.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(node.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(node.directory),
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                str(self.node_timeout_ms),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(node.port, node.process, f"redis-server (cluster node {node.port})")

    def _create(self) -> None:
        tool = shutil.which("redis-cli")
        if tool is None:
            raise StackError("Redis Cluster needs redis-cli (Debian's redis-tools) to form it")
        done = subprocess.run(
            [
                tool,
                "--cluster",
                "create",
                *(node.address for node in self.nodes),
                "--cluster-replicas",
                str(self.replicas),
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise StackError(f"redis-cli --cluster create failed: {done.stdout[-2000:]}")

    def problem(self) -> str:
        """What keeps the cluster from serving every slot with a replica behind each master
        ("" when nothing does)."""
        running = [n for n in self.nodes if n.process is not None and n.process.poll() is None]
        for node in running:
            try:
                with node.client() as client:
                    info = client.cluster("INFO")
                    roles = client.cluster("NODES")
            except redis.RedisError as exc:
                return f"{node.address}: {exc}"
            if info.get("cluster_state") != "ok":
                return f"{node.address} says the cluster is {info.get('cluster_state')}"
            masters = [n for n in roles.values() if "master" in n["flags"] and n["slots"]]
            if len(masters) != self.masters:
                return f"{node.address} sees {len(masters)} masters"
            replicas = [n for n in roles.values() if "slave" in n["flags"]]
            if len(replicas) != self.masters * self.replicas:
                return f"{node.address} sees {len(replicas)} replicas"
            if any("fail" in n["flags"] for n in roles.values()):
                return f"{node.address} sees a failed node"
        if len(running) < len(self.nodes):
            return f"{len(self.nodes) - len(running)} nodes stopped"
        return ""

    def wait_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while problem := self.problem():
            if time.monotonic() > deadline:
                raise StackError(f"Redis Cluster not healthy after {timeout_s:.0f} s: {problem}")
            time.sleep(0.2)

    def _slots(self) -> list[tuple[int, int, int]]:
        """(first slot, last slot, port of the master serving them), as a running node
        sees it."""
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue
            with node.client() as client:
                return [(a, b, master[1]) for a, b, master, *_ in client.cluster("SLOTS")]
        raise StackError("no node of the cluster is running")

    def master_of(self, key: str) -> ClusterNode:
        """The node that serves the key's slot now."""
        slot = key_slot(key.encode())
        port = next(port for first, last, port in self._slots() if first <= slot <= last)
        return next(n for n in self.nodes if n.port == port)

    def masters_now(self) -> list[ClusterNode]:
        """The nodes serving slots now."""
        ports = {port for _, _, port in self._slots()}
        return [n for n in self.nodes if n.port in ports]

    def flush(self) -> None:
        """Every key of the cluster deleted (each master's; replicas follow)."""
        for node in self.masters_now():
            with node.client() as client:
                client.flushall()

    def kill(self, node: ClusterNode) -> None:
        """kill -9: the node loses what it had not yet written to its append-only file."""
        assert node.process is not None
        node.process.kill()
        node.process.wait()

    def stop_node(self, node: ClusterNode) -> None:
        """SIGTERM, as an operator's restart: the node writes its append-only file out."""
        assert node.process is not None
        node.process.terminate()
        node.process.wait(timeout=30)

    def restart(self, node: ClusterNode) -> None:
        """Start a node again on its port and data: it rejoins (a master that lost its slots
        to its replica comes back as that replica's replica)."""
        self._launch(node)

    def stop(self, grace_s: float = 10) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                reap(node.process, grace_s)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> "RedisCluster":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.remove()
