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


# The brokers' own secret, read from a directory of files (Docker secrets in production, a
# node's folder in the tests) by Kafka's DirectoryConfigProvider: never in a config file.
ADMIN = "admin"
ADMIN_PASSWORD_FILE = "kafka_admin_password"
MECHANISM = "SCRAM-SHA-512"


def secure_properties(secrets_dir: str, keystore: str, truststore: str) -> dict[str, str]:
    """No plaintext listener: clients and brokers speak SASL_SSL with SCRAM users,
    controllers SASL_SSL with PLAIN (they cannot read SCRAM credentials before the metadata
    log is up), and KRaft's StandardAuthorizer lets a user do only what an ACL allows (the
    admin is the one super user). `keystore`: the broker's key and certificate chain (PEM);
    `truststore`: the CA (PEM)."""
    password = f"${{dir:{secrets_dir}:{ADMIN_PASSWORD_FILE}}}"
    broker, controller = BROKER_LISTENER.lower(), CONTROLLER_LISTENER.lower()
    return {
        "config.providers": "dir",
        "config.providers.dir.class": (
            "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
        ),
        "listener.security.protocol.map": (
            f"{BROKER_LISTENER}:SASL_SSL,{CONTROLLER_LISTENER}:SASL_SSL"
        ),
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        f"listener.name.{broker}.sasl.enabled.mechanisms": MECHANISM,
        f"listener.name.{broker}.scram-sha-512.sasl.jaas.config": _jaas(
            "scram.ScramLoginModule", password
        ),
        "sasl.mechanism.controller.protocol": "PLAIN",
        f"listener.name.{controller}.sasl.enabled.mechanisms": "PLAIN",
        f"listener.name.{controller}.plain.sasl.jaas.config": _jaas(
            "plain.PlainLoginModule", password, f'user_{ADMIN}="{password}"'
        ),
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": keystore,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": truststore,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN}",
        "allow.everyone.if.no.acl.found": "false",
    }


def _jaas(module: str, password: str, *extra: str) -> str:
    options = " ".join((f'username="{ADMIN}"', f'password="{password}"', *extra))
    return f"org.apache.kafka.common.security.{module} required {options};"


def as_environment(properties: dict[str, str]) -> dict[str, str]:
    """server.properties names as the apache/kafka image reads them: `.` as `_`, `_` as
    `__`, `-` as `___` (KAFKA_MIN_INSYNC_REPLICAS, ..._SCRAM___SHA___512_...)."""
    return {
        "KAFKA_" + key.upper().replace("_", "__").replace("-", "___").replace(".", "_"): value
        for key, value in properties.items()
    }


# Where production mounts the brokers' secrets (docker-compose.yml: Docker secrets).
PRODUCTION_SECRETS = "/run/secrets"


def production_security() -> dict[str, str]:
    return secure_properties(
        PRODUCTION_SECRETS,
        f"{PRODUCTION_SECRETS}/kafka_keystore.pem",
        f"{PRODUCTION_SECRETS}/kafka_ca.pem",
    )
