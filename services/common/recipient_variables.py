"""Recipient variables: one email to many recipients, each copy with its own values.

This is the batch-sending convention of SMTP relays such as Mailgun's: the message carries
`%recipient.NAME%` placeholders and a header mapping each recipient's address to their
values; the relay sends each recipient their own copy, with only their values in it. The
local SMTP server does the same.
"""

import json
import re

from services.common.compact_json import string as _text

HEADER = "X-Mailgun-Recipient-Variables"
_PLACEHOLDER = re.compile(r"%recipient\.([A-Za-z0-9_]+)%")


def placeholder(name: str) -> str:
    return f"%recipient.{name}%"


# A mail line may not pass 998 characters; a header line is folded before this length.
LINE_LIMIT = 900


def encode(variables: dict[str, dict[str, str]]) -> str:
    """The header's value: compact JSON, folded between recipients before a line reaches
    LINE_LIMIT, as mail writers leave a long header on one line. Folding adds only a line
    break before a space, which unfolding takes away again. No space within a line: a
    space is a place where the writer tries to fold the header again, and its cost goes
    by the line, so lines hold as many recipients as fit (a fifth of apprise's email
    batch went into folding the header a recipient a line)."""
    lines: list[str] = []
    line: list[str] = []
    length = 0
    for address, values in variables.items():
        entry = (
            _text(address)
            + ":{"
            + ",".join(f"{_text(k)}:{_text(v)}" for k, v in values.items())
            + "}"
        )
        if line and length + len(entry) + 1 > LINE_LIMIT:
            lines.append(",".join(line))
            line, length = [], 0
        line.append(entry)
        length += len(entry) + 1
    if line:
        lines.append(",".join(line))
    return "{" + ",\r\n ".join(lines) + "}"


def decode(header: str) -> dict[str, dict[str, str]]:
    return parse(unfold(header))


def parse(unfolded: str) -> dict[str, dict[str, str]]:
    """The variables, from the header's value once unfolded."""
    parsed: dict[str, dict[str, str]] = json.loads(unfolded)
    return parsed


def unfold(header: str) -> str:
    """RFC 5322 unfolding: a line break (CRLF or LF) followed by a space or tab goes. Not a
    regular expression: a batch's header is some 100 KB, which `re` walks a character at a
    time for a pattern that does not start with a fixed character."""
    pieces = header.split("\n")
    for i in range(1, len(pieces)):
        if pieces[i][:1] in (" ", "\t"):
            if pieces[i - 1].endswith("\r"):
                pieces[i - 1] = pieces[i - 1][:-1]
        else:
            pieces[i] = "\n" + pieces[i]
    return "".join(pieces)


def merged(body: str, values: dict[str, str]) -> str:
    """The body one recipient gets; a placeholder with no value for them is left empty."""
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), ""), body)
