"""The local SMTP server: records each message per recipient, and sends each recipient their
own copy of a message that carries recipient variables, as a batch-sending relay does."""

import logging
import re
from collections.abc import Callable
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from typing import Any, AnyStr

import uvloop
from aiosmtpd import smtp as aiosmtpd_smtp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session, syntax
from redis import Redis

from services.common import recipient_variables
from services.providers import outbox


class OffersPipelining:
    """An aiosmtpd handler part: aiosmtpd reads commands in turn from its stream, so it
    takes a pipelined envelope (RFC 2920) as it comes; saying so spares the client a round
    trip per recipient."""

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


class RecordingHandler(OffersPipelining):
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # The failure rules are read once a transaction, not once a recipient.
        envelope.rules = self.redis.hgetall(outbox.RULES)  # type: ignore[attr-defined]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        rules = getattr(envelope, "rules", {})
        failing = outbox.failing(self.redis, rules, [address])
        if failing and failing.permanent:
            return "550 5.1.1 mailbox unavailable (test rule)"
        if failing:
            return "451 4.3.0 provider failure (test rule)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.content
        # The classic parser: the modern one takes milliseconds over a batch's long header.
        message = message_from_bytes(content)
        text = _text(message)
        header = message.get(recipient_variables.HEADER)
        variables_json = recipient_variables.unfold(str(header)) if header else None
        variables = recipient_variables.parse(variables_json) if variables_json else None
        recipients = list(envelope.rcpt_tos)
        if variables is not None:
            # The batch's own "To" (the sender, for privacy) gets no copy of its own.
            recipients = [r for r in recipients if r in variables]
            if variables.keys() != set(recipients):
                variables_json = None  # it names others: only these addresses' are kept
        outbox.record(
            self.redis,
            "email",
            recipients,
            str(make_header(decode_header(message.get("Subject", "")))),
            text,
            str(message.get("Idempotency-Key", "")),
            variables,
            variables_json,
        )
        return "250 Message accepted for delivery"


def _text(message: Message) -> str:
    """The plain-text part (else the first text part), decoded."""
    parts = [p for p in message.walk() if p.get_content_maintype() == "text"]
    plain = [p for p in parts if p.get_content_subtype() == "plain"]
    for part in plain or parts:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload.decode(part.get_content_charset() or "utf-8", "replace").strip()
    return ""


_NOT_IN_ADDRESS = r"<>()\[\]\\,;:\s\"@"  # as a character class's content
_ADDRESS = rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}]+"
_PLAIN_ADDRESS = re.compile(rf"\s*<({_ADDRESS})>(.*)", re.S)
# How each recipient of a batch comes: "TO:<local@domain>", without parameters.
_PLAIN_RCPT = re.compile(rf"TO:\s*<({_ADDRESS})>", re.I)
# A recipient's whole command line as a batch sends it: ASCII, no parameters.
_ASCII_ADDRESS = rf"[^{_NOT_IN_ADDRESS}\x80-\xff]+@[^{_NOT_IN_ADDRESS}\x80-\xff]+"
_PLAIN_RCPT_LINE = re.compile(rf"RCPT TO:<({_ASCII_ADDRESS})>\r\n".encode(), re.I)


# How often at most the idle timer moves: aiosmtpd moves it at every command, a timer
# cancelled and made again per recipient; the timeout (minutes) stays within this of its own.
_TIMER_STEP_S = 1.0


