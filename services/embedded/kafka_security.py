"""A Kafka cluster with no plaintext listener: clients and brokers speak SASL_SSL with
SCRAM-SHA-512 users, controllers SASL_SSL with PLAIN, and KRaft's StandardAuthorizer lets a
user do only what an ACL allows (the admin is the one super user)."""

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from services.deploy.kafka_brokers import BROKER_LISTENER, CONTROLLER_LISTENER

ADMIN = "admin"
MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class ClusterSecurity:
    ca_file: Path  # PEM of the CA clients trust
    certificate_file: Path  # the brokers' certificate chain (PEM), valid for 127.0.0.1
    key_file: Path  # its private key, PKCS#8 PEM, unencrypted
    admin_password: str
    users: dict[str, str] = field(default_factory=dict)  # SCRAM users and their passwords

    def properties(self, node_directory: Path) -> dict[str, str]:
        keystore = node_directory / "keystore.pem"
        keystore.write_text(self.key_file.read_text() + self.certificate_file.read_text())
        keystore.chmod(0o600)
        broker = BROKER_LISTENER.lower()
        controller = CONTROLLER_LISTENER.lower()
        return {
            "listener.security.protocol.map": f"{BROKER_LISTENER}:SASL_SSL,"
            f"{CONTROLLER_LISTENER}:SASL_SSL",
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            f"listener.name.{broker}.sasl.enabled.mechanisms": MECHANISM,
            f"listener.name.{broker}.scram-sha-512.sasl.jaas.config": _jaas(
                "scram.ScramLoginModule", ADMIN, self.admin_password
            ),
            # Controllers cannot read SCRAM credentials before the metadata log is up: PLAIN.
            "sasl.mechanism.controller.protocol": "PLAIN",
            f"listener.name.{controller}.sasl.enabled.mechanisms": "PLAIN",
            f"listener.name.{controller}.plain.sasl.jaas.config": _jaas(
                "plain.PlainLoginModule",
                ADMIN,
                self.admin_password,
                f'user_{ADMIN}="{self.admin_password}"',
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{ADMIN}",
            "allow.everyone.if.no.acl.found": "false",
        }

    def scram_arguments(self) -> list[str]:
        """`kafka-storage format` arguments that store every user's SCRAM credentials in
        the metadata log from the start (the brokers' own among them)."""
        arguments: list[str] = []
        for name, password in {ADMIN: self.admin_password, **self.users}.items():
            arguments += ["--add-scram", f"{MECHANISM}=[name={name},password={password}]"]
        return arguments

    def client_settings(self, user: str = ADMIN, password: str | None = None) -> dict[str, object]:
        """Settings fields with which a client signs in as `user` (with its own password
        unless another is given)."""
        if password is None:
            password = self.admin_password if user == ADMIN else self.users[user]
        return {
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": MECHANISM,
            "kafka_username": user,
            "kafka_password": SecretStr(password),
            "kafka_ca_file": self.ca_file,
        }


def _jaas(module: str, user: str, password: str, *extra: str) -> str:
    options = " ".join((f'username="{user}"', f'password="{password}"', *extra))
    return f"org.apache.kafka.common.security.{module} required {options};"
