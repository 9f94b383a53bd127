"""The Apache Kafka brokers' settings, defined once: the test clusters and `vigie up --broker
kafka` write them into each node's server.properties, and docker-compose.yml carries them as
KAFKA_* variables (tests/test_deploy.py checks it does)."""

from schemas.topics import MAX_MESSAGE_BYTES, min_insync

BROKER_LISTENER = "BROKER"
CONTROLLER_LISTENER = "CONTROLLER"


def broker_properties(replication: int) -> dict[str, str]:
    """What every node of a cluster of `replication` or more nodes shares."""
    isr = str(min_insync(replication))
    return {
        "process.roles": "broker,controller",
        "controller.listener.names": CONTROLLER_LISTENER,
        "inter.broker.listener.name": BROKER_LISTENER,
        "default.replication.factor": str(replication),
        "min.insync.replicas": isr,
        "offsets.topic.replication.factor": str(replication),
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": isr,
        # Topics are made by `vigie topics create`, with their own settings: a typo in a
        # topic name must fail, not create an unreplicated topic.
        "auto.create.topics.enable": "false",
        # A CAP event with a country's outline (schemas/topics.py), plus the batch's framing.
        "message.max.bytes": str(MAX_MESSAGE_BYTES + 64 * 1024),
        "replica.fetch.max.bytes": str(MAX_MESSAGE_BYTES + 64 * 1024),
        # Only an in-sync replica may lead: an acknowledged alert job is never dropped for
        # a stale copy.
        "unclean.leader.election.enable": "false",
    }


def as_environment(properties: dict[str, str]) -> dict[str, str]:
    """server.properties names as the apache/kafka image reads them (KAFKA_MIN_INSYNC_...)."""
    return {"KAFKA_" + key.upper().replace(".", "_"): value for key, value in properties.items()}