class _Relay(SMTP):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[bytes] = []
        self._timer_moved_at = float("-inf")

    def _reset_timeout(self, duration: float | None = None) -> None:
        now = self.loop.time()
        if duration is None and now - self._timer_moved_at < _TIMER_STEP_S:
            return
        self._timer_moved_at = now
        super()._reset_timeout(duration)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        # aiosmtpd takes each recipient's command through a dozen checks and parsers, much
        # of the relay's time on a batch (docs/benchmarks.md). A plain recipient in a transaction
        # past EHLO and MAIL goes straight to the handler; anything else, errors included,
        # goes aiosmtpd's way.
        plain = _PLAIN_RCPT.fullmatch(arg) if arg else None
        session, envelope = self.session, self.envelope
        if (
            plain is None
            or session is None
            or not session.host_name
            or envelope is None
            or not envelope.mail_from
            or (self._auth_required and not session.authenticated)
            or self._too_long(plain.group(1))
        ):
            await super().smtp_RCPT(arg)
            return
        self._hold(await self._recipient(plain.group(1)))
        for address in await self._received_recipients():
            self._hold(await self._recipient(address))
        await self._flush()

    async def _recipient(self, address: str) -> str:
        """The reply to a plain recipient's command."""
        try:
            status = await self._call_handler_hook("RCPT", address, [])
        except Exception as error:
            status = await self.handle_exception(error)
        if status is MISSING:
            assert self.envelope is not None
            self.envelope.rcpt_tos.append(address)
            status = "250 OK"
        return str(status)

    async def _received_recipients(self) -> list[str]:
        """The addresses of the next recipients' commands of a pipelined envelope, those
        already received, taken in one pass: each command's trip through aiosmtpd's
        command loop (reading a line, a dozen checks, a coroutine or two) cost more than
        the recipient. It stops at the first line that is not a plain recipient's, which
        goes aiosmtpd's way."""
        if (
            self._enforce_call_limit
            or not self._tls_handshake_okay
            or (self.require_starttls and not self._tls_protocol)
        ):
            return []
        buffer = self._reader._buffer  # type: ignore[attr-defined]
        addresses: list[str] = []
        taken = 0
        while (line := _PLAIN_RCPT_LINE.match(buffer, taken)) is not None:
            address = line.group(1).decode("ascii")
            if line.end() - taken - 2 > self.command_size_limit or self._too_long(address):
                break
            addresses.append(address)
            taken = line.end()
        if taken:
            await self._reader.readexactly(taken)
        return addresses

    async def push(self, status: AnyStr) -> None:
        self._hold(status)
        await self._flush()

    def _hold(self, status: AnyStr) -> None:
        response = status.encode("utf-8") if isinstance(status, str) else status
        self._held.append(response + b"\r\n")

    async def _flush(self) -> None:
        # The replies to a pipelined envelope leave in one write once the commands already
        # received are answered: one write per reply (as aiosmtpd does) is a system call
        # per recipient (docs/benchmarks.md).
        if self._reader is not None and len(self._reader._buffer) > 0:  # type: ignore[attr-defined]
            return
        self._writer.write(b"".join(self._held))
        self._held.clear()
        await self._writer.drain()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd parses each address with the full RFC 5322 grammar, slow for thousands of
        # recipients (docs/benchmarks.md): here the sender's, and a recipient's that did not
        # take the short way in smtp_RCPT (one with parameters, say). A plain <local@domain>
        # is taken as it is, anything else goes to that parser.
        plain = _PLAIN_ADDRESS.fullmatch(arg)
        if plain is None or self._too_long(plain.group(1)):
            return super()._getaddr(arg)
        return plain.group(1), plain.group(2)

    def _too_long(self, address: str) -> bool:
        """Whether the local part is over the limit (aiosmtpd's parser then says so)."""
        return (
            bool(self.local_part_limit) and len(address.rpartition("@")[0]) > self.local_part_limit
        )


class _RelayController(Controller):
    def factory(self) -> SMTP:
        return _Relay(self.handler, **self.SMTP_kwargs)


_sanitized_log = aiosmtpd_smtp.sanitized_log


def _sanitized_log_if_read(func: Callable[..., None], msg: Any, *args: Any, **kwargs: Any) -> None:
    """aiosmtpd logs each command line at debug and info level through this, which looks for
    credentials to mask in the line before the logger decides whether to write it at all:
    twice a recipient. Its lines are debug or info: below info, nothing is written."""
    if aiosmtpd_smtp.log.isEnabledFor(logging.INFO):
        _sanitized_log(func, msg, *args, **kwargs)


def start_smtp(redis: Redis, port: int) -> Controller:
    vars(aiosmtpd_smtp)["sanitized_log"] = _sanitized_log_if_read
    controller = _RelayController(
        RecordingHandler(redis),
        # aiosmtpd handles each recipient's command with a few coroutines and a write, which
        # uvloop's loop turns over for less (docs/benchmarks.md).
        loop=uvloop.new_event_loop(),
        hostname="127.0.0.1",
        port=port,
        # Else aiosmtpd looks up the machine's full name for each connection's greeting.
        server_hostname="vigie-relay.localhost",
    )
    controller.start()
    return controller
