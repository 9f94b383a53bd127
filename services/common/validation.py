"""Turn pydantic validation errors into one line a person can act on."""

from pydantic import ValidationError

MAX_ERRORS_SHOWN = 5


def describe_validation_error(error: ValidationError, prefix: str = "") -> str:
    parts = []
    for item in error.errors()[:MAX_ERRORS_SHOWN]:
        location = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{prefix}{location}: {message}" if location else f"{prefix}{message}")
    more = len(error.errors()) - MAX_ERRORS_SHOWN
    if more > 0:
        parts.append(f"and {more} more error(s)")
    return "; ".join(parts)
