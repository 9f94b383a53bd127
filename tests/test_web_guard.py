"""The response service's web side under hostile requests: the webhook's key is checked
before its body is read, bodies are bounded in size and in time, errors never echo the
input, and every page carries the security headers."""

import asyncio
import contextlib
import json
from collections.abc import Iterator, Sequence

import httpx
import pytest
from pydantic import SecretStr

from services.embedded.stack import EmbeddedStack
from tests.served_app import ServedApp, served_app

KEY = "gateway-key"
BODY_TIMEOUT_S = 2.0


async def _raw(
    served: ServedApp, head: bytes, body_parts: Sequence[bytes] = (), pause_s: float = 0
) -> bytes:
    """Send a request by hand (a body trickled in parts), and read the answer, which may
    come, and the connection close, before the body is all sent."""
    reader, writer = await asyncio.open_connection(served.host, served.port)

    async def write() -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(head)
            await writer.drain()
            for part in body_parts:
                await asyncio.sleep(pause_s)
                writer.write(part)
                await writer.drain()

    sending = asyncio.create_task(write())
    answer = b""
    try:
        async with asyncio.timeout(15):
            while chunk := await reader.read(65_536):
                answer += chunk
    except ConnectionError:
        pass  # closed on us while we were still sending: what came before stands
    finally:
        sending.cancel()
        writer.close()
    return answer


@pytest.fixture
def served(stack: EmbeddedStack) -> Iterator[ServedApp]:
    settings = stack.settings().changed(
        inbound_sms_key=SecretStr(KEY),
        response_secret=SecretStr("s" * 32),
        http_body_timeout_s=BODY_TIMEOUT_S,
    )
    with served_app(settings) as app:
        yield app


def _head(length: int, key: str | None = None, path: str = "/sms/inbound") -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: vigie",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        "Connection: close",
    ]
    if key is not None:
        lines.append(f"X-Vigie-Key: {key}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_a_webhook_call_without_the_key_is_refused_before_its_body_is_read(
    served: ServedApp,
) -> None:
    # Headers only: the body never comes, yet the refusal does, at once.
    answer = await _raw(served, _head(900))
    assert _status(answer) == 403
    assert b"X-Vigie-Key" in answer


async def test_an_oversized_body_is_refused_unread_and_not_echoed(served: ServedApp) -> None:
    huge = json.dumps({"from": "+33600000001", "text": "A" * 5_000_000}).encode()
    async with httpx.AsyncClient() as client:
        for key in (None, KEY):
            headers = {"X-Vigie-Key": key} if key else {}
            answer = await client.post(f"{served.url}/sms/inbound", content=huge, headers=headers)
            assert answer.status_code == 413, answer.text
            assert len(answer.content) < 1_000 and "AAAA" not in answer.text


async def test_a_body_trickled_in_is_cut_off_at_its_deadline(served: ServedApp) -> None:
    body = json.dumps({"from": "+33600000001", "text": "OK"}).encode()
    started = asyncio.get_running_loop().time()
    answer = await _raw(served, _head(len(body), KEY), [bytes([b]) for b in body], pause_s=0.5)
    took = asyncio.get_running_loop().time() - started
    assert _status(answer) == 408
    assert took < BODY_TIMEOUT_S + 3, f"the connection was held {took:.1f} s"


async def test_a_malformed_reply_is_refused_naming_fields_never_repeating_them(
    served: ServedApp,
) -> None:
    secret = "ma-carte-bancaire-4970"
    async with httpx.AsyncClient() as client:
        for body in (
            json.dumps({"from": "+33600000001", "text": secret * 100}),  # too long
            json.dumps({"from": secret, "text": 12}),
            "{not json " + secret,
        ):
            answer = await client.post(
                f"{served.url}/sms/inbound", content=body, headers={"X-Vigie-Key": KEY}
            )
            assert answer.status_code == 422, answer.text
            assert secret not in answer.text


async def test_answer_pages_carry_security_headers_and_refuse_framing(served: ServedApp) -> None:
    async with httpx.AsyncClient() as client:
        for answer in (
            await client.get(f"{served.url}/a/forged-token"),
            await client.post(f"{served.url}/a/forged-token", data={"answer": "safe"}),
            await client.post(f"{served.url}/a/forged-token", data={"nothing": "x"}),
        ):
            assert answer.status_code in (403, 422), answer.text
            policy = answer.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "no-referrer"
            assert answer.headers["x-frame-options"] == "DENY"
