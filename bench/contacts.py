"""Contact checks on import: the short cut against email-validator and phonenumbers.

    .venv/bin/python -m bench.contacts [--people 100000]

Checks the generated directory's numbers and addresses both ways and reports the cost of
each per person (what a million-national import pays for its checks).
"""

import argparse
import time
from collections.abc import Callable

import phonenumbers
from email_validator import validate_email

from services.common.contacts import email_address, phone_number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    people = parser.parse_args().people
    numbers = [f"+336{n:08d}" for n in range(people)]  # the generator's shapes
    addresses = [f"national.{n}@example.fr" for n in range(people)]
    timings = {
        "sms, short cut": _per_item(phone_number, numbers),
        "sms, phonenumbers.parse": _per_item(_library_number, numbers),
        "email, short cut": _per_item(email_address, addresses),
        "email, email-validator": _per_item(_library_address, addresses),
    }
    for name, micros in timings.items():
        print(f"{name:26} {micros:6.1f} µs a person")


def _library_number(value: str) -> str:
    number = phonenumbers.parse(value, None)
    assert phonenumbers.is_valid_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _library_address(value: str) -> str:
    return validate_email(value, check_deliverability=False).normalized


def _per_item(check: Callable[[str], str], values: list[str]) -> float:
    start = time.perf_counter()
    for value in values:
        check(value)
    return (time.perf_counter() - start) / len(values) * 1e6


if __name__ == "__main__":
    main()
