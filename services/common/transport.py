"""How Vigie reaches Kafka and Redis securely: SASL and TLS from the settings, the same for
the services' brokers and for the CLI's plain clients."""

import ssl
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from services.common.config import Settings


class TransportError(ValueError):
    pass


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(
        cafile=str(settings.bus.kafka_ca_file) if settings.bus.kafka_ca_file else None
    )


def kafka_security(settings: Settings) -> BaseSecurity | None:
    protocol = settings.bus.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol.endswith("SSL")
    context = _ssl_context(settings) if use_ssl else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if not settings.bus.kafka_username or settings.bus.kafka_password is None:
        raise TransportError(f"{protocol} needs VIGIE_KAFKA_USERNAME and VIGIE_KAFKA_PASSWORD")
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}[
        settings.bus.kafka_sasl_mechanism
    ]
    return sasl(
        settings.bus.kafka_username,
        settings.bus.kafka_password.get_secret_value(),
        ssl_context=context,
        use_ssl=use_ssl,
    )


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """The same as keyword arguments of aiokafka's own clients (admin, plain consumer)."""
    from faststream.kafka.security import parse_security

    options: dict[str, Any] = parse_security(kafka_security(settings))
    return options


def redis_options(settings: Settings) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if settings.redis.password is not None:
        options["password"] = settings.redis.password.get_secret_value()
    if settings.redis.ca_file is not None:
        options["ssl_ca_certs"] = str(settings.redis.ca_file)
    return options


def redis_cluster(urls: str, options: dict[str, Any]) -> Redis:
    """A Redis Cluster client that finds the cluster from any of the nodes named. It answers
    the commands the services use as a single Redis does (every key of a script or a
    transaction is in one slot: services/state/keys.py), hence its type."""
    seeds = [urlsplit(url.strip()) for url in urls.split(",") if url.strip()]
    first = seeds[0]
    if first.scheme == "rediss":
        options = {"ssl": True, **options}
    if first.username:
        options = {"username": unquote(first.username), **options}
    if first.password and "password" not in options:
        options = {"password": unquote(first.password), **options}
    client = RedisCluster(
        startup_nodes=[
            ClusterNode(seed.hostname or "127.0.0.1", seed.port or 6379) for seed in seeds
        ],
        decode_responses=True,
        **options,
    )
    return cast(Redis, client)
