"""`vigie`: run the stack, publish events, inspect what happened."""

import asyncio
import json
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from schemas.delivery import DeadLetter
from schemas.export import export_schemas
from schemas.topics import DEAD_LETTERS
from services.cap.errors import InvalidEvent
from services.cli.calllist import calllist_command
from services.cli.directory import directory_app
from services.cli.endpoints import connected_settings
from services.cli.keys import keys_app
from services.cli.views import outbox_command, status_command, watch_command
from services.common.bus_reader import read_models
from services.common.config import ConfigurationError, Settings
from services.common.logs import configure_logging
from services.common.runner import run_until_signal
from services.embedded.processes import StackError
from services.embedded.stack import EmbeddedStack, withdraw
from services.publishing import (
    PublishRefused,
    check_event_file,
    held_event,
    publish_approval,
    publish_raw,
    trust_problem,
)
from services.registry import SERVICES
from services.texts.drafting import TEMPLATES, DraftError, as_cap, draft_event, named, unfilled
from services.trust.approvals import signed_approval
from services.trust.keys import KeyFileError, load_private
from services.trust.signing import sign_event

app = typer.Typer(help="Vigie: crisis alerting for French nationals abroad.", no_args_is_help=True)
schemas_app = typer.Typer(help="The bus contract.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(directory_app, name="directory")
app.add_typer(keys_app, name="keys")
settings_app = typer.Typer(help="Vigie's settings.", no_args_is_help=True)
app.add_typer(settings_app, name="settings")
deploy_app = typer.Typer(help="Production deployment files.", no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")
app.command("status")(status_command)
app.command("outbox")(outbox_command)
app.command("watch")(watch_command)
app.command("calllist")(calllist_command)
console = Console()


def _logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    configure_logging(level, json_lines=Settings().operations.log_format == "json")


BrokerOption = Annotated[
    str,
    typer.Option(
        "--broker",
        help="tansu: one in-memory broker process; kafka: three Apache Kafka brokers "
        "(KRaft mode; needs Java 17 and the jars scripts/install fetches)",
    ),
]


RedisOption = Annotated[
    str,
    typer.Option(
        "--redis",
        help="single: one redis-server; cluster: Redis Cluster, three masters with a replica "
        "each (needs redis-cli)",
    ),
]


def _started_stack(broker: str, redis: str = "single") -> EmbeddedStack:
    if broker not in ("tansu", "kafka"):
        console.print(f"[red]--broker {broker}[/]: choose tansu or kafka")
        raise typer.Exit(2)
    if redis not in ("single", "cluster"):
        console.print(f"[red]--redis {redis}[/]: choose single or cluster")
        raise typer.Exit(2)
    try:
        return EmbeddedStack(
            broker_kind="kafka" if broker == "kafka" else "tansu",
            redis_kind="cluster" if redis == "cluster" else "single",
        ).start()
    except StackError as exc:
        console.print(f"[red]Vigie could not start[/]: {exc}")
        raise typer.Exit(1) from None


@app.command()
def up(
    verbose: Annotated[bool, typer.Option("--verbose/--quiet")] = True,
    broker: BrokerOption = "tansu",
    redis: RedisOption = "single",
) -> None:
    """Start the embedded stack and every service in the foreground, until Ctrl-C."""
    _logging(verbose)
    settings = Settings()
    with _started_stack(broker, redis) as stack:
        state = stack.announce(settings.operations.home)
        engine = (
            f"Apache Kafka, {len(stack.kafka.nodes)} brokers in KRaft mode (logs in "
            f"{stack.kafka.home})"
            if stack.kafka is not None
            else "tansu (one in-memory broker)"
        )
        store = (
            f"Redis Cluster of {len(stack.cluster.nodes)} nodes (seeds {stack.redis_url}, "
            f"data in {stack.cluster.home})"
            if stack.cluster is not None
            else f"Redis {stack.redis_url}"
        )
        console.print(
            f"[green]Vigie is up[/] on {engine}: bootstrap {stack.kafka_bootstrap}, "
            f"{store} (written to {state}). Ctrl-C stops."
        )
        console.print(
            f"Crisis page: http://{stack.answers['response_listen']}/crisis/CRISIS_ID"
            f"?key={stack.answers['view_key']}"
        )
        sources = ", ".join(s.url for s in stack.settings().watch.sources)
        console.print(
            f"Watch (veille) of {sources}: `vigie watch`, or the page "
            f"http://{stack.answers['response_listen']}/watch?key={stack.answers['view_key']}"
        )
        try:
            with stack.providers_supervised(logging.getLogger("vigie.up").warning):
                run_until_signal(stack.settings(), SERVICES)
        finally:
            withdraw(settings.operations.home)


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
    try:
        run_until_signal(connected_settings(), {name: SERVICES[name] for name in names})
    except ConfigurationError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    key: Annotated[
        Path | None,
        typer.Option("--key", help="the operator's private key (default: VIGIE_SIGNING_KEY)"),
    ] = None,
    now: Annotated[
        bool, typer.Option("--now", help="Stamp the event as sent now (samples, drills).")
    ] = False,
    unchecked: Annotated[
        bool,
        typer.Option(
            "--unchecked", help="Publish even if local checks fail (to exercise dead-lettering)."
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Publish nothing: show who it would reach and each message exactly.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the --dry-run preview as JSON")] = False,
) -> None:
    """Sign and publish a crisis event (JSON or CAP 1.2 XML); prints its identifier."""
    if placeholders := unfilled(file.read_bytes()):
        console.print(f"[red]{file}: not published[/]: fill in {named(placeholders)}")
        raise typer.Exit(1)
    try:
        raw, event = check_event_file(file, restamp=now)
    except InvalidEvent as exc:
        if not unchecked or dry_run:
            console.print(f"[red]{file}: not published[/]: {exc}")
            raise typer.Exit(1) from None
        _to_kafka(publish_raw(connected_settings(), file.read_bytes(), file.name))
        print(file.name)
        return
    settings = connected_settings()
    if dry_run:
        from services.cli.preview import preview, shown_as_text

        shown = asyncio.run(preview(settings, event, trust_problem(event, key, settings)))
        if as_json:
            print(json.dumps(shown, indent=2, ensure_ascii=False))
        else:
            console.print(shown_as_text(shown))
        return
    key_file = key or settings.trust.signing_key
    if key_file is None:
        console.print(
            "[red]Not published[/]: events must be signed; pass --key FILE "
            "(from `vigie keys generate`) or set VIGIE_SIGNING_KEY."
        )
        raise typer.Exit(2)
    try:
        headers = sign_event(event, load_private(key_file))
    except KeyFileError as exc:
        console.print(f"[red]Not published[/]: {exc}")
        raise typer.Exit(2) from None
    _to_kafka(publish_raw(settings, raw, event.identifier, headers))
    print(event.identifier)


def _to_kafka(publishing: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(publishing)
    except PublishRefused as exc:
        console.print(f"[red]Not published[/]: {exc}")
        raise typer.Exit(1) from None


@app.command()
def draft(
    kind: Annotated[str, typer.Argument(help="earthquake, flood, cyclone, unrest, attack, ...")],
    cap: Annotated[bool, typer.Option("--cap", help="a CAP 1.2 document, not JSON")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="the file to write")] = None,
    templates: Annotated[
        Path, typer.Option("--templates", help="the crisis centre's own wording files")
    ] = TEMPLATES,
) -> None:
    """Write an event of a common kind, worded in advance in French and English, with
    placeholders ({{area}}, {{post_phone}}...) that `vigie publish` wants filled first."""
    try:
        event = draft_event(kind, templates)
    except DraftError as exc:
        console.print(f"[red]No draft[/]: {exc}")
        raise typer.Exit(2) from None
    text = (
        as_cap(event) if cap else (json.dumps(event, indent=2, ensure_ascii=False) + "\n").encode()
    )
    if out is None:
        print(text.decode(), end="")
        return
    out.write_bytes(text)
    console.print(f"{out}: fill in {named(unfilled(text))}")


@app.command()
def relay(
    external_id: Annotated[
        str, typer.Argument(help="the alert's identifier, as `vigie watch` shows it")
    ],
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="the wording to use (default: the one matching its event)"),
    ] = None,
    sender: Annotated[
        str | None, typer.Option("--sender", help="its sender, when two issuers share the id")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="the file to write")] = None,
    templates: Annotated[
        Path, typer.Option("--templates", help="the crisis centre's own wording files")
    ] = TEMPLATES,
) -> None:
    """Write a Vigie event from another issuer's alert on the watch list: our wording in
    French and English, its area, the posts' emergency numbers, the issuer's own text. It is
    not sent: preview it with `vigie publish --dry-run`, then publish it signed."""
    from services.watch.relaying import RelayError, relay_draft, watched_alert

    try:
        found = asyncio.run(watched_alert(connected_settings(), external_id, sender))
        if found.prepared is not None and kind is None and templates == TEMPLATES:
            # The draft its source's policy prepared, sent now.
            draft = found.prepared | {"sent": datetime.now(UTC).isoformat(timespec="seconds")}
        else:
            draft = relay_draft(found.alert, found.event, found.posts, kind, templates)
    except (RelayError, DraftError) as exc:
        console.print(f"[red]Not relayed[/]: {exc}")
        raise typer.Exit(1) from None
    alert, event = found.alert, found.event
    text = json.dumps(draft, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        print(text, end="")
        return
    out.write_text(text, encoding="utf-8")
    console.print(
        f"{out}: {alert.issuer}'s {event.event!r} for {alert.people} of our people; preview "
        f"with `vigie publish --dry-run {out}`, then `vigie publish {out}`."
    )


@app.command()
def approve(
    identifier: Annotated[str, typer.Argument(help="the held event, as `vigie status` shows it")],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key", help="the second operator's private key (default: VIGIE_APPROVING_KEY)"
        ),
    ] = None,
) -> None:
    """Approve an event held for a second operator (two-person rule): it is sent."""
    settings = connected_settings()
    key_file = key or settings.trust.approving_key
    if key_file is None:
        console.print("[red]Not approved[/]: pass --key FILE or set VIGIE_APPROVING_KEY.")
        raise typer.Exit(2)
    try:
        private = load_private(key_file)
    except KeyFileError as exc:
        console.print(f"[red]Not approved[/]: {exc}")
        raise typer.Exit(2) from None
    held = asyncio.run(held_event(settings, identifier))
    if held is None:
        console.print(f"[red]Nothing held under {identifier!r}[/] (see `vigie status CRISIS`).")
        raise typer.Exit(1)
    console.print(
        f"Approving {identifier} ({held.event.severity.value}: "
        f"{held.event.info[0].headline}), held because {held.reason}."
    )
    _to_kafka(
        publish_approval(settings, signed_approval(identifier, held.event.crisis_id, private))
    )
    print(identifier)


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
def demo(broker: BrokerOption = "tansu") -> None:
    """Run the embedded stack with a sample directory and crisis, show what happened, stop."""
    from services.demo.scenario import run_demo

    _logging(False)
    console.print("Starting the embedded stack (Kafka-protocol broker, Redis)...")
    with _started_stack(broker) as stack:
        run_demo(stack, console)


