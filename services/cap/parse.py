"""Crisis events arrive as JSON (the model's own form) or as CAP 1.2 XML."""

from pydantic import ValidationError

from schemas.crisis import CrisisEvent
from services.cap.cap_xml import parse_cap_xml
from services.cap.errors import InvalidEvent
from services.common.validation import describe_validation_error

# Real issuers' documents reach 1-2 MiB (a country's outline); the crisis topics take
# messages of up to MAX_MESSAGE_BYTES so that a larger one reaches ingest and is refused
# with this reason rather than by the producer.
MAX_EVENT_BYTES = 2 * 1024 * 1024
BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def parse_event(raw: bytes) -> CrisisEvent:
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"event is {len(raw)} bytes, over the {MAX_EVENT_BYTES}-byte limit")
    raw = raw.removeprefix(BYTE_ORDER_MARK)
    if not raw.strip():
        raise InvalidEvent("event is empty")
    if raw.lstrip().startswith(b"<"):
        return parse_cap_xml(raw)
    try:
        return CrisisEvent.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc)) from exc
