"""How many SMS segments a text takes: GSM-7 when every character has a septet, else UCS-2."""

import math

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def sms_encoding(text: str) -> tuple[str, int]:
    """ "GSM-7" or "UCS-2", and how many characters of it the text takes."""
    try:
        return "GSM-7", len(text.encode("gsm03.38"))  # an escaped character takes two septets
    except UnicodeEncodeError:
        return "UCS-2", len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    encoding, units = sms_encoding(text)
    single, part = (GSM_SINGLE, GSM_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    return 1 if units <= single else math.ceil(units / part)
