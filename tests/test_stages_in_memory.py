"""Each stage's handler on FastStream's in-memory broker (TestKafkaBroker): what it publishes
for what it reads, in milliseconds, with Redis real and no Kafka. The same stages run on a
real broker in the other tests."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import redis
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pydantic import BaseModel, SecretStr
from redis.asyncio import Redis

from schemas.alerts import (
    AlertJob,
    Candidate,
    Contacts,
    LeaderAlert,
    Recipient,
    ReservistCandidates,
    addressee,
)
from schemas.crisis import Channel, CrisisEvent, MsgType, ReservistNeed
from schemas.delivery import DeadLetter, DeliveryReport, Outcome
from schemas.notices import Notice, NoticeKind
from schemas.responses import Answer, PersonResponse, Role, Via
from schemas.topics import (
    ALERT_JOBS,
    ALERT_JOBS_PRIORITY,
    CRISIS_ACCEPTED,
    CRISIS_EVENTS,
    DEAD_LETTERS,
    DELIVERY_REPORTS,
    LEADER_ALERTS,
    NOTICES,
    RESERVIST_CANDIDATES,
    RESPONSES,
    Topic,
)
from services.common.answer_links import AnswerLinks
from services.common.config import Settings
from services.common.runtime import Runtime, make_redis
from services.dispatcher.service import register_priority
from services.embedded.stack import EmbeddedStack
from services.ingest.service import register as register_ingest
from services.leaders.service import register as register_leaders
from services.providers import outbox
from services.publishing import headers_for
from services.reservists.service import register as register_reservists
from services.resolver.service import register as register_resolver
from services.responses.service import register as register_responses
from services.responses.web import create_app
from services.state import crises, keys, roles
from services.state.addressbook import address_field
from services.state.answers import unread_replies
from services.state.islands import leader_status
from tests.events import event_json, london_event_json
from tests.helpers import import_marrakech


@pytest.fixture
def memory_settings(stack: EmbeddedStack) -> Settings:
    # No Kafka is reached: the broker is replaced in memory; Redis is the stack's.
    return stack.settings(topic_prefix=f"m{uuid.uuid4().hex[:8]}.")


@pytest.fixture
async def ingest(memory_settings: Settings) -> AsyncIterator[tuple[Runtime, list[object]]]:
    broker = KafkaBroker(memory_settings.bus.bootstrap_servers)
    redis: Redis = make_redis(memory_settings)
    await redis.flushdb()
    rt = Runtime(memory_settings, broker, redis)
    register_ingest(rt)
    out: list[object] = []

    @broker.subscriber(rt.topic(CRISIS_ACCEPTED))
    async def accepted(event: CrisisEvent) -> None:
        out.append(event)

    @broker.subscriber(rt.topic(DEAD_LETTERS))
    async def refused(letter: DeadLetter) -> None:
        out.append(letter)

    async with TestKafkaBroker(broker) as memory:
        yield rt, out
        assert memory is not None
    await redis.aclose()


async def test_ingest_hands_on_a_signed_event_once_and_dead_letters_the_rest(
    ingest: tuple[Runtime, list[object]],
) -> None:
    rt, out = ingest
    raw = london_event_json("MEM-1")
    signed = headers_for(rt.settings, raw)
    for _ in range(2):  # the second is a duplicate
        await rt.broker.publish(raw, rt.topic(CRISIS_EVENTS), headers=signed)
    await rt.broker.publish(raw, rt.topic(CRISIS_EVENTS))  # unsigned
    await rt.broker.publish(b"{not json", rt.topic(CRISIS_EVENTS), headers=signed)
    # The in-memory broker hands each message to its subscribers before publish returns.
    accepted = [m for m in out if isinstance(m, CrisisEvent)]
    letters = [m for m in out if isinstance(m, DeadLetter)]
    assert [e.identifier for e in accepted] == ["MEM-1"]
    assert len(letters) == 2
    assert any("unsigned" in letter.reason or "signature" in letter.reason for letter in letters)


async def test_the_resolver_turns_an_accepted_event_into_jobs_per_channel_and_leader_alerts(
    memory_settings: Settings, tmp_path: Path
) -> None:
    await import_marrakech(memory_settings, tmp_path)
    broker = KafkaBroker(memory_settings.bus.bootstrap_servers)
    redis: Redis = make_redis(memory_settings)
    rt = Runtime(memory_settings, broker, redis)
    register_resolver(rt)
    jobs: list[AlertJob] = []
    leaders: list[LeaderAlert] = []
    for channel in Channel:
        for lanes in (ALERT_JOBS, ALERT_JOBS_PRIORITY):

            @broker.subscriber(rt.topic(lanes[channel]))
            async def job(message: AlertJob) -> None:
                jobs.append(message)

    @broker.subscriber(rt.topic(LEADER_ALERTS))
    async def leader(message: LeaderAlert) -> None:
        leaders.append(message)

    event = CrisisEvent.model_validate_json(event_json("MEM-Q"))
    try:
        async with TestKafkaBroker(broker):
            for warm_up in rt.startup:
                await warm_up()
            await broker.publish(event, rt.topic(CRISIS_ACCEPTED))
    finally:
        await redis.aclose()
    assert {job.channel for job in jobs} == set(Channel)
    assert all(job.crisis_id == event.crisis_id for job in jobs)
    people = {r["person_id"] for job in jobs for r in job.recipients}
    assert people, "nobody in the area"
    assert leaders and all(alert.crisis_id == event.crisis_id for alert in leaders)


class InMemory:
    """One stage registered on FastStream's in-memory broker, with Redis real: what it
    publishes on the topics a test listens to lands in `said`."""

    def __init__(self, settings: Settings, register: Callable[[Runtime], None]) -> None:
        self.broker = KafkaBroker(settings.bus.bootstrap_servers)
        self.rt = Runtime(settings, self.broker, make_redis(settings))
        register(self.rt)
        self.said: list[object] = []

    def listen(self, topic: Topic, model: type[BaseModel]) -> None:
        @self.broker.subscriber(self.rt.topic(topic))
        async def heard(message: model) -> None:  # type: ignore[valid-type]
            self.said.append(message)

    async def publish(self, message: BaseModel, topic: Topic) -> None:
        await self.broker.publish(message, self.rt.topic(topic))

    def notices(self, kind: NoticeKind) -> list[Notice]:
        return [n for n in self.said if isinstance(n, Notice) and n.kind is kind]


@asynccontextmanager
async def in_memory(
    settings: Settings, register: Callable[[Runtime], None], *listened: tuple[Topic, type]
) -> AsyncIterator[InMemory]:
    stage = InMemory(settings, register)
    for topic, model in listened:
        stage.listen(topic, model)
    try:
        async with TestKafkaBroker(stage.broker):
            yield stage
    finally:
        await stage.rt.redis.aclose()


async def _eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(100):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


def _person(person_id: str, language: str = "fr") -> Recipient:
    return Recipient(
        person_id=person_id,
        language=language,
        contacts=Contacts(sms="+33600000001", email=f"{person_id}@example.org"),
        channels=[Channel.SMS, Channel.EMAIL],
    )


def _answer(
    crisis_id: str, person_id: str, role: Role, answer: Answer, **ids: str
) -> PersonResponse:
    return PersonResponse(
        crisis_id=crisis_id,
        person_id=person_id,
        role=role,
        answer=answer,
        via=Via.WEB,
        at=datetime.now(UTC),
        **ids,
    )


async def _recorded(settings: Settings, identifier: str) -> CrisisEvent:
    event = CrisisEvent.model_validate_json(event_json(identifier))
    redis: Redis = make_redis(settings)
    try:
        await crises.record_event(redis, event)
    finally:
        await redis.aclose()
    return event


async def test_a_silent_leader_s_deputy_is_asked_and_their_ack_stands(
    memory_settings: Settings,
) -> None:
    settings = memory_settings.changed(ack_delay_s=0.3, timer_poll_s=0.05)
    event = await _recorded(settings, "MEM-L")
    alert = LeaderAlert(
        crisis_id=event.crisis_id,
        event_identifier=event.identifier,
        msg_type=MsgType.ALERT,
        island_id="ISL-1",
        island_name="Gueliz",
        post_id="MA-RABAT",
        leader=_person("LEADER-1"),
        deputies=[_person("DEPUTY-1", "en")],
    )
    async with in_memory(settings, register_leaders, (NOTICES, Notice)) as leaders:
        timers = asyncio.create_task(leaders.rt.background[0]())
        try:
            await leaders.publish(alert, LEADER_ALERTS)
            asked = leaders.notices(NoticeKind.LEADER_ALERT)
            assert [n.recipient.person_id for n in asked] == ["LEADER-1"]
            assert "?answer=ack" in asked[0].texts[Channel.EMAIL].body

            async def deputy_asked() -> bool:
                return len(leaders.notices(NoticeKind.LEADER_ALERT)) == 2

            await _eventually(deputy_asked, "the deputy asked after the leader's silence")
            deputy = leaders.notices(NoticeKind.LEADER_ALERT)[1]
            assert deputy.recipient.person_id == "DEPUTY-1"
            assert deputy.texts[Channel.SMS].body.startswith("VIGIE")
            ack = _answer(event.crisis_id, "DEPUTY-1", Role.LEADER, Answer.ACK, island_id="ISL-1")
            await leaders.publish(ack, RESPONSES)

            async def reached() -> bool:
                status = await leader_status(leaders.rt.redis, event.crisis_id)
                return status.get("reached") == 1

            await _eventually(reached, "the island counted as reached")
        finally:
            timers.cancel()
    assert not leaders.notices(NoticeKind.ISLAND_UNREACHED), "the post was told of a reached island"


async def test_one_hydrologist_needed_two_asked_the_first_yes_fills_it(
    memory_settings: Settings,
) -> None:
    event = await _recorded(memory_settings, "MEM-R")
    need = ReservistNeed(
        need_id="hydro",
        skill="hydrologist",
        count=1,
        deadline=datetime.now(UTC) + timedelta(hours=6),
    )
    candidates = [
        Candidate(
            reservist_id=f"RES-{n}",
            distance_km=float(n),
            skills=["hydrologist"],
            languages=["fr"],
            contacts=Contacts(sms=f"+3360000000{n}", email=f"res{n}@example.org"),
        )
        for n in range(1, 4)
    ]
    request = ReservistCandidates(
        crisis_id=event.crisis_id,
        event_identifier=event.identifier,
        need=need,
        candidates=candidates,
    )
    async with in_memory(memory_settings, register_reservists, (NOTICES, Notice)) as reservists:
        await reservists.publish(request, RESERVIST_CANDIDATES)
        asked = [n.recipient.person_id for n in reservists.notices(NoticeKind.ACTIVATION_REQUEST)]
        assert asked == ["RES-1", "RES-2"], "the nearest, one more than needed"
        yes = _answer(event.crisis_id, "RES-2", Role.RESERVIST, Answer.ACCEPT, need_id="hydro")
        await reservists.publish(yes, RESPONSES)
    confirmed = reservists.notices(NoticeKind.ACTIVATION_CONFIRMED)
    not_needed = reservists.notices(NoticeKind.ACTIVATION_NOT_NEEDED)
    assert [n.recipient.person_id for n in confirmed] == ["RES-2"]
    assert [n.recipient.person_id for n in not_needed] == ["RES-1"]


async def test_a_safe_answer_through_a_link_is_counted_once(memory_settings: Settings) -> None:
    event = await _recorded(memory_settings, "MEM-S")
    links = AnswerLinks(memory_settings).for_person(event.crisis_id, "NAT-1", Role.NATIONAL)
    path = urlsplit(links["safe"]).path
    async with in_memory(memory_settings, register_responses, (RESPONSES, PersonResponse)) as web:
        app = create_app(web.rt)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vigie") as client:
            for _ in range(2):  # the same link followed twice
                page = await client.post(path, data={"answer": "safe"})
                assert page.status_code == 200, page.text
        status = await crises.status(web.rt.redis, event.crisis_id)
    assert [r.answer for r in web.said if isinstance(r, PersonResponse)] == [Answer.SAFE] * 2
    assert status.get("safety:safe") == "1"


async def test_a_job_read_twice_sends_each_person_one_sms_and_reports_them(
    memory_settings: Settings, outbox_client: redis.Redis
) -> None:
    event = await _recorded(memory_settings, f"MEM-D{uuid.uuid4().hex[:6]}")
    job = AlertJob(
        job_id="job-1",
        crisis_id=event.crisis_id,
        event_identifier=event.identifier,
        msg_type=MsgType.ALERT,
        priority=True,
        channel=Channel.SMS,
        recipients=[addressee("NAT-1", "+33600000011"), addressee("NAT-2", "+33600000012")],
        created_at=datetime.now(UTC),
    )
    async with in_memory(
        memory_settings, register_priority, (DELIVERY_REPORTS, DeliveryReport)
    ) as dispatcher:
        for warm_up in dispatcher.rt.startup:
            await warm_up()
        for _ in range(2):  # read again, as after a crash before the commit
            await dispatcher.publish(job, ALERT_JOBS_PRIORITY[Channel.SMS])
    log = outbox.read_log(outbox_client.lrange(outbox.LOG, 0, -1))
    received = sorted(r.to for r in log if r.key == event.crisis_id)
    assert received == ["+33600000011", "+33600000012"]
    sent = [
        o.person_id
        for report in dispatcher.said
        if isinstance(report, DeliveryReport)
        for o in report.outcomes
        if o.outcome is Outcome.SENT
    ]
    assert sorted(sent) == ["NAT-1", "NAT-2"], "each sent person reported once"


async def test_a_reply_from_a_number_a_leader_shares_is_not_taken_as_the_leader_s(
    memory_settings: Settings,
) -> None:
    """A leader and a national on one phone: "OUI" is not the leader's ack (nor the
    national's answer); it is kept for the post, and the phone is asked to use its links."""
    settings = memory_settings.changed(inbound_sms_key=SecretStr("k"))
    event = await _recorded(settings, f"MEM-W{uuid.uuid4().hex[:6]}")
    phone = "+33600000077"
    async with in_memory(
        settings, register_responses, (RESPONSES, PersonResponse), (NOTICES, Notice)
    ) as web:
        redis = web.rt.redis
        await redis.zadd(keys.RECENT_CRISES, {event.crisis_id: 1e12})
        await redis.hset(
            keys.addressbook(event.crisis_id),
            address_field("sms", phone),
            "LEADER-9|MA-RABAT|ISL-9;NAT-9|MA-RABAT|ISL-9",
        )
        await roles.remember(
            redis, event.crisis_id, "LEADER-9", roles.Asked(role=Role.LEADER, island_id="ISL-9")
        )
        transport = httpx.ASGITransport(app=create_app(web.rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://vigie") as client:
            reply = await client.post(
                "/sms/inbound", json={"from": phone, "text": "OUI"}, headers={"X-Vigie-Key": "k"}
            )
        unread = await unread_replies(redis, event.crisis_id)
    assert reply.status_code == 202 and reply.json()["unread"] is True
    assert not [r for r in web.said if isinstance(r, PersonResponse)], "an answer was recorded"
    [asked] = web.notices(NoticeKind.REPLY_SHARED)
    assert asked.recipient.contacts.sms == phone
    assert unread["count"] == 1 and "LEADER-9" in unread["newest"][0]["person_id"]
