"""`vigie status` and `vigie outbox`: what the crisis centre and a developer look at."""

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from schemas.crisis import Channel
from services.cli.endpoints import connected_settings
from services.common import crises
from services.common.masking import mask
from services.common.runtime import make_redis
from services.dispatcher.ledger import addressbook_key, read_addressbook
from services.leaders.status import leader_status
from services.providers import outbox
from services.reservists.status import need_status
from services.responses.safety import needing_help
from services.trust import holds

console = Console()
OUTCOMES = ("targeted", "sent", "failed", "skipped")


def status_command(
    crisis_id: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per crisis: targeted, sent, failed, skipped per channel and per post."""
    status, state, answers = asyncio.run(_status(crisis_id))
    if not status and not state and not answers["holds"] and not answers["rejected"]:
        console.print(f"[red]No crisis {crisis_id!r} known.[/]")
        raise typer.Exit(1)
    if as_json:
        print(json.dumps({"crisis": crisis_id, **state, "counters": status, **answers}, indent=2))
        return
    _print_trust(answers)
    if not status and not state:
        return
    console.print(
        f"Crisis [bold]{crisis_id}[/]: {state.get('state', 'unknown')}, latest "
        f"{state.get('latest', '-')}; {status.get('people', 0)} people in the area, "
        f"{status.get('unreachable', 0)} without a contact point, "
        f"{status.get('islands', 0)} islands"
    )
    for prefix, title in (("", "Alert"), ("update:", "Update"), ("cancel:", "Corrections")):
        if f"{prefix}resolved_at" not in status:
            continue
        table = Table("channel", *OUTCOMES, title=title)
        for channel in Channel:
            table.add_row(
                channel.value,
                *(str(status.get(f"{prefix}{o}:{channel.value}", 0)) for o in OUTCOMES),
            )
        console.print(table)
    posts = [p for p in str(status.get("posts", "")).split(",") if p]
    if posts:
        table = Table("post", *(f"{c.value} sent/targeted" for c in Channel), title="Posts")
        for post in posts:
            table.add_row(
                post,
                *(
                    f"{status.get(f'post:{post}:sent:{c.value}', 0)}/"
                    f"{status.get(f'post:{post}:targeted:{c.value}', 0)}"
                    for c in Channel
                ),
            )
        console.print(table)
    _print_answers(answers)


def _print_trust(answers: dict[str, Any]) -> None:
    for held in answers["holds"]:
        signer = (held["signer"] or {}).get("operator", "?")
        if held["approved_by"]:
            console.print(
                f"{held['event']['identifier']}: held ({held['reason']}), signed by {signer}, "
                f"[green]approved by {held['approved_by']['operator']}[/] at "
                f"{held['approved_at']}"
            )
        else:
            console.print(
                f"[bold yellow]{held['event']['identifier']}: HELD[/] since {held['held_at']} "
                f"for a second operator ({held['reason']}), signed by {signer}. "
                f"Nobody has been alerted. Approve: vigie approve {held['event']['identifier']}"
            )
    for identifier, rejected in sorted(answers["rejected"].items()):
        console.print(
            f"[bold red]{identifier}: REJECTED[/] at {rejected['at']}: {rejected['reason']}. "
            "Nobody has been alerted."
        )


def _print_answers(answers: dict[str, Any]) -> None:
    leaders = answers["leaders"]
    if leaders.get("islands"):
        console.print(
            f"Leaders: {leaders.get('reached', 0)} of {leaders['islands']} islands acknowledged, "
            f"{leaders.get('escalated', 0)} escalated to a deputy or the post, "
            f"{leaders.get('waiting', 0)} waiting, {leaders.get('unreached', 0)} unreached"
            + (
                f" ({', '.join(leaders['unreached_islands'])})"
                if leaders["unreached_islands"]
                else ""
            )
        )
    safety = answers["safety"]
    console.print(
        f"Safety: {safety['safe']} safe, {safety['help']} need help, "
        f"{safety['no_answer']} not answered"
    )
    if answers["needing_help"]:
        table = Table("person", "island", "post", "contact", title="Need help")
        for person, where in sorted(answers["needing_help"].items()):
            table.add_row(
                person,
                where.get("island_id") or "-",
                where.get("post_id") or "-",
                where.get("contact") or "-",
            )
        console.print(table)
    if answers["needs"]:
        table = Table(
            "need",
            "skill",
            "asked for",
            "requested",
            "accepted",
            "declined",
            "state",
            title="Reservist needs",
        )
        for need_id, need in sorted(answers["needs"].items()):
            state = (
                "filled"
                if need["filled"]
                else (
                    "[red]UNFILLED past deadline[/]" if need["unfilled_past_deadline"] else "open"
                )
            )
            table.add_row(
                need_id,
                need["skill"],
                str(need["count"]),
                str(need["requested"]),
                str(need["accepted"]),
                str(need["declined"]),
                state,
            )
        console.print(table)


async def _status(crisis_id: str) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    redis = make_redis(connected_settings())
    try:
        status = await crises.status(redis, crisis_id)
        state = {
            str(k): str(v) for k, v in (await redis.hgetall(crises.crisis_key(crisis_id))).items()
        }
        safe, help_ = int(status.get("safety:safe", 0)), int(status.get("safety:help", 0))
        answers = {
            "leaders": await leader_status(redis, crisis_id),
            "safety": {
                "safe": safe,
                "help": help_,
                "no_answer": max(int(status.get("people", 0)) - safe - help_, 0),
            },
            "needing_help": await needing_help(redis, crisis_id),
            "needs": await need_status(redis, crisis_id),
            "holds": [h.model_dump(mode="json") for h in await holds.holds(redis, crisis_id)],
            "rejected": await holds.rejections(redis, crisis_id),
        }
    finally:
        await redis.aclose()
    return status, state, answers


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
    try:
        entries = [outbox.Received(**json.loads(e)) for e in await redis.lrange(outbox.LOG, 0, -1)]
        people: dict[str, str] = {}
        if crisis is not None:
            events = set(await redis.hkeys(crises.events_key(crisis)))
            # Alerts are keyed by their event; notices by "<event>/<what>/...".
            entries = [e for e in entries if e.key.split("/")[0] in events]
            people = {
                str(k): str(v) for k, v in (await redis.hgetall(addressbook_key(crisis))).items()
            }
    finally:
        await redis.aclose()
    return [
        {
            "person": read_addressbook(people[f"{e.channel}:{e.to}"])[0]
            if f"{e.channel}:{e.to}" in people
            else "?",
            "channel": e.channel,
            "to": mask(e.to),
            "title": e.title,
            "body": e.body,
            "event": e.key,
        }
        for e in entries
    ]
