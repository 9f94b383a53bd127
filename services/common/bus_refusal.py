"""Kafka saying no: a wrong password, an unknown user, a topic or group the user may not use.
Retrying cannot help, so a service says why once, turns unhealthy and waits to be stopped or
fixed, rather than loop on it in silence."""

import contextlib

from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)

from services.common.config import Settings
from services.common.transport import kafka_client_options

REFUSALS = (
    AuthenticationFailedError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    ClusterAuthorizationFailedError,
)


def refusal(settings: Settings, error: BaseException) -> str:
    who = f"user {settings.bus.kafka_username!r}" if settings.bus.kafka_username else "this client"
    return f"Kafka refused {who}: {type(error).__name__}: {error}"


async def sign_in_refusal(settings: Settings) -> str | None:
    """Why the brokers would not take our connection, when they refused to sign us in (a
    bootstrap failure alone does not say: an unreachable broker looks the same)."""
    options = kafka_client_options(settings)
    for server in settings.bus.bootstrap_servers:
        host, _, port = server.rpartition(":")
        try:
            connection = await create_conn(host, int(port), request_timeout_ms=5_000, **options)
        except REFUSALS as exc:
            return refusal(settings, exc)
        except Exception:  # unreachable: try the next broker
            continue
        with contextlib.suppress(Exception):
            connection.close()
    return None
