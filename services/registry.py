"""The services `vigie run` knows, by name: the composition root that puts them together."""

from collections.abc import Callable
from functools import partial

from services.common.runtime import Runtime
from services.dispatcher.service import register_priority, register_routine
from services.ingest.service import register as register_ingest
from services.leaders.service import register as register_leaders
from services.reservists.service import register as register_reservists
from services.resolver.service import register as register_resolver
from services.responses.service import register as register_responses
from services.status.watch_page import mount_watch_page
from services.status.web import mount_crisis_page
from services.watch.service import register as register_watch

SERVICES: dict[str, Callable[[Runtime], None]] = {
    "ingest": register_ingest,
    "resolver": register_resolver,
    "dispatcher": register_routine,
    "dispatcher-priority": register_priority,
    "leaders": register_leaders,
    "reservists": register_reservists,
    # The response service's web app also serves the crisis centre's crisis and watch pages.
    "responses": partial(register_responses, extra_pages=(mount_crisis_page, mount_watch_page)),
    "watch": register_watch,
}
