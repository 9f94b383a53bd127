"""The watch list as the duty officer sees it: in the terminal (`vigie watch`), as JSON, and
on the crisis page's watch page. Counts of people only, never who."""

from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from rich.console import Group, RenderableType
from rich.text import Text

from services.state import watch


async def watch_view(redis: Redis, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    alerts = await watch.listed(redis, now)
    sources = await watch.sources(redis)
    return {
        "alerts": [
            alert.model_dump(mode="json", exclude={"seen_at"}) | {"posts": alert.posts}
            for alert in alerts
        ],
        "sources": [
            {
                "name": health.name,
                "url": health.url,
                "answering": health.errors_in_a_row == 0 and health.last_success is not None,
                "last_success": _iso(health.last_success),
                "last_attempt": _iso(health.last_attempt),
                "failures_in_a_row": health.errors_in_a_row,
                "last_error": health.last_error,
                "last_refused": health.last_refused,
                "errors": health.errors,
                "alerts_seen": health.alerts_seen,
            }
            for health in sorted(sources.values(), key=lambda h: h.name)
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def render_watch(view: dict[str, Any]) -> RenderableType:
    """Two lines an alert, readable in any terminal; `--json` has every field."""
    parts: list[RenderableType] = [
        Text(
            "Watch list: other issuers' alerts in force, newest first "
            "(nothing is sent: `vigie relay IDENTIFIER` drafts an alert of ours)",
            style="bold",
        )
    ]
    if not view["alerts"]:
        parts.append(Text("No alert in force."))
    for alert in view["alerts"]:
        posts = ", ".join(f"{post} {n}" for post, n in alert["posts"].items()) or "no post"
        people = f"{alert['people']}{'*' if alert['by_code'] else ''} of our people"
        until = f"until {_short(alert['expires'])}" if alert["expires"] else "no end given"
        draft = alert["draft"]
        flag = (
            ("  DRAFT READY", "bold yellow")
            if draft == "ready"
            else (f"  (draft {draft})", "yellow")
            if draft
            else ""
        )
        parts.append(
            Text.assemble(
                (alert["identifier"], "bold cyan"),
                flag,
                f"  {alert['event']} ({alert['severity']} / {alert['urgency']} / "
                f"{alert['certainty']}), {alert['issuer']}\n    ",
                (people, "bold" if alert["people"] else "dim"),
                f" ({posts}) · sent {_short(alert['sent'])} UTC, {until} · "
                f"{' '.join(alert['area'].split())[:120]}",
            )
        )
    if any(alert["by_code"] for alert in view["alerts"]):
        parts.append(
            Text("* counted by the countries or regions its codes name: it has no geometry")
        )
    for source in view["sources"]:
        parts.append(_source_line(source))
    return Group(*parts)


def _source_line(source: dict[str, Any]) -> Text:
    if source["answering"]:
        refused = source["last_refused"]
        return Text(
            f"source {source['name']}: answering (last {_short(source['last_success'])}, "
            f"{source['alerts_seen']} alerts seen)"
            + (f"; last document refused: {refused}" if refused else ""),
            style="green",
        )
    since = _short(source["last_success"]) if source["last_success"] else "never"
    failures = source["failures_in_a_row"]
    return Text(
        f"source {source['name']}: NOT ANSWERING ({failures} failure"
        f"{'s' if failures != 1 else ''} in a row, last success {since}): "
        f"{source['last_error']}",
        style="bold red",
    )


def _short(iso: str) -> str:
    """A moment as the crisis centre reads it: UTC, to the minute."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
