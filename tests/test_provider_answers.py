"""What a provider answers decides what becomes of a delivery: a refusal of the recipients
fails them, anything else (down, slow, throttling, our credentials) is waited out."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from schemas.alerts import Addressee, addressee
from schemas.crisis import Channel
from services.common.config import Settings
from services.dispatcher.delivery import Deliverer
from services.dispatcher.sender import ProviderRefused, ProviderUnavailable, Sender
from services.embedded.processes import free_port
from services.texts.alerts import Message
from tests.helpers import serving_in_a_thread


class Provider(ThreadingHTTPServer):
    """An HTTP provider answering each request with the next status in `answers`."""

    answers: list[int]
    refused: str = "-"  # a number it refuses whenever a request names it
    requests: int = 0


class _Answer(BaseHTTPRequestHandler):
    server: Provider

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests += 1
        code = self.server.answers.pop(0) if self.server.answers else 200
        if self.server.refused.encode() in body:
            code = 400
        if code == 0:  # never answers within the sender's timeout
            time.sleep(2)
            code = 200
        self.send_response(code)
        if code == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _serving() -> Iterator[Provider]:
    server = Provider(("127.0.0.1", free_port()), _Answer)
    server.answers = []
    with serving_in_a_thread(server):
        yield server


@pytest.fixture
def provider() -> Iterator[Provider]:
    with _serving() as server:
        yield server


def _settings(port: int) -> Settings:
    return Settings(  # type: ignore[call-arg]
        sms_url=f"json://127.0.0.1:{port}/sms?:to={{to}}",
        provider_timeout_s=1.0,
        retry_base_s=0.05,
        retry_max_s=0.2,
        send_attempts=3,
        claim_lease_s=0.3,
    )


async def _send(port: int) -> None:
    await Sender(_settings(port)).send(Channel.SMS, ["+33612345678"], Message("A", "b"), "K")


@pytest.mark.parametrize("code", [400, 404, 422])
async def test_a_refusal_of_the_recipients_is_a_refusal(provider: Provider, code: int) -> None:
    provider.answers = [code]
    with pytest.raises(ProviderRefused):
        await _send(provider.server_address[1])


@pytest.mark.parametrize("code", [500, 502, 503, 429, 401, 403, 408])
async def test_an_answer_about_the_provider_or_our_account_is_unavailability(
    provider: Provider, code: int
) -> None:
    provider.answers = [code]
    with pytest.raises(ProviderUnavailable):
        await _send(provider.server_address[1])


async def test_no_answer_in_time_and_no_provider_at_all_are_unavailability(
    provider: Provider,
) -> None:
    provider.answers = [0]
    with pytest.raises(ProviderUnavailable, match="did not answer within"):
        await _send(provider.server_address[1])
    with pytest.raises(ProviderUnavailable):
        await _send(free_port())  # nothing listens there


async def _keep_waiting(recipients: list[Addressee], waiting: bool) -> bool:
    return True


def _people(n: int) -> list[Addressee]:
    return [addressee(f"P{i}", f"+3361234567{i}") for i in range(n)]


async def test_a_batch_waits_while_the_provider_cannot_take_it_then_goes_once(
    provider: Provider,
) -> None:
    provider.answers = [503, 503, 429, 500]
    held: list[bool] = []

    async def hold(recipients: list[Addressee], waiting: bool) -> bool:
        held.append(waiting)
        return True

    settings = _settings(provider.server_address[1])
    deliverer = Deliverer(Sender(settings), settings, failing := {})
    attempted = await deliverer.deliver(
        Channel.SMS, _people(3), Message("A", "b"), "K", time.time() + 60, hold
    )
    assert [a.sent for a in attempted] == [True] * 3
    assert provider.requests == 5  # the batch whole each time, never one by one
    assert held[0] is True and held[-1] is False
    assert failing == {}  # the provider takes messages again


async def test_a_provider_still_down_at_the_deadline_fails_the_batch_saying_why(
    provider: Provider,
) -> None:
    provider.answers = [503] * 100

    settings = _settings(provider.server_address[1])
    deliverer = Deliverer(Sender(settings), settings, failing := {})
    attempted = await deliverer.deliver(
        Channel.SMS, _people(2), Message("A", "b"), "K", time.time() + 1.0, _keep_waiting
    )
    assert [a.sent for a in attempted] == [False, False]
    assert all("until the delivery's deadline passed" in (a.error or "") for a in attempted)
    assert "sms" in failing


async def test_one_refused_number_fails_alone_after_its_attempts(provider: Provider) -> None:
    provider.refused = "+33612345671"  # P1's number
    settings = _settings(provider.server_address[1])

    attempted = await Deliverer(Sender(settings), settings).deliver(
        Channel.SMS, _people(2), Message("A", "b"), "K", time.time() + 60, _keep_waiting
    )
    outcomes = sorted((a.sent, a.attempts) for a in attempted)
    assert outcomes == [(False, 3), (True, 2)]


@pytest.fixture
def second_provider() -> Iterator[Provider]:
    with _serving() as server:
        yield server


def _two(first: Provider, second: Provider, **extra: object) -> Settings:
    return _settings(first.server_address[1]).changed(
        sms_urls=[SecretStr(f"json://127.0.0.1:{second.server_address[1]}/sms?:to={{to}}")],
        provider_failures_to_rest=2,
        provider_rest_s=60.0,
        **extra,
    )


async def test_providers_share_the_traffic_and_a_failing_one_is_set_aside(
    provider: Provider, second_provider: Provider
) -> None:
    sender = Sender(_two(provider, second_provider))
    for _ in range(4):
        await sender.send(Channel.SMS, ["+33612345678"], Message("A", "b"), "K")
    assert (provider.requests, second_provider.requests) == (2, 2)  # in turn
    provider.answers = [503] * 100
    for _ in range(6):  # each call that meets the failing one goes on to the other
        await sender.send(Channel.SMS, ["+33612345678"], Message("A", "b"), "K")
    # Two failures in a row, then it is set aside: the other takes everything.
    assert provider.requests == 2 + 2
    assert second_provider.requests == 2 + 6


async def test_every_provider_failing_is_waited_out_then_failed_and_reported(
    provider: Provider, second_provider: Provider
) -> None:
    provider.answers = second_provider.answers = [503] * 100
    settings = _two(provider, second_provider)

    attempted = await Deliverer(Sender(settings), settings).deliver(
        Channel.SMS, _people(2), Message("A", "b"), "K", time.time() + 1.0, _keep_waiting
    )
    assert [a.sent for a in attempted] == [False, False]
    assert all("deadline" in (a.error or "") for a in attempted)
    assert provider.requests >= 2 and second_provider.requests >= 2


async def test_a_message_withdrawn_while_its_provider_is_down_is_never_sent(
    provider: Provider,
) -> None:
    """The crisis was cancelled (or updated) while the batch waited: it is given up."""
    provider.answers = [503, 503]
    asked: list[bool] = []

    async def withdrawn_meanwhile(recipients: list[Addressee], waiting: bool) -> bool:
        asked.append(waiting)
        return not waiting

    settings = _settings(provider.server_address[1])
    attempted = await Deliverer(Sender(settings), settings).deliver(
        Channel.SMS, _people(2), Message("A", "b"), "K", time.time() + 60, withdrawn_meanwhile
    )
    assert [(a.sent, a.moot) for a in attempted] == [(False, True), (False, True)]
    assert provider.requests == 1  # not sent again once moot
    assert asked == [True, False]
