"""Start everything, feed sample events, show what each stage did, stop."""

import asyncio
import tempfile
from pathlib import Path

from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from schemas.crisis import CrisisEvent
from schemas.delivery import DeadLetter
from schemas.topics import CRISIS_ACCEPTED, DEAD_LETTERS
from services.cli.publishing import publish_raw
from services.common import crises
from services.common.bus_reader import wait_for_models
from services.common.config import Settings
from services.common.runner import serve
from services.common.runtime import make_redis
from services.directory.generate import generate_directory
from services.directory.importer import import_files
from services.embedded.stack import EmbeddedStack
from services.registry import SERVICES

SAMPLES = Path(__file__).parent / "samples"
GOOD_EVENTS = ("earthquake-marrakech.json", "flood-tangier.cap.xml")
BAD_EVENTS = ("unclosed-polygon.json",)
DEMO_NATIONALS = 20_000


def run_demo(console: Console) -> None:
    console.print("Starting the embedded stack (Kafka-protocol broker, Redis)...")
    with EmbeddedStack() as stack:
        console.print(f"  Kafka {stack.kafka_bootstrap}, Redis {stack.redis_url}")
        asyncio.run(_scenario(stack.settings(), console))
    console.print("Stack stopped. `vigie up` keeps it running for your own events.")


async def _scenario(settings: Settings, console: Console) -> None:
    redis = make_redis(settings)
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "directory.geojson"
        generate_directory(path, DEMO_NATIONALS, seed=1)
        report = await import_files(redis, [path])
    console.print(f"Imported a synthetic directory: {dict(report.imported)}")
    stop = asyncio.Event()
    services = asyncio.create_task(serve(settings, list(SERVICES), stop))
    try:
        for name in GOOD_EVENTS + BAD_EVENTS:
            console.print(f"Publishing {name}")
            await publish_raw(settings, (SAMPLES / name).read_bytes(), key=name)
        accepted = await wait_for_models(settings, CRISIS_ACCEPTED, CrisisEvent, len(GOOD_EVENTS))
        rejected = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, len(BAD_EVENTS))
        _show(console, accepted, rejected)
        await _show_targeting(console, redis, [e.crisis_id for e in accepted])
    finally:
        stop.set()
        await services
        await redis.aclose()


async def _show_targeting(console: Console, redis: Redis, crisis_ids: list[str]) -> None:
    table = Table(
        "crisis",
        "people",
        "push",
        "sms",
        "email",
        "unreachable",
        "islands",
        "posts",
        title="Who each crisis reaches (resolver)",
    )
    for crisis_id in crisis_ids:
        status: dict[str, str] = {}
        for _ in range(100):
            status = {
                str(k): str(v)
                for k, v in (await redis.hgetall(crises.status_key(crisis_id))).items()
            }
            if "resolved_at" in status:
                break
            await asyncio.sleep(0.1)
        table.add_row(
            crisis_id,
            status.get("people", "0"),
            status.get("targeted:push", "0"),
            status.get("targeted:sms", "0"),
            status.get("targeted:email", "0"),
            status.get("unreachable", "0"),
            status.get("islands", "0"),
            status.get("posts", "").replace(",", " "),
        )
    console.print(table)


def _show(console: Console, accepted: list[CrisisEvent], rejected: list[DeadLetter]) -> None:
    table = Table("identifier", "type", "severity", "headline", title="Accepted crisis events")
    for event in accepted:
        table.add_row(
            event.identifier, event.msg_type.value, event.severity.value, event.info[0].headline
        )
    console.print(table)
    dead = Table("stage", "reason", title="Dead letters (`vigie deadletters`)")
    for letter in rejected:
        dead.add_row(letter.stage, letter.reason)
    console.print(dead)
