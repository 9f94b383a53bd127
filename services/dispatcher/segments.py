"""How many SMS segments a text takes: GSM-7 when every character has a septet, else UCS-2."""

import math

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def sms_segments(text: str) -> int:
    try:
        units = len(text.encode("gsm03.38"))  # an escaped character takes two septets
        single, part = GSM_SINGLE, GSM_PART
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-le")) // 2
        single, part = UCS2_SINGLE, UCS2_PART
    return 1 if units <= single else math.ceil(units / part)
