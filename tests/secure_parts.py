"""Certificates from a test CA (trustme) and passwords for the secured Kafka and Redis."""

import secrets
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization

from services.deploy.bus_access import ACCESS, user_of
from services.embedded.kafka_security import ClusterSecurity


def kafka_security(directory: Path) -> ClusterSecurity:
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    server = authority.issue_cert("127.0.0.1", "localhost")
    ca_file = directory / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    certificate = directory / "server.pem"
    certificate.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    # Kafka reads PKCS#8 keys only.
    key = serialization.load_pem_private_key(server.private_key_pem.bytes(), password=None)
    key_file = directory / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ClusterSecurity(
        ca_file=ca_file,
        certificate_file=certificate,
        key_file=key_file,
        admin_password=secrets.token_urlsafe(16),
        users={user_of(principal): secrets.token_urlsafe(16) for principal in ACCESS},
    )
