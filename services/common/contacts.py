"""Phone numbers and email addresses as the providers will take them, checked on import.

An address is checked by `email-validator` and a number by `phonenumbers`, and stored as
they give it back (a domain in lower case, a number in E.164), so what reaches the
provider is exactly what was checked. The common shapes take a short cut whose result the
libraries agree with (tests/test_contacts.py): each library call costs 50-100 µs, which
on a directory of millions is minutes of import (docs/benchmarks.md, "contact checks").
"""

import re
from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

# A dot-atom local part of plain ASCII and a lower-case domain of letters, digits and
# hyphens under an alphabetic top-level domain: addresses email-validator accepts as they are.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[a-z]{{2,63}}")
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def email_address(value: str) -> str:
    """The address as it will be sent to, or ValueError saying what is wrong with it."""
    if (
        len(value) <= 254
        and _PLAIN_EMAIL.fullmatch(value)
        and len(value.partition("@")[0]) <= 64
        and value.rpartition(".")[2] not in _SPECIAL_USE
        and "--" not in value.partition("@")[2]  # reserved for IDNA labels (xn--)
    ):
        return value
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not an email address: {error}") from None


def phone_number(value: str) -> str:
    """The number in E.164 (`+` and digits), or ValueError. It must be written in
    international form (`+33 6 12 34 56 78`): the directory serves every country."""
    if _E164.fullmatch(value):
        number = _from_e164(value)
        if (
            number is not None
            and phonenumbers.is_valid_number(number)
            and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
        ):
            return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number in international form (+...): {error}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a phone number in use in any country's numbering plan")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _from_e164(value: str) -> phonenumbers.PhoneNumber | None:
    """The number read straight from its digits: country codes are prefix-free, so one
    prefix of one to three digits is a country code. parse() costs four times more."""
    digits = value[1:]
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = digits[length:]
            if rest.startswith("0"):  # a national leading zero (Italy): left to parse()
                return None
            return phonenumbers.PhoneNumber(country_code=code, national_number=int(rest))
    return None


EmailAddress = Annotated[str, AfterValidator(email_address)]
PhoneNumber = Annotated[str, AfterValidator(phone_number)]