@deploy_app.command("manifests")
def deploy_manifests(
    env_file: Annotated[Path, typer.Option("--env", exists=True)] = Path("deploy/vigie.env"),
) -> None:
    """Print the Kubernetes manifests (replicas bounded by partitions) for deploy/k8s/."""
    from services.deploy.manifests import read_env_file, render

    print(render(read_env_file(env_file.read_text())), end="")


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


@topics_app.command("grant")
def topics_grant(
    user_prefix: Annotated[
        str, typer.Option("--user-prefix", help="each service signs in as PREFIX+service")
    ] = "vigie-",
) -> None:
    """On a Kafka with ACLs: let each service's user read, write and join only what it needs
    (the `vigie` CLI is PREFIX+operator). Run it as an admin user."""
    from services.deploy.bus_access import ACCESS, user_of
    from services.deploy.kafka_acls import AclError, grant

    try:
        count = asyncio.run(grant(connected_settings(), user_prefix))
    except AclError as exc:
        console.print(f"[red]Not granted[/]: {exc}")
        raise typer.Exit(1) from None
    users = ", ".join(user_of(principal, user_prefix) for principal in ACCESS)
    print(f"{count} ACLs granted to {users}")


@settings_app.command("doc")
def settings_doc() -> None:
    """Every VIGIE_* setting, its default and meaning, as docs/configuration.md's table."""
    print(Settings.documented(), end="")
