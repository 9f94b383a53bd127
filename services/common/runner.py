"""Run a set of services in this process until asked to stop."""

import asyncio
import gc
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import uvloop
from aiokafka.errors import KafkaConnectionError
from redis.exceptions import AuthenticationError, NoPermissionError

from services.common.bus_refusal import REFUSALS, refusal, sign_in_refusal
from services.common.config import Settings
from services.common.metrics import watch_consumer_lag
from services.common.ops_server import ops_app
from services.common.runtime import Runtime, make_broker, make_redis, start_broker
from services.common.signals import stop_on_signals
from services.common.web_server import serve_asgi

log = logging.getLogger("vigie.runner")
GC_THRESHOLD = 50_000  # allocations between young collections (Python's default: 700)


# A service: what it subscribes and starts on a runtime. The composition root (the CLI, the
# demo) names them; this layer knows none.
Register = Callable[[Runtime], None]


async def serve(
    settings: Settings,
    services: Mapping[str, Register],
    stop: asyncio.Event,
    own_process: bool = False,
) -> None:
    """`own_process`: the services are this process's whole job (`vigie run`), so its
    garbage collector is tuned for them."""
    wanted = list(services)
    rt = Runtime(settings, make_broker(settings), make_redis(settings))
    for register in services.values():
        register(rt)
    # Probes get an answer from the start: 503 until the services run, or with the reason
    # Kafka refused them.
    tasks = []
    if settings.operations.ops_listen:
        ops = ops_app(rt, wanted)
        tasks.append(asyncio.create_task(serve_asgi(ops, settings.operations.ops_listen)))
    try:
        if not await _connect(rt):
            await stop.wait()
            return
        rt.background.append(lambda: watch_consumer_lag(rt.broker))
        # The web side and the timers first: the consumers already run, and a message they
        # handle may send a link that is followed before the caches below are warm.
        tasks += [asyncio.create_task(run()) for run in rt.background]
        for warm_up in rt.startup:
            await warm_up()
        if own_process:
            _settle_heap()
        log.info("services running: %s", ", ".join(wanted))
        await _until_stopped(stop, tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await rt.broker.stop()
        await rt.redis.aclose()
        log.info("services stopped: %s", ", ".join(wanted))


async def _connect(rt: Runtime) -> bool:
    """Sign in to Redis, start the consumers and producers; False if Redis or Kafka refused
    this service (then `rt.problem` says why, once in the log)."""
    try:
        await rt.redis.ping()
    except (AuthenticationError, NoPermissionError) as exc:
        user = urlsplit(rt.settings.redis.url or "").username or "default"
        rt.refuse(f"Redis refused user {user!r}: {type(exc).__name__}: {exc}")
        return False
    try:
        await start_broker(rt.broker)
        return True
    except REFUSALS as exc:
        rt.refuse(refusal(rt.settings, exc))
    except KafkaConnectionError:
        reason = await sign_in_refusal(rt.settings)
        if reason is None:
            raise
        rt.refuse(reason)
    return False


async def _until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Wait for the stop signal; a background task that dies takes the service down with it
    (a supervisor restarts it) rather than leave it half-working."""
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    for task in done:
        if task is not stopping:
            task.result()
            raise RuntimeError("a background task of the service ended on its own")


def _settle_heap() -> None:
    """What was built at start (modules, warmed caches) lives as long as the process:
    leave it out of garbage collection, and collect less often. A fan-out allocates models
    by the hundred thousand, and each full collection would walk the whole heap again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def run_until_signal(settings: Settings, services: Mapping[str, Register]) -> None:
    """Run services as this process's whole job until SIGINT or SIGTERM, on uvloop: a
    consumer's loop turns a few times per message, and the standard loop's own bookkeeping
    was about a tenth of a dispatcher's or the resolver's CPU (bench.deliver)."""
    uvloop.run(_serve_until_signal(settings, services))


async def _serve_until_signal(settings: Settings, services: Mapping[str, Register]) -> None:
    stop = asyncio.Event()
    stop_on_signals(stop)
    await serve(settings, services, stop, own_process=True)
