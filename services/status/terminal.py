"""A crisis as rich renderables: printed once by `vigie status`, refreshed by `--watch`."""

from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from schemas.crisis import Channel

OUTCOMES = ("targeted", "sent", "failed", "skipped")


def render(view: dict[str, Any]) -> Group:
    parts: list[RenderableType] = [*_kind(view), *_trust(view), *_unsent(view)]
    counters, state = view["counters"], view["state"]
    if counters or state:
        parts.append(
            Text.from_markup(
                f"Crisis [bold]{escape(view['crisis'])}[/]: "
                f"{escape(state.get('state', 'unknown'))}, "
                f"latest {escape(state.get('latest', '-'))}; "
                f"{counters.get('people', 0)} people in the area, "
                f"{counters.get('unreachable', 0)} without a contact point, "
                f"{counters.get('islands', 0)} islands"
            )
        )
        parts.extend(
            _per_channel(
                counters,
                "shared",
                "People sharing a contact point with someone else (sent once, counted for each)",
            )
        )
        parts.extend(
            _per_channel(
                counters,
                "fallback",
                "People every channel of the alert failed, tried once on another of theirs",
            )
        )
        reminders = [
            f"{c} {counters.get(f'reminder:sent:{c}', 0)} sent of {targeted}"
            for c in ("sms", "email", "push")
            if (targeted := int(counters.get(f"reminder:targeted:{c}", 0)))
        ]
        if reminders:
            parts.append(
                Text(
                    "Safety check reminders (one each, on another channel, to those silent): "
                    + ", ".join(reminders)
                )
            )
        for kind in view["resolving"]:
            parts.append(
                Text(
                    f"{kind}: resolving, who it reaches is still being counted; its deliveries "
                    "show once the count is done"
                )
            )
        if waiting := view.get("waiting"):
            parts.append(
                Text.from_markup(
                    "[bold yellow]Waiting for a provider that cannot take messages now[/] "
                    "(tried again until the deadline, not failed): "
                    + escape(", ".join(f"{c} {n}" for c, n in sorted(waiting.items())))
                )
            )
        parts.extend(_channels(counters))
        parts.extend(_posts(counters, view["posts"], view["to_call"]))
        parts.extend(_answers(view))
    return Group(*parts)


def _per_channel(counters: dict[str, Any], name: str, what: str) -> list[RenderableType]:
    """A line of a counter's values per channel, when there are any."""
    found = {c: int(counters.get(f"{name}:{c}", 0)) for c in ("sms", "email", "push")}
    if not any(found.values()):
        return []
    return [Text(f"{what}: " + ", ".join(f"{c} {n}" for c, n in found.items() if n))]


# A drill or a test must never be mistaken for a real crisis on the crisis centre's screen.
KIND_BANNERS = {
    "Exercise": "[bold white on magenta] EXERCISE [/] a drill: only its audience is alerted",
    "Test": "[bold white on blue] TEST [/] a technical test: only test recipients are alerted",
}


def _kind(view: dict[str, Any]) -> list[RenderableType]:
    lines: list[RenderableType] = []
    banner = KIND_BANNERS.get(view["state"].get("status", ""))
    if banner:
        lines.append(Text.from_markup(banner))
    if note := view["state"].get("note"):
        lines.append(Text.from_markup(f"[bold yellow]{escape(note)}[/]"))
    return lines


def _unsent(view: dict[str, Any]) -> list[RenderableType]:
    return [
        Text(
            f"{identifier}: {shown['status']} {shown['msg_type']} from {shown['sender']} at "
            f"{shown['sent']}, recorded and sent to nobody ({shown['why']})"
        )
        for identifier, shown in sorted(view["unsent"].items())
    ]


