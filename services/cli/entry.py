"""The `vigie` process: SIGINT (Ctrl-C) and SIGTERM end any command, while it is still
loading or once it runs, whatever the shell that started it ignored."""

import signal
import sys
from types import FrameType

# What a shell reports for a command ended by Ctrl-C.
INTERRUPTED = 130
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def main() -> None:
    received: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    # Loading takes seconds. A signal raised inside an import can be swallowed by a
    # library's `except`, and the command would then never end: it is remembered instead.
    # Setting the handlers also undoes a background shell's "ignore SIGINT".
    for sig in STOP_SIGNALS:
        signal.signal(sig, remember)
    from services.cli.main import app

    if received:
        sys.exit(INTERRUPTED)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _exit_interrupted)
    app()


def _exit_interrupted(signum: int, frame: FrameType | None) -> None:
    # Commands that run until stopped (`up`, `run`, `status --watch`) take both signals
    # in their event loop and stop cleanly; any other command ends here.
    raise SystemExit(INTERRUPTED)
