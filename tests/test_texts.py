"""Every SMS people receive fits two segments, notices as alerts: what gives way is the
headline and the instruction, never the emergency number or the reply keyword."""

from schemas.crisis import Channel, Status
from schemas.notices import NoticeKind
from services.texts.notices import texts
from services.texts.segments import MAX_SMS_SEGMENTS, sms_segments

LONG = " ".join(["Seisme majeur ressenti dans toute la region, repliques attendues"] * 6)


def leader_alert(status: Status = Status.ACTUAL, deputy: bool = False) -> dict[Channel, str]:
    facts = {
        "island": "Gueliz",
        "headline": LONG,
        "instruction": LONG,
        "post_name": "Consulat de Marrakech",
        "emergency_phone": "+212524388200",
        "deputy": deputy,
    }
    made = texts(NoticeKind.LEADER_ALERT, "fr", facts, {}, status)
    return {channel: text.body for channel, text in made.items()}


def test_a_leaders_alert_with_a_long_headline_fits_two_sms_keeping_what_matters() -> None:
    sms = leader_alert()[Channel.SMS]
    assert sms_segments(sms) <= MAX_SMS_SEGMENTS
    assert "+212524388200" in sms and "Repondez OUI" in sms
    assert "..." in sms  # the headline gave way
    assert LONG in leader_alert()[Channel.EMAIL]  # an email has room for all of it


def test_a_drills_notice_still_says_so_first_and_a_deputy_is_named_as_one() -> None:
    sms = leader_alert(Status.EXERCISE, deputy=True)[Channel.SMS]
    assert sms_segments(sms) <= MAX_SMS_SEGMENTS
    assert sms.startswith("EXERCICE")
    assert "(suppleant)" in sms
    email = leader_alert(deputy=True)[Channel.EMAIL]
    assert "Vous êtes suppléant du chef" in email
