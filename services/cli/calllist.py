"""`vigie calllist`: who a crisis's posts should phone, with their numbers in clear."""

import asyncio
import csv
import getpass
import logging
import socket
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.cli.endpoints import connected_settings
from services.common.config import Settings
from services.common.runtime import make_redis
from services.state import calllist
from services.state.calllist import ToCall
from services.status.collect import crisis_view, is_known

log = logging.getLogger("vigie.calllist")
console = Console()
COLUMNS = ("post", "island", "person", "situation", "sms", "email")


def calllist_command(
    crisis_id: str,
    post: Annotated[str | None, typer.Option("--post", help="only this post's people")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout, for a spreadsheet")] = False,
) -> None:
    """Per post and island, the people to phone: those who need help first, then those no
    channel reached, then those who have not answered the safety check. Phone numbers are
    shown in clear: every use is recorded with who asked (`vigie status` lists them)."""
    by = f"{getpass.getuser()}@{socket.gethostname()}"
    rows = asyncio.run(_read(connected_settings(), crisis_id, post, by))
    if rows is None:
        console.print(f"[red]No crisis {crisis_id!r} known.[/]")
        raise typer.Exit(1)
    log.warning("call list of %s read by %s: %d people, numbers in clear", crisis_id, by, len(rows))
    if as_csv:
        out = csv.writer(sys.stdout)
        out.writerow(COLUMNS)
        out.writerows(_cells(row) for row in rows)
        return
    table = Table(*COLUMNS, title=f"Call list of {crisis_id}" + (f", post {post}" if post else ""))
    for row in rows:
        table.add_row(*_cells(row))
    console.print(table if rows else "Nobody to call.")


def _cells(row: ToCall) -> list[str]:
    return [
        row.post_id,
        row.island_id,
        row.person_id,
        row.situation.label,
        row.sms or "",
        row.email or "",
    ]


async def _read(
    settings: Settings, crisis_id: str, post: str | None, by: str
) -> list[ToCall] | None:
    redis = make_redis(settings)
    try:
        if not is_known(await crisis_view(redis, crisis_id)):
            return None
        rows = await calllist.call_list(redis, crisis_id, post)
        await calllist.record_read(redis, crisis_id, by, post, len(rows))
        return rows
    finally:
        await redis.aclose()
