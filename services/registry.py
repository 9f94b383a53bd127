"""The services `vigie run` knows, by name."""

from collections.abc import Callable

from services.common.runtime import Runtime
from services.dispatcher.service import register_priority, register_routine
from services.ingest.service import register as register_ingest
from services.resolver.service import register as register_resolver

SERVICES: dict[str, Callable[[Runtime], None]] = {
    "ingest": register_ingest,
    "resolver": register_resolver,
    "dispatcher": register_routine,
    "dispatcher-priority": register_priority,
}
