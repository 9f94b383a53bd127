"""Start everything, feed sample events, show what each stage did, stop."""

import asyncio
from pathlib import Path

from rich.console import Console
from rich.table import Table

from schemas.crisis import CrisisEvent
from schemas.delivery import DeadLetter
from schemas.topics import CRISIS_ACCEPTED, DEAD_LETTERS
from services.cli.publishing import publish_raw
from services.common.bus_reader import wait_for_models
from services.common.config import Settings
from services.common.runner import serve
from services.embedded.stack import EmbeddedStack
from services.registry import SERVICES

SAMPLES = Path(__file__).parent / "samples"
GOOD_EVENTS = ("earthquake-marrakech.json", "flood-tangier.cap.xml")
BAD_EVENTS = ("unclosed-polygon.json",)


def run_demo(console: Console) -> None:
    console.print("Starting the embedded stack (Kafka-protocol broker, Redis)...")
    with EmbeddedStack() as stack:
        console.print(f"  Kafka {stack.kafka_bootstrap}, Redis {stack.redis_url}")
        asyncio.run(_scenario(stack.settings(), console))
    console.print("Stack stopped. `vigie up` keeps it running for your own events.")


async def _scenario(settings: Settings, console: Console) -> None:
    stop = asyncio.Event()
    services = asyncio.create_task(serve(settings, list(SERVICES), stop))
    try:
        for name in GOOD_EVENTS + BAD_EVENTS:
            console.print(f"Publishing {name}")
            await publish_raw(settings, (SAMPLES / name).read_bytes(), key=name)
        accepted = await wait_for_models(settings, CRISIS_ACCEPTED, CrisisEvent, len(GOOD_EVENTS))
        rejected = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, len(BAD_EVENTS))
        _show(console, accepted, rejected)
    finally:
        stop.set()
        await services


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
