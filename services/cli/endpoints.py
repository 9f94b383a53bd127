"""Which Kafka and Redis a command talks to: configured ones, else a running `vigie up`."""

import typer

from services.common.config import Settings
from services.embedded.stack import announced


def connected_settings() -> Settings:
    settings = Settings()
    if settings.is_configured:
        return settings
    state = announced(settings.operations.home)
    if state is None:
        typer.secho(
            "No Vigie stack found: run `vigie up` in another terminal, or set "
            "VIGIE_KAFKA_BOOTSTRAP and VIGIE_REDIS_URL for production parts.",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    # What the environment sets wins over what the running stack announced.
    found = {k: v for k, v in state.items() if k in Settings.public_names()}
    return settings.changed(**{**found, **settings.public(exclude_unset=True)})
