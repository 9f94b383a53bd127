"""How many SMS segments a text takes: GSM-7 when every character has a septet, else UCS-2."""

import math
from collections.abc import Callable, Mapping, Sequence

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

MAX_SMS_SEGMENTS = 2  # every SMS people receive, alert or notice
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


def fit_sms(
    render: Callable[[Mapping[str, object]], str],
    values: Mapping[str, object],
    shortened: Sequence[str],
) -> str:
    """The text `render` makes of `values`, with the fields named in `shortened` cut word by
    word, the first before the next, until it fits MAX_SMS_SEGMENTS; whatever is not named
    (an emergency number, a reply keyword) is never cut."""
    fitted = dict(values)
    text = render(fitted)
    for field in shortened:
        while sms_segments(text) > MAX_SMS_SEGMENTS and isinstance(fitted.get(field), str):
            words = str(fitted[field]).removesuffix("...").split()
            if not words:
                break
            kept = " ".join(words[:-1]).rstrip(".,;:!?")
            fitted[field] = kept + "..." if kept else ""
            text = render(fitted)
    return text
