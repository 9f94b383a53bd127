"""Certificates from a test CA (trustme) and passwords for the secured Kafka and Redis."""

import secrets
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization

from services.common.config import Settings
from services.deploy.bus_access import ACCESS, user_of
from services.embedded.kafka_security import ClusterSecurity
from services.embedded.redis_security import RedisSecurity


@dataclass(frozen=True)
class TestCertificates:
    ca_file: Path
    certificate_file: Path  # the servers' chain, valid for 127.0.0.1 and localhost
    key_file: Path  # PKCS#8: Kafka reads no other form


def certificates(directory: Path) -> TestCertificates:
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    server = authority.issue_cert("127.0.0.1", "localhost")
    ca_file = directory / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    certificate = directory / "server.pem"
    certificate.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    key = serialization.load_pem_private_key(server.private_key_pem.bytes(), password=None)
    key_file = directory / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TestCertificates(ca_file, certificate, key_file)


def _passwords() -> dict[str, str]:
    return {user_of(principal): secrets.token_urlsafe(16) for principal in ACCESS}


def kafka_security(directory: Path) -> ClusterSecurity:
    made = certificates(directory)
    return ClusterSecurity(
        made.ca_file, made.certificate_file, made.key_file, secrets.token_urlsafe(16), _passwords()
    )


def redis_security(directory: Path) -> RedisSecurity:
    made = certificates(directory)
    return RedisSecurity(
        made.ca_file, made.certificate_file, made.key_file, secrets.token_urlsafe(16), _passwords()
    )


def signed_in(
    security: ClusterSecurity, settings: Settings, user: str, **password: str
) -> Settings:
    """These settings, signed in to the secured Kafka as `user` (with its own password
    unless another is given)."""
    return settings.changed(**security.client_settings(user, **password))
