"""The demo's sample events, dated now: sent this minute, reservists wanted by tomorrow."""

import re
from datetime import UTC, datetime, timedelta


def freshen(raw: bytes, now: datetime | None = None) -> bytes:
    now = now or datetime.now(UTC)
    sent = now.isoformat(timespec="seconds")
    deadline = (now + timedelta(days=1)).isoformat(timespec="seconds")
    text = raw.decode()
    text = re.sub(r'"sent":\s*"[^"]*"', f'"sent": "{sent}"', text)
    text = re.sub(r'"deadline":\s*"[^"]*"', f'"deadline": "{deadline}"', text)
    text = re.sub(r"<sent>[^<]*</sent>", f"<sent>{sent}</sent>", text)
    text = re.sub(r"deadline=[^;<\s]+", f"deadline={deadline}", text)
    return text.encode()
