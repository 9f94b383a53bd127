"""The dispatcher consumer groups: fan-out jobs -> providers, once per person and channel.

Two lanes: Extreme/Immediate jobs have their own topic and consumer group, so routine
traffic queued on the other topic cannot delay them.
"""

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from schemas.alerts import Addressee, AlertJob
from schemas.crisis import Channel, CrisisEvent, MsgType
from schemas.delivery import DeliveryReport, Outcome
from schemas.notices import Notice
from schemas.responses import ANSWERS_BY_ROLE, Role
from schemas.topics import ALERT_JOBS, ALERT_JOBS_PRIORITY, DELIVERY_REPORTS, NOTICES, Topic
from services.common.answer_links import AnswerLinks
from services.common.config import ConfigurationError
from services.common.recipient_variables import placeholder
from services.common.runtime import Runtime
from services.dispatcher.delivery import Attempted, Deliverer, Personal
from services.dispatcher.fallback import OtherChannels
from services.dispatcher.ledger import Ledger, Settled
from services.dispatcher.notices import NoticeDispatcher
from services.dispatcher.posts import PostBook
from services.dispatcher.rate_limit import RateLimiter
from services.dispatcher.sender import Sender
from services.state import calllist, crises, keys
from services.texts.alerts import ANSWERS_MARKER, Merged, Message, answer_block, render

log = logging.getLogger("vigie.dispatcher")
TOKEN = "token"  # the recipient variable that carries a person's answer token
# How a delivery went (outcome, attempts, post, error), and whose it was: the report groups
# the people whose deliveries went the same way.
How = tuple[Outcome, int, str | None, str | None]
OutcomeRow = tuple[How, str]


