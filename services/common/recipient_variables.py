"""Recipient variables: one email to many recipients, each copy with its own values.

This is the batch-sending convention of SMTP relays such as Mailgun's: the message carries
`%recipient.NAME%` placeholders and a header mapping each recipient's address to their
values; the relay sends each recipient their own copy, with only their values in it. The
local SMTP server does the same.
"""

import json
import re

HEADER = "X-Mailgun-Recipient-Variables"
_PLACEHOLDER = re.compile(r"%recipient\.([A-Za-z0-9_]+)%")


def placeholder(name: str) -> str:
    return f"%recipient.{name}%"


def encode(variables: dict[str, dict[str, str]]) -> str:
    """The header's value, folded a recipient a line: a mail line may not pass 998
    characters, and mail writers leave a long header on one line. Folding adds only a
    line break before a space, which unfolding takes away again. Compact otherwise: each
    space is a place where the writer tries to fold the header again, which made
    apprise's copy of a batch's header take twice as long."""
    entries = (
        f"{json.dumps(address)}:{json.dumps(values, separators=(',', ':'))}"
        for address, values in variables.items()
    )
    return "{" + ",\r\n ".join(entries) + "}"


def decode(header: str) -> dict[str, dict[str, str]]:
    decoded: dict[str, dict[str, str]] = json.loads(re.sub(r"\r?\n(?=[ \t])", "", header))
    return decoded


def merged(body: str, values: dict[str, str]) -> str:
    """The body one recipient gets; a placeholder with no value for them is left empty."""
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), ""), body)
