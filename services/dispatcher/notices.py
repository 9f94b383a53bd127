"""Notices: one person's own message (a leader asked to ack, a reservist asked to come),
sent once per (notice, person, channel) like any alert, with the same retries and limits."""

import asyncio
import json
import logging
import time

from schemas.alerts import Addressee, addressee_on
from schemas.crisis import Channel
from schemas.delivery import Outcome
from schemas.notices import Notice
from schemas.topics import NOTICES
from services.common.runtime import Runtime
from services.dispatcher.delivery import Deliverer
from services.dispatcher.ledger import Ledger
from services.dispatcher.rate_limit import RateLimiter
from services.texts.alerts import Message

log = logging.getLogger("vigie.dispatcher.notices")


def notice_counter_prefix(notice: Notice) -> str:
    return f"notice:{notice.kind.value}:"


class NoticeDispatcher:
    def __init__(
        self, rt: Runtime, deliverer: Deliverer, ledger: Ledger, limiter: RateLimiter
    ) -> None:
        self.rt = rt
        self.deliverer = deliverer
        self.ledger = ledger
        self.limiter = limiter

    async def handle(self, notice: Notice) -> None:
        channels = [c for c in notice.recipient.channels if c in notice.texts]
        await asyncio.gather(*(self._channel(notice, channel) for channel in channels))

    async def _channel(self, notice: Notice, channel: Channel) -> None:
        recipient = addressee_on(notice.recipient, channel)
        if recipient is None:
            return
        async for _ in self.ledger.take(
            notice.crisis_id, notice.notice_id, channel, [recipient["person_id"]]
        ):
            await self._send(notice, channel, recipient)

    async def _send(self, notice: Notice, channel: Channel, recipient: Addressee) -> None:
        await self.limiter.acquire(channel, 1, priority=True)  # sent by the priority lane
        text = notice.texts[channel]

        async def hold(recipients: list[Addressee], waiting: bool) -> bool:
            people = [r["person_id"] for r in recipients]
            await self.ledger.hold(notice.crisis_id, notice.notice_id, channel, people, waiting)
            return True  # a notice stands until sent (an escalation asks someone else)

        deadline = time.time() + self.rt.settings.delivery.delivery_deadline_s
        [attempt] = await self.deliverer.deliver(
            channel, [recipient], Message(text.title, text.body), notice.notice_id, deadline, hold
        )
        outcome = Outcome.SENT if attempt.sent else Outcome.FAILED
        await self.ledger.settle(
            notice.crisis_id,
            notice.notice_id,
            notice_counter_prefix(notice),
            channel,
            [(recipient, outcome)],
        )
        if not attempt.sent:
            reason = (
                f"{notice.kind.value} {channel.value} to {recipient['person_id']} failed after "
                f"{attempt.attempts} attempt(s): {attempt.error}"
            )
            payload = {"notice_id": notice.notice_id, "person_id": recipient["person_id"]}
            await self.rt.dead_letter("dispatcher", reason, json.dumps(payload).encode(), NOTICES)
