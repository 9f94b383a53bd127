"""Contact points are checked by email-validator and phonenumbers; the short cut the
import takes for common shapes never accepts what they refuse, nor stores it otherwise."""

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.contacts import _PLAIN_EMAIL, email_address, phone_number


@given(st.from_regex(_PLAIN_EMAIL, fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_an_address_the_short_cut_accepts_is_one_email_validator_accepts_unchanged(
    address: str,
) -> None:
    try:
        library = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        with pytest.raises(ValueError):
            email_address(address)
        return
    assert email_address(address) == library == address


@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_a_number_the_short_cut_accepts_is_one_phonenumbers_accepts_unchanged(
    number: str,
) -> None:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert phone_number(number) == e164
    else:
        with pytest.raises(ValueError):
            phone_number(number)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+212 5 24 38 82 00", "+212524388200"),
        ("+39 06 1234 5678", "+390612345678"),  # Italy keeps its leading zero
        ("+1 (202) 555-0143", "+12025550143"),
    ],
)
def test_a_number_written_with_spaces_is_stored_in_e164(written: str, stored: str) -> None:
    assert phone_number(written) == stored


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("a,b@example.fr", "','"),
        ("a\x01b@example.fr", "U+0001"),
        ("a b@example.fr", "SPACE"),
        ("jean@vigie.test", "special-use"),
        ("jean@", "after the @"),
    ],
)
def test_an_address_a_provider_would_misread_is_refused_with_its_reason(
    written: str, why: str
) -> None:
    with pytest.raises(ValueError, match="not an email address") as refused:
        email_address(written)
    assert why in str(refused.value)


def test_a_domain_in_capitals_is_stored_as_providers_compare_it() -> None:
    assert email_address("Jean.Dupont@Example.FR") == "Jean.Dupont@example.fr"
    assert email_address("élodie@exemple.fr") == "élodie@exemple.fr"


@pytest.mark.parametrize("written", ["0612345678", "+33700000001", "+999123456789", "+33 6"])
def test_a_number_no_country_uses_is_refused(written: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        phone_number(written)
