"""The local SMTP server: records each message per recipient."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from redis import Redis

from services.providers import outbox


class RecordingHandler:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if outbox.should_fail(self.redis, [address]):
            return "451 4.3.0 provider failure (test rule)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.content
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        outbox.record(
            self.redis,
            "email",
            list(envelope.rcpt_tos),
            str(message["subject"] or ""),
            text,
            str(message.get("Idempotency-Key", "")),
        )
        return "250 Message accepted for delivery"


def start_smtp(redis: Redis, port: int) -> Controller:
    controller = Controller(RecordingHandler(redis), hostname="127.0.0.1", port=port)
    controller.start()
    return controller
