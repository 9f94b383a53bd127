"""`vigie keys`: operators' signing keys and the keyring ingest trusts."""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.common.config import Settings
from services.trust.keys import KeyFileError, Keyring, generate

keys_app = typer.Typer(
    help="Operators' signing keys and the trusted keyring.", no_args_is_help=True
)
console = Console()

KeyringOption = Annotated[
    Path | None,
    typer.Option("--keyring", help="the keyring file (default: VIGIE_TRUSTED_KEYS)"),
]


def _keyring(path: Path | None) -> Keyring:
    path = path or Settings().trust.trusted_keys
    if path is None:
        console.print("[red]No keyring[/]: pass --keyring FILE or set VIGIE_TRUSTED_KEYS.")
        raise typer.Exit(2)
    return Keyring(path)


@keys_app.command("generate")
def keys_generate(
    operator: Annotated[str, typer.Argument(help="who holds the key, e.g. duty-officer-1")],
    directory: Annotated[Path, typer.Option("--dir")] = Path("."),
) -> None:
    """Make a key pair: OPERATOR.key stays with the operator, OPERATOR.pub goes to the keyring."""
    private, public, key_id = generate(directory, operator)
    console.print(f"key {key_id}: private {private} (keep it secret), public {public}")


@keys_app.command("trust")
def keys_trust(pub_file: Path, keyring: KeyringOption = None) -> None:
    """Trust an operator's public key (OPERATOR.pub) for events and approvals."""
    with _refusals():
        console.print(f"trusted key {_keyring(keyring).trust(pub_file)}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, keyring: KeyringOption = None) -> None:
    """Revoke a key: ingest refuses what it signs from the next event on."""
    with _refusals():
        console.print(f"revoked key {key_id} of {_keyring(keyring).revoke(key_id)}")


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A keyring or key file that cannot be used: say why, exit 1."""
    try:
        yield
    except KeyFileError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None


@keys_app.command("list")
def keys_list(keyring: KeyringOption = None) -> None:
    """The keys in the keyring and whether each is revoked."""
    table = Table("key", "operator", "state")
    with _refusals():
        keys = _keyring(keyring).load().values()
    for key in keys:
        table.add_row(key.key_id, key.operator, "[red]revoked[/]" if key.revoked else "trusted")
    console.print(table)
