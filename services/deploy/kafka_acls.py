"""Grant Kafka ACLs: each user may read, write and join only what services/deploy/bus_access.py
says. aiokafka's admin client has no method for it, so the CreateAcls request (protocol
types aiokafka ships) goes through the admin client's own connection."""

from collections.abc import Iterator
from enum import IntEnum

from aiokafka.protocol.admin import CreateAclsRequest

from services.common.config import Settings
from services.common.topic_admin import admin_client
from services.deploy.bus_access import ACCESS, Access, user_of


class _Resource(IntEnum):
    TOPIC = 2
    GROUP = 3


class _Operation(IntEnum):
    READ = 3
    WRITE = 4


_LITERAL = 3
_ALLOW = 3


class AclError(RuntimeError):
    pass


def _bindings(settings: Settings, access: Access) -> Iterator[tuple[_Resource, str, _Operation]]:
    for topic in access.reads:
        yield _Resource.TOPIC, settings.bus.topic(topic), _Operation.READ
    for topic in access.writes:
        yield _Resource.TOPIC, settings.bus.topic(topic), _Operation.WRITE
    for stage in access.groups:
        yield _Resource.GROUP, settings.bus.group(stage), _Operation.READ


async def grant(settings: Settings, user_prefix: str = "vigie-") -> int:
    """Allow each service's user exactly its access (idempotent); how many ACLs were sent."""
    sent = 0
    async with admin_client(settings) as admin:
        for principal, access in ACCESS.items():
            for resource, name, operation in _bindings(settings, access):
                request = CreateAclsRequest(
                    resource,
                    name,
                    _LITERAL,
                    f"User:{user_of(principal, user_prefix)}",
                    "*",
                    operation,
                    _ALLOW,
                )
                response = await admin._send_request(request)
                for error_code, message in response.creation_responses:
                    if error_code:
                        raise AclError(f"Kafka refused an ACL on {name}: {message} ({error_code})")
                sent += 1
    return sent
