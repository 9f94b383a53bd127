"""Who an event may reach, from its CAP status and scope: only what is meant goes out."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from schemas.crisis import CrisisEvent, Scope, Status


@dataclass(frozen=True)
class Audience:
    nationals: bool  # the people in the area (or named, for Private)
    leaders: bool  # the leaders and deputies of the islands concerned
    post_cells: bool  # the crisis cells of the posts concerned
    reservists: bool  # reservists matching the event's needs
    enrolled: str | None = None  # "exercise" or "test": only people with that flag
    named: frozenset[str] | None = None  # Private: only these directory ids
    leaders_enrolled: bool = False  # leaders and deputies need the flag too (Test)

    def admits(self, record: Mapping[str, Any]) -> bool:
        """Whether this directory record (a national or a reservist) may be reached."""
        if self.named is not None and record.get("id") not in self.named:
            return False
        return self.enrolled is None or bool(record.get(self.enrolled))

    def admits_leader(self, record: Mapping[str, Any]) -> bool:
        return not self.leaders_enrolled or self.admits(record)


NOBODY = Audience(nationals=False, leaders=False, post_cells=False, reservists=False)


def audience_of(event: CrisisEvent) -> Audience:
    if event.is_record_only:
        return NOBODY
    if event.status is Status.ACTUAL:
        base = Audience(nationals=True, leaders=True, post_cells=False, reservists=True)
    elif event.status is Status.EXERCISE:
        # A drill reaches those who run it (cells, leaders, deputies) and those enrolled.
        base = Audience(
            nationals=True, leaders=True, post_cells=True, reservists=True, enrolled="exercise"
        )
    else:  # Test: a technical test reaches the people flagged for tests, or nobody
        base = Audience(
            nationals=True,
            leaders=True,
            post_cells=False,
            reservists=True,
            enrolled="test",
            leaders_enrolled=True,
        )
    if event.scope is Scope.RESTRICTED:
        return replace(base, nationals=False, post_cells=event.status is not Status.TEST)
    if event.scope is Scope.PRIVATE:
        named = frozenset(event.addresses)
        return replace(base, leaders=False, post_cells=False, named=named)
    return base
