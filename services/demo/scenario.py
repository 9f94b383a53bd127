"""Start everything, feed sample events, show what each stage did, stop."""

import asyncio
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from schemas.crisis import CrisisEvent
from schemas.delivery import DeadLetter
from schemas.topics import CRISIS_ACCEPTED, DEAD_LETTERS
from services.common.bus_reader import wait_for_models
from services.common.config import Settings
from services.common.masking import mask
from services.common.runner import serve
from services.common.runtime import make_redis
from services.demo.freshen import freshen
from services.directory.generate import generate_directory
from services.directory.importer import import_files
from services.embedded.stack import EmbeddedStack
from services.providers import outbox
from services.publishing import publish_signed
from services.registry import SERVICES
from services.state import crises
from services.state.islands import leader_status
from services.state.needs import need_status
from services.status.watch_list import render_watch, watch_view

SAMPLES = Path(__file__).parent / "samples"
GOOD_EVENTS = ("earthquake-marrakech.json", "flood-tangier.cap.xml")
BAD_EVENTS = ("unclosed-polygon.json",)
DEMO_NATIONALS = 20_000
ANSWER_LINKS_WAIT_S = 60
CHANNELS = crises.CHANNEL_NAMES


def run_demo(stack: EmbeddedStack, console: Console) -> None:
    """The scenario on a started stack, which it stops."""
    with stack:
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
    services = asyncio.create_task(serve(settings, SERVICES, stop))
    try:
        for name in GOOD_EVENTS + BAD_EVENTS:
            console.print(f"Publishing {name}")
            await publish_signed(settings, freshen((SAMPLES / name).read_bytes()), key=name)
        accepted = await wait_for_models(settings, CRISIS_ACCEPTED, CrisisEvent, len(GOOD_EVENTS))
        rejected = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, len(BAD_EVENTS))
        _show(console, accepted, rejected)
        await _show_outcomes(console, redis, [e.crisis_id for e in accepted])
        await _show_outbox_sample(console, redis)
        await _answer_some(console, redis)
        await _show_answers(console, redis, [e.crisis_id for e in accepted])
        await _show_watch(console, redis)
    finally:
        stop.set()
        await services
        await redis.aclose()


async def _show_outcomes(console: Console, redis: Redis, crisis_ids: list[str]) -> None:
    table = Table(
        "crisis",
        "people",
        *(f"{c} sent/targeted" for c in CHANNELS),
        "islands",
        "posts",
        title="Who each crisis reached (`vigie status CRISIS`)",
    )
    for crisis_id in crisis_ids:
        status: dict[str, str] = {}
        for _ in range(300):
            status = await crises.status(redis, crisis_id)
            if crises.is_settled(status):
                break
            await asyncio.sleep(0.1)
        table.add_row(
            crisis_id,
            status.get("people", "0"),
            *(f"{status.get(f'sent:{c}', 0)}/{status.get(f'targeted:{c}', 0)}" for c in CHANNELS),
            status.get("islands", "0"),
            status.get("posts", "").replace(",", " "),
        )
    console.print(table)


async def _show_watch(console: Console, redis: Redis) -> None:
    """The watch list the local issuers' feed filled meanwhile: listed, sent to nobody."""
    view = await watch_view(redis)
    for _ in range(100):
        if view["alerts"]:
            break
        await asyncio.sleep(0.1)
        view = await watch_view(redis)
    console.print(render_watch(view))


async def _show_outbox_sample(console: Console, redis: Redis) -> None:
    table = Table(
        "channel",
        "to",
        "title",
        "text",
        title="Received by the local providers (`vigie outbox --crisis ID`), one of each channel",
    )
    shown: set[str] = set()
    for entry in outbox.read_log(await redis.lrange(outbox.LOG, 0, 200)):
        if entry.channel not in shown:
            shown.add(entry.channel)
            table.add_row(entry.channel, mask(entry.to), entry.title, entry.body[:160])
    console.print(table)


async def _answer_some(console: Console, redis: Redis) -> None:
    """Follow one "I'm safe" link and one leader's "confirm" link, as people would."""
    links = await _answer_links(redis, ("safe", "ack"), within_s=ANSWER_LINKS_WAIT_S)
    for answer, url in links.items():
        if url is None:
            console.print(f"No {answer!r} link reached the outbox within {ANSWER_LINKS_WAIT_S} s")
            continue
        status = await asyncio.to_thread(_post_answer, url, answer)
        console.print(f"Answered {answer!r} through a link from the outbox: HTTP {status}")
    await asyncio.sleep(2)  # the answer travels through the responses topic


async def _answer_links(
    redis: Redis, answers: tuple[str, ...], within_s: float
) -> dict[str, str | None]:
    """The first link of each answer in the outbox; leaders are asked after the public is
    alerted, so their link may arrive a moment after the fan-out settled."""
    found: dict[str, str | None] = dict.fromkeys(answers)
    deadline = asyncio.get_running_loop().time() + within_s
    read = 0
    while True:
        raw = await redis.lrange(outbox.LOG, read, -1)
        read += len(raw)
        for entry in outbox.read_log(raw):
            for answer in answers:
                link = re.search(rf"(https?://\S+/a/\S+\?answer={answer})", entry.body)
                if found[answer] is None and link:
                    found[answer] = link.group(1)
        if None not in found.values() or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


def _post_answer(url: str, answer: str) -> int:
    action, _, _ = url.partition("?")
    request = urllib.request.Request(
        action, data=urllib.parse.urlencode({"answer": answer}).encode()
    )
    # The response service's web side may still be starting: wait for it, 10 s at most.
    for _ in range(50):
        try:
            return _open(request)
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError):
                raise
            time.sleep(0.2)
    return _open(request)


def _open(request: urllib.request.Request) -> int:
    with urllib.request.urlopen(request, timeout=10) as page:
        return int(page.status)


async def _show_answers(console: Console, redis: Redis, crisis_ids: list[str]) -> None:
    table = Table(
        "crisis",
        "islands acked/asked",
        "safe",
        "need help",
        "reservists asked",
        title="Answers so far (`vigie status CRISIS`)",
    )
    for crisis_id in crisis_ids:
        leaders = await leader_status(redis, crisis_id)
        status = await crises.status(redis, crisis_id)
        needs = await need_status(redis, crisis_id)
        table.add_row(
            crisis_id,
            f"{leaders.get('reached', 0)}/{leaders.get('islands', 0)}",
            status.get("safety:safe", "0"),
            status.get("safety:help", "0"),
            ", ".join(f"{n}: {v['requested']}" for n, v in needs.items()) or "-",
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
