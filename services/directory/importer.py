"""Stream GeoJSON FeatureCollections into the directory; keep valid rows, report the rest."""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import ijson
from redis.asyncio import Redis

from services.directory.features import InvalidRow, feature_to_row
from services.directory.store import write_rows
from services.state.records import DirectoryRow

CHUNK = 2_000


@dataclass(frozen=True)
class RejectedRow:
    file: str
    index: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: feature {self.index}: {self.reason}"


@dataclass
class ImportReport:
    imported: Counter[str] = field(default_factory=Counter)
    rejected: list[RejectedRow] = field(default_factory=list)
    changed: int = 0  # rows new or different from what the directory held: the rest untouched


Progress = Callable[[int], None]


Key = tuple[str, str]  # (kind, id): what a record is known by


async def import_files(
    redis: Redis, paths: list[Path], progress: Progress | None = None
) -> ImportReport:
    report = ImportReport()
    ambiguous = _repeated_ids(paths)
    places: dict[Key, list[tuple[str, int]]] = defaultdict(list)
    for path in paths:
        with path.open("rb") as handle:
            await _import_stream(redis, path.name, handle, report, progress, ambiguous, places)
    for (kind, record_id), where in places.items():
        found = ", ".join(f"{file} feature {index}" for file, index in where)
        reason = f"{kind} id {record_id!r} appears {len(where)} times ({found}): none imported"
        report.rejected.append(RejectedRow(where[0][0], where[0][1], reason))
    return report


def _repeated_ids(paths: list[Path]) -> set[Key]:
    """The (kind, id) pairs that more than one feature of the import carries, from the
    features' properties alone (a pass over the files before any row is written)."""
    seen: set[Key] = set()
    repeated: set[Key] = set()
    for path in paths:
        with path.open("rb") as handle:
            try:
                for properties in ijson.items(handle, "features.item.properties", use_float=True):
                    if isinstance(properties, dict):
                        key = (str(properties.get("kind")), str(properties.get("id")))
                        (repeated if key in seen else seen).add(key)
            except ijson.JSONError:
                pass  # the import itself reports where the file breaks
    return repeated


async def _import_stream(
    redis: Redis,
    name: str,
    handle: BinaryIO,
    report: ImportReport,
    progress: Progress | None,
    ambiguous: set[Key],
    places: dict[Key, list[tuple[str, int]]],
) -> None:
    chunk: list[DirectoryRow] = []
    last_position = 0
    index = -1
    try:
        for index, feature in _features(handle):
            key = _key(feature)
            repeated = key is not None and key in ambiguous
            if key is not None and repeated:
                places[key].append((name, index))
            try:
                row = feature_to_row(feature)
            except InvalidRow as exc:
                report.rejected.append(RejectedRow(name, index, str(exc)))
            else:
                if not repeated:
                    chunk.append(row)
            if len(chunk) >= CHUNK:
                await _flush(redis, chunk, report)
                if progress:
                    position = handle.tell()
                    progress(position - last_position)
                    last_position = position
    except ijson.JSONError as exc:
        reason = f"invalid JSON after this feature, rest of file not read: {exc}"
        report.rejected.append(RejectedRow(name, index + 1, reason))
    await _flush(redis, chunk, report)
    if index < 0:
        reason = "no features found: expected a GeoJSON FeatureCollection with a features array"
        report.rejected.append(RejectedRow(name, 0, reason))
    if progress:
        progress(handle.seek(0, 2) - last_position)


def _key(feature: Any) -> Key | None:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(properties, dict):
        return None
    return str(properties.get("kind")), str(properties.get("id"))


def _features(handle: BinaryIO) -> Iterator[tuple[int, Any]]:
    yield from enumerate(ijson.items(handle, "features.item", use_float=True))


async def _flush(redis: Redis, chunk: list[DirectoryRow], report: ImportReport) -> None:
    if not chunk:
        return
    report.changed += await write_rows(redis, chunk)
    report.imported.update(row.kind for row in chunk)
    chunk.clear()
