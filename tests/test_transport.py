"""Reaching production Kafka and Redis securely: what the settings turn into. (No SASL or
TLS broker runs here; these check the client side that every Vigie process uses.)"""

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from services.common.config import Settings
from services.common.transport import (
    TransportError,
    kafka_client_options,
    redis_options,
)


def test_sasl_ssl_with_scram_is_what_the_clients_use() -> None:
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_username="vigie",
        kafka_password=SecretStr("s3cret"),
    )
    options = kafka_client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "vigie"
    assert options["sasl_plain_password"] == "s3cret"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode is ssl.CERT_REQUIRED
    assert "s3cret" not in repr(settings)


def test_sasl_without_credentials_is_refused_with_the_variables_to_set() -> None:
    settings = Settings(kafka_security_protocol="SASL_PLAINTEXT")
    with pytest.raises(TransportError, match="VIGIE_KAFKA_USERNAME and VIGIE_KAFKA_PASSWORD"):
        kafka_client_options(settings)


def test_plaintext_by_default_and_redis_password_and_ca(tmp_path: Path) -> None:
    assert kafka_client_options(Settings()) == {}  # aiokafka's default: PLAINTEXT
    ca = tmp_path / "ca.pem"
    options = redis_options(Settings(redis_password=SecretStr("pw"), redis_ca_file=ca))
    assert options == {"password": "pw", "ssl_ca_certs": str(ca)}


def test_secrets_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vigie_sms_url").write_text("json://gateway.example/sms?:to={to}")
    settings = Settings(_secrets_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.providers.sms_url is not None
    assert settings.providers.sms_url.get_secret_value() == "json://gateway.example/sms?:to={to}"
    assert "gateway.example" not in repr(settings)