class Dispatcher:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        settings = rt.settings
        self.sender = Sender(settings)
        self.limiter = RateLimiter(rt.redis, settings.providers.rate_limits)
        self.deliverer = Deliverer(self.sender, settings, rt.failing_providers, self.limiter.pause)
        self.links = AnswerLinks(settings)
        self.ledger = Ledger(
            rt.redis, settings.delivery.claim_lease_s, settings.redis.claim_replicas
        )
        self.posts = PostBook(rt.redis)
        self.events: dict[tuple[str, str], CrisisEvent] = {}

    async def handle(self, job: AlertJob) -> None:
        event = await self._event(job.crisis_id, job.event_identifier)
        if event.is_record_only:  # the resolver makes no job of these: never send one
            log.error("job %s of %s event %s not sent", job.job_id, event.status, event.identifier)
            return
        withdrawn = None
        if job.msg_type is MsgType.CANCEL:
            withdrawn = await crises.latest_alert(self.rt.redis, job.crisis_id)
        await self._channel(job, event, withdrawn)

    async def _event(self, crisis_id: str, identifier: str) -> CrisisEvent:
        cached = self.events.get((crisis_id, identifier))
        if cached is None:
            cached = await crises.event(self.rt.redis, crisis_id, identifier)
            if cached is None:  # the resolver stores it before any job: a real fault
                raise LookupError(f"event {identifier} of crisis {crisis_id} is not stored")
            self.events[(crisis_id, identifier)] = cached
        return cached

    async def _channel(
        self, job: AlertJob, event: CrisisEvent, withdrawn: CrisisEvent | None
    ) -> None:
        channel = job.channel
        people = {r["person_id"]: r for r in job.recipients}
        async for mine in self.ledger.take(job.crisis_id, job.delivery_id, channel, list(people)):
            await self._claimed(job, event, withdrawn, channel, [people[p] for p in mine])

    async def _claimed(
        self,
        job: AlertJob,
        event: CrisisEvent,
        withdrawn: CrisisEvent | None,
        channel: Channel,
        todo: list[Addressee],
    ) -> None:
        outcomes: list[OutcomeRow] = []
        if job.msg_type is MsgType.CANCEL:
            reached = await self.ledger.alerted(
                job.crisis_id, channel, [r["person_id"] for r in todo]
            )
            never = [r for r, was in zip(todo, reached, strict=True) if not was]
            outcomes += (
                await self._settle(job, event, channel, [(r, Outcome.NOT_NEEDED) for r in never])
            )[0]
            todo = [r for r, was in zip(todo, reached, strict=True) if was]
        posts = await self.posts.current()
        # People whose language and post give the same text share batches.
        rendered: dict[tuple[str, str | None], Message] = {}
        groups: dict[Message, list[Addressee]] = defaultdict(list)
        for recipient in todo:
            key = (recipient["language"], recipient["post_id"])
            if key not in rendered:
                post = PostBook.info(posts, recipient["post_id"])
                rendered[key] = render(
                    channel, event, recipient["language"], post, withdrawn, job.reminder
                )
            groups[rendered[key]].append(recipient)
        size = self.rt.settings.providers.batch_sizes.get(channel, 100)
        size = min(size, self.limiter.most_at_once(channel) or size)  # never over the rate
        batches = [
            (
                self._personal(job, channel, group[0]["language"], message),
                group[start : start + size],
            )
            for message, group in groups.items()
            for start in range(0, len(group), size)
        ]
        lanes = asyncio.Semaphore(self.rt.settings.providers.send_concurrency.get(channel, 1))

        async def one(
            message: Message | Merged | Personal, batch: list[Addressee]
        ) -> list[OutcomeRow]:
            async with lanes:
                if job.msg_type is not MsgType.CANCEL and await crises.is_superseded(
                    self.rt.redis, job.crisis_id, event.identifier
                ):
                    skipped, _ = await self._settle(
                        job, event, channel, [(r, Outcome.SKIPPED) for r in batch]
                    )
                    return skipped
                return await self._send(job, event, channel, batch, message)

        for done in await asyncio.gather(*(one(m, b) for m, b in batches)):
            outcomes += done
        await self._report(job, event, channel, outcomes)

    async def _send(
        self,
        job: AlertJob,
        event: CrisisEvent,
        channel: Channel,
        batch: list[Addressee],
        message: Message | Merged | Personal,
    ) -> list[OutcomeRow]:
        await self.limiter.acquire(channel, len(batch), priority=job.priority)

        async def hold(recipients: list[Addressee], waiting: bool) -> bool:
            people = [r["person_id"] for r in recipients]
            await self.ledger.hold(job.crisis_id, job.delivery_id, channel, people, waiting)
            # An alert withdrawn or updated while its provider was down is no longer sent.
            return (
                not waiting
                or job.msg_type is MsgType.CANCEL
                or not await crises.is_superseded(self.rt.redis, job.crisis_id, event.identifier)
            )

        # A delivery waits for its provider as long from the fan-out, whichever dispatcher
        # takes the job up again.
        deadline = job.created_at.timestamp() + self.rt.settings.delivery.delivery_deadline_s
        attempted = await self.deliverer.deliver(
            channel, batch, message, job.delivery_id, deadline, hold
        )
        outcomes, cancelled = await self._settle(
            job,
            event,
            channel,
            [(a.recipient, _outcome(a)) for a in attempted],
            {a.recipient["person_id"]: a for a in attempted},
        )
        sent = [a.recipient for a in attempted if a.sent]
        if sent and job.msg_type is not MsgType.CANCEL and cancelled:
            # The Cancel may have checked who was alerted before this batch was settled:
            # correct these people here; the ledger keeps it to one correction each.
            await self._correct_now(job, event, sent)
        return outcomes

    def _personal(
        self, job: AlertJob, channel: Channel, language: str, message: Message
    ) -> Message | Merged | Personal:
        """Emails carry each person's own "I'm safe" / "I need help" links: merged by the
        provider when it takes recipient variables, else one email per person."""
        if ANSWERS_MARKER not in message.body:
            return message
        if not self.links.enabled:
            return Message(message.title, message.body.replace(ANSWERS_MARKER, ""))
        answers = ANSWERS_BY_ROLE[Role.NATIONAL]

        def token(recipient: Addressee) -> str:
            return self.links.token_for(
                job.crisis_id,
                recipient["person_id"],
                Role.NATIONAL,
                island_id=recipient["island_id"],
                post_id=recipient["post_id"],
            )

        if self.sender.merges(channel):
            block = answer_block(language, self.links.with_token(placeholder(TOKEN), answers))
            return Merged(
                Message(message.title, message.body.replace(ANSWERS_MARKER, block)),
                lambda recipient: {TOKEN: token(recipient)},
            )

        def personal(recipient: Addressee) -> Message:
            links = self.links.with_token(token(recipient), answers)
            block = answer_block(recipient["language"], links)
            return Message(message.title, message.body.replace(ANSWERS_MARKER, block))

        return personal

    async def _settle(
        self,
        job: AlertJob,
        event: CrisisEvent,
        channel: Channel,
        results: list[Settled],
        attempts: dict[str, Attempted] | None = None,
    ) -> tuple[list[OutcomeRow], bool]:
        """The outcomes, and whether the crisis stood cancelled when they were recorded."""
        failed = [r for r, outcome in results if outcome is Outcome.FAILED]
        others = await OtherChannels.of(self.rt, job, event, failed)
        if others:
            await others.take(failing=channel)
        cancelled = await self.ledger.settle(
            job.crisis_id,
            job.delivery_id,
            counter_prefix(job),
            channel,
            results,
        )
        if others:
            await others.take(failing=None)
        outcomes: list[OutcomeRow] = []
        for recipient, outcome in results:
            tried = attempts.get(recipient["person_id"]) if attempts else None
            how: How = (
                (outcome, tried.attempts, recipient["post_id"], tried.error)
                if tried
                else (outcome, 0, recipient["post_id"], None)
            )
            outcomes.append((how, recipient["person_id"]))
            if outcome is Outcome.FAILED:
                await self._dead_letter(job, channel, recipient, tried)
        if failed and job.msg_type is not MsgType.CANCEL and not job.reminder:  # an alert's
            places = {
                r["person_id"]: f"{r['post_id'] or ''}|{r['island_id'] or ''}" for r in failed
            }
            await calllist.remember_failed(self.rt.redis, job.crisis_id, places)
        return outcomes, cancelled

    async def _correct_now(
        self, job: AlertJob, event: CrisisEvent, people: list[Addressee]
    ) -> None:
        cancel_id = await self.rt.redis.hget(keys.crisis(job.crisis_id), "cancelled_by")
        if not cancel_id:
            return
        cancel = await self._event(job.crisis_id, str(cancel_id))
        correction = job.model_copy(
            update={
                "msg_type": MsgType.CANCEL,
                "event_identifier": cancel.identifier,
                "reminder": False,
                "recipients": people,
            }
        )
        await self._channel(correction, cancel, event)

    async def _report(
        self, job: AlertJob, event: CrisisEvent, channel: Channel, outcomes: list[OutcomeRow]
    ) -> None:
        if outcomes:
            groups: dict[How, list[str]] = defaultdict(list)
            for how, person_id in outcomes:
                groups[how].append(person_id)
            report = DeliveryReport.model_validate(
                {
                    "crisis_id": job.crisis_id,
                    "event_identifier": event.identifier,
                    "msg_type": job.msg_type,
                    "job_id": job.job_id,
                    "channel": channel,
                    "groups": [
                        {
                            "outcome": outcome,
                            "attempts": attempts,
                            "post_id": post_id,
                            "error": error,
                            "person_ids": people,
                        }
                        for (outcome, attempts, post_id, error), people in groups.items()
                    ],
                    "at": datetime.now(UTC),
                }
            )
            await self.rt.broker.publish(
                report, self.rt.topic(DELIVERY_REPORTS), key=job.crisis_id.encode()
            )

    async def _dead_letter(
        self, job: AlertJob, channel: Channel, recipient: Addressee, tried: Attempted | None
    ) -> None:
        attempts = tried.attempts if tried else 0
        reason = (
            f"{channel.value} to {recipient['person_id']} failed after {attempts} "
            f"attempt(s): {tried.error if tried else 'unknown error'}"
        )
        # The payload names the person, never their contact point.
        payload = json.dumps(
            {
                "crisis_id": job.crisis_id,
                "job_id": job.job_id,
                "person_id": recipient["person_id"],
                "channel": channel.value,
            }
        )
        await self.rt.dead_letter(
            "dispatcher",
            reason,
            payload.encode(),
            (ALERT_JOBS_PRIORITY if job.priority else ALERT_JOBS)[channel],
        )


