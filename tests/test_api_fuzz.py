"""Schemathesis against the response service's own OpenAPI document: requests generated
from it (valid and not) never get a 500, and none records an answer without a valid token."""

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr

from services.embedded.stack import EmbeddedStack
from tests.served_app import ServedApp, served_app

KEY = "gateway-key"


@pytest.fixture
def served(stack: EmbeddedStack) -> Iterator[ServedApp]:
    with served_app(
        stack.settings().changed(
            inbound_sms_key=SecretStr(KEY),
            response_secret=SecretStr("s" * 32),
            view_key=SecretStr("view-key"),
        )
    ) as app:
        yield app


def test_generated_requests_never_fail_the_response_service(served: ServedApp) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    failures: list[str] = []
    called: Counter[str] = Counter()

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy())
    def call(case: schemathesis.Case) -> None:
        # Half with the gateway's key, so that the webhook's own checks are reached too.
        if case.operation.path == "/sms/inbound" and hash(repr(case.body)) % 2:
            case.headers = {**(case.headers or {}), "X-Vigie-Key": KEY}
        response = case.call(base_url=served.url, timeout=10)
        called[f"{case.method} {case.operation.path}"] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.path}: {response.status_code}")

    call()
    operations = {f"{o.ok().method.upper()} {o.ok().path}" for o in schema.get_all_operations()}
    assert set(called) == operations, f"operations never called: {operations - set(called)}"
    assert not failures, failures[:10]
    assert served.recorded == [], "an answer was recorded without a valid token"
