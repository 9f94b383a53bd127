"""Ending a process's asyncio work on SIGINT (Ctrl-C) and SIGTERM."""

import asyncio
import signal

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on either signal: for work that winds down in its own way."""
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)


def cancel_on_signals() -> None:
    """Cancel the calling task on either signal, whatever it is awaiting then (a Redis that
    does not answer included); its `finally` blocks still run."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None, "called outside a task"
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, task.cancel)