def counter_prefix(job: AlertJob) -> str:
    """Which of the crisis's counters a job's deliveries move: its event kind's, or the
    reminders'."""
    return crises.REMINDER_PREFIX if job.reminder else crises.COUNTER_PREFIX[job.msg_type]


def _outcome(attempted: Attempted) -> Outcome:
    if attempted.sent:
        return Outcome.SENT
    return Outcome.SKIPPED if attempted.moot else Outcome.FAILED


def _register(topics: dict[Channel, Topic], stage: str, notices: bool) -> Callable[[Runtime], None]:
    """One consumer group per channel: a slow email relay never holds up SMS or push.
    The priority lane also sends notices: a leader's alert must not queue behind routine."""

    def register(rt: Runtime) -> None:
        dispatcher = Dispatcher(rt)
        if missing := dispatcher.sender.missing():
            raise ConfigurationError(
                f"the dispatcher needs a provider URL per channel: set "
                f"{', '.join(missing)} (apprise URL templates with {{to}})"
            )
        rt.startup.append(dispatcher.posts.current)
        for channel in Channel:
            if channel in rt.settings.delivery.dispatch_channels:
                _subscribe(rt, dispatcher, topics[channel], f"{stage}-{channel.value}", channel)
        if notices:
            sender = NoticeDispatcher(
                rt, dispatcher.deliverer, dispatcher.ledger, dispatcher.limiter
            )

            @rt.subscribe(NOTICES, f"{stage}-notices", **_waiting_out(rt))
            async def send_notice(notice: Notice) -> None:
                await sender.handle(notice)

    return register


def _subscribe(
    rt: Runtime, dispatcher: Dispatcher, topic: Topic, stage: str, channel: Channel
) -> None:
    consumers = rt.settings.delivery.consumers.get(channel, 1)
    options = _waiting_out(rt) | ({"max_workers": consumers} if consumers > 1 else {})

    @rt.subscribe(topic, stage, **options)
    async def dispatch(job: AlertJob) -> None:
        await dispatcher.handle(job)


def _waiting_out(rt: Runtime) -> dict[str, int]:
    """A job may wait for its provider until its deliveries' deadline: the consumer stays
    in its group meanwhile (its heartbeats tell that the process lives)."""
    return {"max_poll_interval_ms": int((rt.settings.delivery.delivery_deadline_s + 120) * 1000)}


register_routine = _register(ALERT_JOBS, "dispatcher", notices=False)
register_priority = _register(ALERT_JOBS_PRIORITY, "dispatcher-priority", notices=True)
