"""Contact points are never shown or logged in clear."""

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
_PHONE = re.compile(r"\+?\d[\d ]{6,}\d")
_TOKEN = re.compile(r"\b(push-[A-Za-z0-9_-]{2})[A-Za-z0-9_-]+")
# Real push tokens: APNs device tokens are 64 hex digits, FCM tokens 100+ characters.
# (With a digit somewhere, so that long hyphenated names, e.g. consumer groups, stay legible.)
_LONG_TOKEN = re.compile(r"\b(?=[A-Za-z_:-]*[0-9])([A-Za-z0-9]{4})[A-Za-z0-9_:-]{28,}")


def mask(text: str) -> str:
    """Phone numbers, email addresses and push tokens reduced to a recognisable stub."""
    text = _TOKEN.sub(r"\1****", text)
    text = _LONG_TOKEN.sub(r"\1****", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(lambda m: m.group(0)[:4] + "****" + m.group(0)[-2:], text)
