"""`vigie status`, `vigie watch` and `vigie outbox`: what the crisis centre and a developer
look at."""

import asyncio
import contextlib
import json
from typing import Annotated, Any

import typer
from redis.asyncio import Redis
from rich.console import Console
from rich.live import Live
from rich.table import Table

from services.cli.endpoints import connected_settings
from services.common.config import Settings
from services.common.masking import mask
from services.common.runtime import make_redis
from services.common.signals import cancel_on_signals
from services.embedded.stack import announced
from services.providers import outbox
from services.state import keys
from services.state.addressbook import address_field, read_entry
from services.status.collect import crisis_view, is_known
from services.status.terminal import render
from services.status.watch_list import render_watch, watch_view

console = Console()


def status_command(
    crisis_id: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="Refresh the view until Ctrl-C.")] = False,
    every: Annotated[float, typer.Option(help="seconds between refreshes")] = 1.0,
) -> None:
    """Per crisis: targeted, sent, failed, skipped per channel and per post; leaders,
    safety answers, reservist needs; events held or rejected."""
    settings = connected_settings()
    if watch:
        # Ctrl-C or SIGTERM is how a watch ends: its task is cancelled and cleans up.
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(_watch(settings, crisis_id, every))
        return
    view = asyncio.run(_view(settings, crisis_id))
    if not is_known(view):
        console.print(f"[red]No crisis {crisis_id!r} known.[/]")
        raise typer.Exit(1)
    if as_json:
        state = view.pop("state")
        print(json.dumps({"crisis": crisis_id, **state, **view}, indent=2))
        return
    console.print(render(view))


async def _view(settings: Settings, crisis_id: str) -> dict[str, Any]:
    redis = make_redis(settings)
    try:
        return await crisis_view(redis, crisis_id)
    finally:
        await redis.aclose()


async def _watch(settings: Settings, crisis_id: str, every: float) -> None:
    cancel_on_signals()
    redis = make_redis(settings)
    try:
        with Live(console=console, auto_refresh=False) as live:
            while True:
                view = await crisis_view(redis, crisis_id)
                shown = render(view) if is_known(view) else f"Waiting for crisis {crisis_id}..."
                live.update(shown, refresh=True)
                await asyncio.sleep(every)
    finally:
        await redis.aclose()


def watch_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    once: Annotated[bool, typer.Option("--once", help="Show the list once and stop.")] = False,
    every: Annotated[float, typer.Option(help="seconds between refreshes")] = 2.0,
) -> None:
    """The watch list: other issuers' official alerts in force, newest first, with how many
    of our people each covers, per post; refreshed until Ctrl-C. Nothing in it is sent."""
    settings = connected_settings()
    if as_json or once:
        view = asyncio.run(_with_redis(settings, watch_view))
        if as_json:
            print(json.dumps(view, indent=2, ensure_ascii=False))
        else:
            console.print(render_watch(view))
        return
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(_refreshed(settings, every))


async def _with_redis(settings: Settings, read: Any) -> Any:
    redis = make_redis(settings)
    try:
        return await read(redis)
    finally:
        await redis.aclose()


async def _refreshed(settings: Settings, every: float) -> None:
    cancel_on_signals()
    redis = make_redis(settings)
    try:
        with Live(console=console, auto_refresh=False) as live:
            while True:
                live.update(render_watch(await watch_view(redis)), refresh=True)
                await asyncio.sleep(every)
    finally:
        await redis.aclose()


def outbox_command(
    crisis: Annotated[str | None, typer.Option(help="only this crisis's messages")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What each person received from the local providers, on which channel."""
    rows = asyncio.run(_outbox(crisis))
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table("person", "channel", "to", "title", "text")
    for row in rows:
        table.add_row(
            row["person"],
            row["channel"],
            row["to"],
            row["title"],
            row["body"][:80].replace("\n", " "),
        )
    console.print(table if rows else "Nothing received.")


async def _outbox(crisis: str | None) -> list[dict[str, str]]:
    settings = connected_settings()
    redis = make_redis(settings)
    # Under `vigie up --redis cluster` the stand-in providers keep theirs in a Redis apart.
    providers_url = (announced(settings.operations.home) or {}).get("providers_redis_url")
    providers = Redis.from_url(providers_url, decode_responses=True) if providers_url else redis
    try:
        entries = outbox.read_log(await providers.lrange(outbox.LOG, 0, -1))
        people: dict[str, str] = {}
        if crisis is not None:
            events = set(await redis.hkeys(keys.events(crisis)))
            # Alerts are keyed by their event; notices by "<event>/<what>/...".
            entries = [e for e in entries if e.key.split("/")[0] in events]
            people = {
                str(k): str(v) for k, v in (await redis.hgetall(keys.addressbook(crisis))).items()
            }
    finally:
        await redis.aclose()
        if providers is not redis:
            await providers.aclose()
    return [
        {
            "person": ", ".join(
                owner.person_id for owner in read_entry(people[address_field(e.channel, e.to)])
            )
            if address_field(e.channel, e.to) in people
            else "?",
            "channel": e.channel,
            "to": mask(e.to),
            "title": e.title,
            "body": e.body,
            "event": e.key,
        }
        for e in entries
    ]
