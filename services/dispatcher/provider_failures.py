"""Why a provider did not take a message: it was unavailable (wait, then send again), or it
refused these recipients (their number or address is wrong: a retry cannot help).

apprise returns one boolean; the why is in what its plugins log (an HTTP plugin's
`error=503`, the SMTP plugin's refused recipients) and in the SMTP replies our connection
reads. Both are noted per thread, as each send runs on a thread of its own. Anything not
known to be about the recipients counts as the provider being unavailable: a deliveries'
wait is seen and can be ended, a failure cannot be undone.
"""

import logging
import re
import threading

# Answers that say the request was wrong for these recipients. Other 4xx are about us or
# the provider (401, 403: credentials; 407: a proxy; 408: slow; 429: too many requests).
_NOT_ABOUT_RECIPIENTS = {401, 403, 407, 408, 429}
_HTTP_CODE = re.compile(r"error=(\d{3})\b")
_SMTP_REFUSED = re.compile(r"was refused: (\d{3})\b")

_noted = threading.local()


def begin() -> None:
    """Forget what this thread noted: a send starts."""
    _noted.codes = []


def note_smtp(code: int) -> None:
    """An SMTP reply that refused a recipient, the transaction or the message."""
    _codes().append(("smtp", code))


def recipients_refused() -> bool:
    """Whether the provider, this thread's send, refused the recipients themselves."""
    codes = _codes()
    if not codes:
        return False
    return all(
        code >= 500 if kind == "smtp" else 400 <= code < 500 and code not in _NOT_ABOUT_RECIPIENTS
        for kind, code in codes
    )


def throttled() -> bool:
    """Whether the provider said it gets too many requests (HTTP 429)."""
    return ("http", 429) in _codes()


def _codes() -> list[tuple[str, int]]:
    codes: list[tuple[str, int]] | None = getattr(_noted, "codes", None)
    if codes is None:
        codes = _noted.codes = []
    return codes


class _PluginWarnings(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if found := _HTTP_CODE.search(text):
            _codes().append(("http", int(found.group(1))))
        elif found := _SMTP_REFUSED.search(text):
            _codes().append(("smtp", int(found.group(1))))


_handler = _PluginWarnings(logging.WARNING)


def listen() -> None:
    """Read apprise's warnings from now on (idempotent), even where logs are quieter."""
    logger = logging.getLogger("apprise")
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
