"""Crisis events arrive as JSON (the model's own form) or as CAP 1.2 XML."""

from pydantic import ValidationError

from schemas.crisis import CrisisEvent
from services.common.validation import describe_validation_error
from services.ingest.cap_xml import parse_cap_xml
from services.ingest.errors import InvalidEvent

# Under the bus's default 1 MiB message limit, so that an oversized event reaches ingest and
# is refused with this reason rather than by the producer.
MAX_EVENT_BYTES = 512 * 1024


def parse_event(raw: bytes) -> CrisisEvent:
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"event is {len(raw)} bytes, over the {MAX_EVENT_BYTES}-byte limit")
    if not raw.strip():
        raise InvalidEvent("event is empty")
    if raw.lstrip().startswith(b"<"):
        return parse_cap_xml(raw)
    try:
        return CrisisEvent.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc)) from exc
