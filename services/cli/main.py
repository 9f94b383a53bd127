"""`vigie`: run the stack, publish events, inspect what happened."""

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from schemas.delivery import DeadLetter
from schemas.export import export_schemas
from schemas.topics import DEAD_LETTERS
from services.cli.directory import directory_app
from services.cli.endpoints import connected_settings
from services.cli.publishing import check_event_file, publish_raw
from services.cli.views import outbox_command, status_command
from services.common.bus_reader import read_models
from services.common.config import Settings
from services.common.runner import serve, stop_on_signals
from services.ingest.errors import InvalidEvent
from services.registry import SERVICES

app = typer.Typer(help="Vigie: crisis alerting for French nationals abroad.", no_args_is_help=True)
schemas_app = typer.Typer(help="The bus contract.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(directory_app, name="directory")
app.command("status")(status_command)
app.command("outbox")(outbox_command)
console = Console()


def _logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("faststream").setLevel(level)


@app.command()
def up(verbose: Annotated[bool, typer.Option("--verbose/--quiet")] = True) -> None:
    """Start the embedded stack and every service in the foreground, until Ctrl-C."""
    from services.embedded.stack import EmbeddedStack, withdraw

    _logging(verbose)
    settings = Settings()
    with EmbeddedStack() as stack:
        state = stack.announce(settings.home)
        console.print(
            f"[green]Vigie is up[/]: Kafka {stack.kafka_bootstrap}, "
            f"Redis {stack.redis_url} (written to {state}). Ctrl-C stops."
        )
        try:
            asyncio.run(_serve_until_signal(stack.settings(), list(SERVICES)))
        finally:
            withdraw(settings.home)


async def _serve_until_signal(settings: Settings, names: list[str]) -> None:
    stop = asyncio.Event()
    stop_on_signals(stop)
    await serve(settings, names, stop)


@app.command()
def run(
    service: Annotated[str, typer.Argument(help=f"one of: {', '.join(SERVICES)}, or all")],
    verbose: Annotated[bool, typer.Option("--verbose/--quiet")] = True,
) -> None:
    """Run a service (or all) against the configured Kafka and Redis."""
    _logging(verbose)
    names = list(SERVICES) if service == "all" else [service]
    if any(n not in SERVICES for n in names):
        console.print(f"[red]Unknown service {service!r}[/]; known: {', '.join(SERVICES)}, all")
        raise typer.Exit(2)
    asyncio.run(_serve_until_signal(connected_settings(), names))


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    unchecked: Annotated[
        bool,
        typer.Option(
            "--unchecked", help="Publish even if local checks fail (to exercise dead-lettering)."
        ),
    ] = False,
) -> None:
    """Publish a crisis event (JSON or CAP 1.2 XML); prints its identifier."""
    try:
        raw, event = check_event_file(file)
        key = event.identifier
    except InvalidEvent as exc:
        if not unchecked:
            console.print(f"[red]{file}: not published[/]: {exc}")
            raise typer.Exit(1) from None
        raw, key = file.read_bytes(), file.name
    asyncio.run(publish_raw(connected_settings(), raw, key))
    print(key)


@app.command()
def deadletters(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Rejected input and the reason for each."""
    letters = asyncio.run(read_models(connected_settings(), DEAD_LETTERS, DeadLetter))
    if as_json:
        print(json.dumps([letter.model_dump(mode="json") for letter in letters], indent=2))
        return
    table = Table("received", "stage", "reason", "payload")
    for letter in letters:
        table.add_row(
            letter.received_at.isoformat(timespec="seconds"),
            letter.stage,
            letter.reason,
            letter.payload[:60].replace("\n", " "),
        )
    console.print(table if letters else "No dead letters.")


@app.command()
def demo() -> None:
    """Run the embedded stack with a sample directory and crisis, show what happened, stop."""
    from services.demo.scenario import run_demo

    _logging(False)
    run_demo(console)


@schemas_app.command("export")
def schemas_export(directory: Path) -> None:
    """Write the JSON Schema of every message on the bus into DIRECTORY."""
    for path in export_schemas(directory):
        print(path)


@topics_app.command("create")
def topics_create(replication: Annotated[int, typer.Option(min=1)] = 1) -> None:
    """Create every Vigie topic (with its partition count) that does not exist yet."""
    from services.common.topic_admin import create_topics

    asyncio.run(create_topics(connected_settings(), replication))
    print("topics ready")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
