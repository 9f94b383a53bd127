"""Turn a notice's kind, language and facts into its text on each channel."""

from collections.abc import Mapping

from schemas.alerts import Recipient
from schemas.crisis import Channel, Status
from schemas.notices import Notice, NoticeKind, Text
from services.texts.alerts import MAX_PUSH_BODY, shorten, status_mark
from services.texts.notice_catalog import CATALOGS, LINK_LABELS, ROLE_WORDS
from services.texts.segments import fit_sms

Facts = Mapping[str, object]


def texts(
    kind: NoticeKind,
    language: str,
    facts: Facts,
    links: Mapping[str, str],
    status: Status = Status.ACTUAL,
) -> dict[Channel, Text]:
    lang = language.split("-")[0] if language.split("-")[0] in CATALOGS else "fr"
    if "deputy" in facts:
        facts = {**facts, **ROLE_WORDS[lang][bool(facts["deputy"])]}
    subject_text, sms_text, email_text = CATALOGS[lang][kind]
    subject, email = subject_text.format_map(facts), email_text.format_map(facts)
    mark, mark_line = status_mark(status, lang)
    # A drill's or a test's notices say so in their first words.
    first = f"{mark} - " if mark else ""
    sms = fit_sms(
        lambda values: first + sms_text.format_map(values), facts, ("instruction", "headline")
    )
    if mark:
        subject = f"{first}{subject}"
        email = f"{first}{mark_line}\n\n{email}"
    labels = LINK_LABELS[lang]
    link_lines = "\n".join(
        f"- {labels.get(answer, answer)} : {url}" for answer, url in links.items()
    )
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
