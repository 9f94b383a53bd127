"""The services `vigie run` knows, by name."""

from collections.abc import Callable

from services.common.runtime import Runtime
from services.dispatcher.service import register_priority, register_routine
from services.ingest.service import register as register_ingest
from services.leaders.service import register as register_leaders
from services.reservists.service import register as register_reservists
from services.resolver.service import register as register_resolver
from services.responses.service import register as register_responses

SERVICES: dict[str, Callable[[Runtime], None]] = {
    "ingest": register_ingest,
    "resolver": register_resolver,
    "dispatcher": register_routine,
    "dispatcher-priority": register_priority,
    "leaders": register_leaders,
    "reservists": register_reservists,
    "responses": register_responses,
}
