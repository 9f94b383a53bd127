"""Run a set of services in this process until asked to stop."""

import asyncio
import logging
import signal
from collections.abc import Iterable

from services.common.config import Settings
from services.common.runtime import Runtime, make_broker, make_redis

log = logging.getLogger("vigie.runner")


async def serve(settings: Settings, names: Iterable[str], stop: asyncio.Event) -> None:
    from services.registry import SERVICES

    wanted = list(names)
    unknown = [n for n in wanted if n not in SERVICES]
    if unknown:
        raise ValueError(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    rt = Runtime(settings, make_broker(settings), make_redis(settings))
    for name in wanted:
        SERVICES[name](rt)
    await rt.broker.start()
    for warm_up in rt.startup:
        await warm_up()
    log.info("services running: %s", ", ".join(wanted))
    try:
        await stop.wait()
    finally:
        await rt.broker.stop()
        await rt.redis.aclose()
        log.info("services stopped: %s", ", ".join(wanted))


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