def _trust(view: dict[str, Any]) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for held in view["holds"]:
        identifier = held["event"]["identifier"]
        signer = (held["signer"] or {}).get("operator", "?")
        if held["approved_by"]:
            lines.append(
                Text.from_markup(
                    f"{escape(identifier)}: held ({escape(held['reason'])}), signed by "
                    f"{escape(signer)}, [green]approved by "
                    f"{escape(held['approved_by']['operator'])}[/] at "
                    f"{held['approved_at']}"
                )
            )
        else:
            lines.append(
                Text.from_markup(
                    f"[bold yellow]{escape(identifier)}: HELD[/] since {held['held_at']} for a "
                    f"second operator ({escape(held['reason'])}), signed by {escape(signer)}. "
                    f"Nobody has been alerted. Approve: vigie approve {escape(identifier)}"
                )
            )
    for identifier, rejected in sorted(view["rejected"].items()):
        lines.append(
            Text.from_markup(
                f"[bold red]{escape(identifier)}: REJECTED[/] at {rejected['at']}: "
                f"{escape(rejected['reason'])}. Nobody has been alerted."
            )
        )
    return lines


def _channels(counters: dict[str, str]) -> list[RenderableType]:
    tables: list[RenderableType] = []
    for prefix, title in (("", "Alert"), ("update:", "Update"), ("cancel:", "Corrections")):
        if f"{prefix}resolved_at" not in counters:
            continue
        table = Table("channel", *OUTCOMES, "done", title=title)
        for channel in Channel:
            counts = [int(counters.get(f"{prefix}{o}:{channel.value}", 0)) for o in OUTCOMES]
            targeted, done = counts[0], sum(counts[1:])
            table.add_row(
                channel.value,
                *map(str, counts),
                ProgressBar(total=max(targeted, 1), completed=done if targeted else 1, width=30),
            )
        tables.append(table)
    return tables


def _posts(
    counters: dict[str, str], posts: list[str], to_call: dict[str, int]
) -> list[RenderableType]:
    if not posts:
        return []
    table = Table("post", *(f"{c.value} sent/targeted" for c in Channel), "to call", title="Posts")
    for post in posts:
        table.add_row(
            post,
            *(
                f"{counters.get(f'post:{post}:sent:{c.value}', 0)}/"
                f"{counters.get(f'post:{post}:targeted:{c.value}', 0)}"
                for c in Channel
            ),
            str(to_call.get(post, 0)),
        )
    return [table]


def _answers(view: dict[str, Any]) -> list[RenderableType]:
    parts: list[RenderableType] = []
    leaders = view["leaders"]
    if leaders.get("islands"):
        unreached = leaders["unreached_islands"]
        parts.append(
            Text(
                f"Leaders: {leaders.get('reached', 0)} of {leaders['islands']} islands "
                f"acknowledged, {leaders.get('escalated', 0)} escalated to a deputy or the post, "
                f"{leaders.get('waiting', 0)} waiting, {leaders.get('unreached', 0)} unreached"
                + (f" ({', '.join(unreached)})" if unreached else "")
            )
        )
    safety = view["safety"]
    parts.append(
        Text(
            f"Safety: {safety['safe']} safe, {safety['help']} need help, "
            f"{safety['no_answer']} not answered"
        )
    )
    if view["needing_help"]:
        table = Table("person", "island", "post", "contact", title="Need help")
        for person, where in sorted(view["needing_help"].items()):
            table.add_row(
                person,
                where.get("island_id") or "-",
                where.get("post_id") or "-",
                where.get("contact") or "-",
            )
        parts.append(table)
    unread = view["unread_replies"]
    if unread["count"]:
        table = Table(
            "person", "post", "reply", "at", title=f"SMS replies not understood: {unread['count']}"
        )
        for entry in unread["newest"][:5]:
            # The person's own words, shown as they are: never read as markup.
            table.add_row(
                entry["person_id"], entry["post_id"] or "-", Text(entry["text"]), entry["at"]
            )
        parts.append(table)
    if view["needs"]:
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
        for need_id, need in sorted(view["needs"].items()):
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
        parts.append(table)
    if reads := view["call_list_reads"]:
        last = reads[0]
        parts.append(
            Text(
                f"Call list read {len(reads)} time(s), numbers in clear; last by {last['by']} "
                f"at {last['at']}" + (f" (post {last['post_id']})" if last["post_id"] else "")
            )
        )
    return parts
