"""The text each channel carries, in the person's language, from template files."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from schemas.alerts import Addressee
from schemas.crisis import Channel, CrisisEvent, Status
from services.texts.segments import fit_sms

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_LANGUAGES = ("fr", "en")
MAX_PUSH_BODY = 240
# Where each person's own answer links go in an email rendered once for many people.
ANSWERS_MARKER = "\x00answers\x00"
REMINDER = "Reminder"  # the templates' kind of a reminder


@dataclass(frozen=True)
class Message:
    title: str
    body: str


@dataclass(frozen=True)
class Merged:
    """One message for a batch, each recipient's own values in place of its placeholders
    (recipient variables, merged by the provider)."""

    message: Message
    values: Callable[[Addressee], dict[str, str]]


@dataclass(frozen=True)
class PostInfo:
    name: str
    emergency_phone: str


UNKNOWN_POST = PostInfo("", "")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=False,
    )


def render(
    channel: Channel,
    event: CrisisEvent,
    language: str,
    post: PostInfo,
    correcting: CrisisEvent | None = None,
    reminder: bool = False,
) -> Message:
    """The message for one channel. A Cancel corrects `correcting`, the alert it withdraws;
    a `reminder` repeats an alert to someone who has not answered its safety check."""
    primary = language.split("-")[0]
    chrome = _chrome(language)
    text_event = correcting or event
    info = text_event.info_for(primary)
    mark, mark_line = status_mark(event.status, language)
    context = {
        "mark": mark,
        "mark_line": mark_line,
        "kind": REMINDER if reminder else event.msg_type.value,
        "headline": info.headline,
        "description": info.description,
        "instruction": info.instruction,
        "emergency_phone": post.emergency_phone,
        "post_name": post.name,
        "event_identifier": event.identifier,
        "answers": ANSWERS_MARKER if channel is Channel.EMAIL else "",
    }
    if channel is Channel.SMS:
        return Message("", _fit_sms(chrome, context))
    if channel is Channel.PUSH:
        body = _template(chrome, "push_body", context)
        return Message(_template(chrome, "push_title", context), shorten(body, MAX_PUSH_BODY))
    return Message(
        _template(chrome, "email_subject", context), _template(chrome, "email_body", context)
    )


def status_mark(status: Status, language: str) -> tuple[str, str]:
    """The first word of every message of a drill or a test, and the line that explains
    it; empty for a real alert."""
    if status is Status.ACTUAL:
        return "", ""
    chrome, context = _chrome(language), {"status": status.value}
    return _template(chrome, "mark", context), _template(chrome, "mark_line", context)


def answer_block(language: str, links: Mapping[str, str]) -> str:
    if not links:
        return ""
    return "\n" + _template(_chrome(language), "email_answers", {"links": links})


def template_language(language: str) -> str:
    """The language of the templates a person gets: theirs when there are some, else French."""
    primary = language.split("-")[0]
    return primary if primary in TEMPLATE_LANGUAGES else "fr"


_chrome = template_language


def _template(language: str, name: str, context: Mapping[str, object]) -> str:
    return _environment().get_template(f"{language}/{name}.j2").render(context).strip()


def template_block(language: str, name: str, block: str, context: Mapping[str, object]) -> str:
    """One block (`subject`, `sms`, `email`) of a template holding a message's parts."""
    template = _environment().get_template(f"{language}/{name}.j2")
    return "".join(template.blocks[block](template.new_context(dict(context)))).strip()


def _fit_sms(language: str, context: dict[str, str]) -> str:
    """Shorten the instruction, then the headline, until the SMS fits its segments; the
    emergency number is never cut."""
    return fit_sms(
        lambda values: _template(language, "sms", values), context, ("instruction", "headline")
    )


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."
