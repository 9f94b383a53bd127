"""Turn a notice's kind, language and facts into its text on each channel, from the
template files `templates/<language>/notices/<kind>.j2` (a subject, an SMS and an email
block each)."""

from collections.abc import Mapping

from schemas.alerts import Recipient
from schemas.crisis import Channel, Status
from schemas.notices import Notice, NoticeKind, Text
from services.texts.alerts import (
    MAX_PUSH_BODY,
    shorten,
    status_mark,
    template_block,
    template_language,
)
from services.texts.segments import fit_sms

Facts = Mapping[str, object]


def texts(
    kind: NoticeKind,
    language: str,
    facts: Facts,
    links: Mapping[str, str],
    status: Status = Status.ACTUAL,
) -> dict[Channel, Text]:
    lang = template_language(language)
    name = f"notices/{kind.value}"
    # "deputy": whether a deputy is asked in the leader's place (leaders' notices only).
    context = {"deputy": False, **facts}
    subject = template_block(lang, name, "subject", context)
    email = template_block(lang, name, "email", context)
    mark, mark_line = status_mark(status, lang)
    # A drill's or a test's notices say so in their first words.
    first = f"{mark} - " if mark else ""
    sms = fit_sms(
        lambda values: first + template_block(lang, name, "sms", values),
        context,
        ("instruction", "headline"),
    )
    if mark:
        subject = f"{first}{subject}"
        email = f"{first}{mark_line}\n\n{email}"
    link_lines = template_block(lang, "notices/links", "links", {"links": links}) if links else ""
    email_body = f"{email}\n\n{link_lines}" if link_lines else email
    first_link = next(iter(links.values()), "")
    push_body = shorten(sms.replace("VIGIE ", "", 1), MAX_PUSH_BODY - len(first_link) - 1)
    return {
        Channel.SMS: Text(title="", body=sms),
        Channel.EMAIL: Text(title=subject, body=email_body),
        Channel.PUSH: Text(title=subject, body=f"{push_body} {first_link}".strip()),
    }


def notice(
    notice_id: str,
    crisis_id: str,
    kind: NoticeKind,
    recipient: Recipient,
    facts: Facts,
    links: Mapping[str, str] | None = None,
    status: Status = Status.ACTUAL,
) -> Notice:
    """`status`: the crisis's CAP status, so that a drill's notices are marked as one."""
    return Notice(
        notice_id=notice_id,
        crisis_id=crisis_id,
        kind=kind,
        recipient=recipient,
        texts=texts(kind, recipient.language, facts, links or {}, status),
    )
