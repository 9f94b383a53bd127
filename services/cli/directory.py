"""`vigie directory`: import and generate the directory."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from services.cli.endpoints import connected_settings
from services.common.runtime import make_redis
from services.directory.generate import generate_directory
from services.directory.importer import ImportReport, import_files

directory_app = typer.Typer(
    help="The directory of posts, islands and people.", no_args_is_help=True
)
console = Console(stderr=True)
MAX_REJECTS_SHOWN = 50


@directory_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Import GeoJSON FeatureCollections (posts, islands, nationals, trips, reservists)."""
    total = sum(f.stat().st_size for f in files)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("importing", total=total)
        report = asyncio.run(_import(files, lambda n: progress.advance(task, n)))
    _print_report(report)
    if report.rejected:
        raise typer.Exit(1)


async def _import(files: list[Path], advance: Callable[[int], None]) -> ImportReport:
    redis = make_redis(connected_settings())
    try:
        return await import_files(redis, files, advance)
    finally:
        await redis.aclose()


def _print_report(report: ImportReport) -> None:
    imported = ", ".join(f"{n} {kind}(s)" for kind, n in sorted(report.imported.items()))
    print(f"imported: {imported or 'nothing'}")
    if unchanged := sum(report.imported.values()) - report.changed:
        print(f"{unchanged} of them unchanged (nothing written for those)")
    for rejected in report.rejected[:MAX_REJECTS_SHOWN]:
        console.print(f"[red]rejected[/] {rejected}")
    if len(report.rejected) > MAX_REJECTS_SHOWN:
        console.print(f"... and {len(report.rejected) - MAX_REJECTS_SHOWN} more rejected rows")


@directory_app.command("generate")
def generate_command(
    out: Path,
    nationals: Annotated[int, typer.Option(min=10)] = 10_000,
    seed: Annotated[int, typer.Option()] = 1,
    trips: Annotated[
        int | None, typer.Option(min=0, help="active and past trips; a twentieth of --nationals")
    ] = None,
) -> None:
    """Write a realistic synthetic directory (GeoJSON) for the demo and the benchmarks."""
    generate_directory(out, nationals, seed, trips=trips)
    print(out)
