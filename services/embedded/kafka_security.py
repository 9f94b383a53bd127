"""A Kafka cluster secured as production is (services/deploy/kafka_brokers.py): its test
CA's certificates, its users and their passwords."""

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from services.deploy.kafka_brokers import ADMIN, ADMIN_PASSWORD_FILE, MECHANISM, secure_properties


@dataclass(frozen=True)
class ClusterSecurity:
    ca_file: Path  # PEM of the CA clients trust
    certificate_file: Path  # the brokers' certificate chain (PEM), valid for 127.0.0.1
    key_file: Path  # its private key, PKCS#8 PEM, unencrypted
    admin_password: str
    users: dict[str, str] = field(default_factory=dict)  # SCRAM users and their passwords

    def properties(self, node_directory: Path) -> dict[str, str]:
        """The production brokers' security settings, the admin's password in a secrets
        folder of the node's own, as Docker mounts them."""
        secrets = node_directory / "secrets"
        secrets.mkdir(mode=0o700, exist_ok=True)
        (secrets / ADMIN_PASSWORD_FILE).write_text(self.admin_password)
        keystore = node_directory / "keystore.pem"
        keystore.write_text(self.key_file.read_text() + self.certificate_file.read_text())
        for secret in (keystore, secrets / ADMIN_PASSWORD_FILE):
            secret.chmod(0o600)
        return secure_properties(str(secrets), str(keystore), str(self.ca_file))

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
