"""Logging for every process: text for a terminal, JSON lines in production, and contact
points masked in either, whatever logger (ours, apprise's, a library's) wrote them."""

import logging

from pythonjsonlogger.json import JsonFormatter

from services.common.masking import mask

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskedFormatter(logging.Formatter):
    """Masks the whole formatted line: message, arguments and traceback alike."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return mask(self.inner.format(record))


def configure_logging(level: int, json_lines: bool) -> None:
    handler = logging.StreamHandler()
    inner = (
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "asctime": "time"},
        )
        if json_lines
        else logging.Formatter(TEXT_FORMAT)
    )
    handler.setFormatter(MaskedFormatter(inner))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("faststream").setLevel(level)
