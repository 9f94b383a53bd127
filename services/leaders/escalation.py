"""Each island touched by a crisis: ask its leader to acknowledge; with no ack in time ask
the next deputy, then tell the post's crisis cell the island is unreached.

The state lives in Redis and the next step in a durable timer, so a restarted or second
replica carries on where the first stopped. Every notice has an id naming its step: asked
again after a crash, the dispatcher still sends it once.
"""

import logging
import time

from schemas.alerts import Contacts, LeaderAlert, Recipient, cell_id
from schemas.crisis import Channel, CrisisEvent, MsgType
from schemas.notices import NoticeKind
from schemas.responses import Role
from schemas.topics import NOTICES
from services.common.answer_links import AnswerLinks
from services.common.runtime import Runtime
from services.state import crises, keys, roles
from services.state.directory import post as find_post
from services.state.islands import Island, State
from services.state.records import PostRow
from services.state.timers import Timers
from services.texts.notices import notice

log = logging.getLogger("vigie.leaders")


class Escalation:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.redis = rt.redis
        self.timers = Timers(rt.redis, "escalation")
        self.links = AnswerLinks(rt.settings)

    async def on_alert(self, alert: LeaderAlert) -> None:
        island = await self._load(alert.crisis_id, alert.island_id)
        if alert.msg_type is MsgType.CANCEL:
            if island is None:
                return
            if island.state is State.WAITING:
                island.state = State.CLOSED
                await self._save(island)
            await self._tell_asked(island, NoticeKind.LEADER_CORRECTION, alert.event_identifier)
        elif island is None:
            await self._start(Island(alert=alert))
        elif alert.msg_type is MsgType.UPDATE:
            await self._tell_asked(island, NoticeKind.LEADER_UPDATE, alert.event_identifier)
        elif island.state is State.WAITING:
            await self._start(island)  # the same alert read again after a crash

    async def on_answer(self, crisis_id: str, island_id: str, person_id: str) -> None:
        """The first ack stands; the timer then sees it and stops the escalation."""
        island = await self._load(crisis_id, island_id)
        if island is None or person_id not in {c.person_id for c in island.contacts}:
            log.warning("ack from %s for island %s it does not lead", person_id, island_id)
            return
        if await self.redis.hsetnx(keys.acks(crisis_id), island_id, person_id):
            log.info("island %s acknowledged by %s", island_id, person_id)

    async def on_timer(self, member: str) -> float | None:
        crisis_id, island_id = member.split("\t")
        island = await self._load(crisis_id, island_id)
        if island is None or island.state is not State.WAITING:
            return None
        if await self.redis.hexists(keys.acks(crisis_id), island_id):
            island.state = State.ACKED
        elif await crises.is_cancelled(self.redis, crisis_id):
            island.state = State.CLOSED
        elif island.step + 1 < len(island.contacts):
            island.step += 1
            await self._save(island)
            await self._ask(island)
            return time.time() + self.rt.settings.leaders.ack_delay_s
        else:
            island.state = State.UNREACHED
            await self._save(island)
            await self._tell_cell(island)
            return None
        await self._save(island)
        return None

    async def _start(self, island: Island) -> None:
        alert = island.alert
        created = await self.redis.hsetnx(
            keys.escalations(alert.crisis_id), alert.island_id, island.model_dump_json()
        )
        if created:
            for person in island.contacts:
                await roles.remember(
                    self.redis,
                    alert.crisis_id,
                    person.person_id,
                    roles.Asked(role=Role.LEADER, island_id=alert.island_id, post_id=alert.post_id),
                )
        if not island.contacts:
            island.state = State.UNREACHED
            await self._save(island)
            await self._tell_cell(island)
            return
        # Re-read of the same alert after a crash: asking again is deduplicated downstream.
        await self._ask(island)
        await self.timers.schedule_once(
            f"{alert.crisis_id}\t{alert.island_id}",
            time.time() + self.rt.settings.leaders.ack_delay_s,
        )

    async def _ask(self, island: Island) -> None:
        alert = island.alert
        person = island.contacts[island.step]
        event = await self._text(alert.crisis_id, alert.event_identifier)
        post = await find_post(self.redis, alert.post_id)
        facts = self._facts(island, event, post, person.language)
        is_leader = alert.leader is not None and person.person_id == alert.leader.person_id
        facts |= {"deputy": not is_leader}
        links = self.links.for_person(
            alert.crisis_id,
            person.person_id,
            Role.LEADER,
            island_id=alert.island_id,
            post_id=alert.post_id,
        )
        await self._publish(
            notice(
                f"{alert.event_identifier}/leader/{alert.island_id}/{island.step}",
                alert.crisis_id,
                NoticeKind.LEADER_ALERT,
                person,
                facts,
                links,
                event.status,
            )
        )

    async def _tell_asked(self, island: Island, kind: NoticeKind, event_id: str) -> None:
        event = await self._text(island.alert.crisis_id, event_id)
        post = await find_post(self.redis, island.alert.post_id)
        for person in island.asked:
            facts = self._facts(island, event, post, person.language)
            await self._publish(
                notice(
                    f"{event_id}/{kind.value}/{island.alert.island_id}/{person.person_id}",
                    island.alert.crisis_id,
                    kind,
                    person,
                    facts,
                    status=event.status,
                )
            )

    async def _tell_cell(self, island: Island) -> None:
        alert = island.alert
        post = await find_post(self.redis, alert.post_id)
        log.warning("island %s of crisis %s unreached", alert.island_id, alert.crisis_id)
        if post is None or not (post.cell_sms or post.cell_email):
            log.warning("post %s has no crisis cell contact to tell", alert.post_id)
            return
        contacts = Contacts(sms=post.cell_sms, email=post.cell_email)
        cell = Recipient(
            person_id=cell_id(post.id),
            language="fr",
            post_id=post.id,
            contacts=contacts,
            channels=[c for c in (Channel.SMS, Channel.EMAIL) if contacts.for_channel(c)],
        )
        event = await self._text(alert.crisis_id, alert.event_identifier)
        facts = self._facts(island, event, post, "fr")
        facts |= {
            "deputies": len(alert.deputies),
            "tried": ", ".join(c.person_id for c in island.contacts) or "-",
        }
        await self._publish(
            notice(
                f"{alert.event_identifier}/unreached/{alert.island_id}",
                alert.crisis_id,
                NoticeKind.ISLAND_UNREACHED,
                cell,
                facts,
                status=event.status,
            )
        )

    @staticmethod
    def _facts(
        island: Island, event: CrisisEvent, post: PostRow | None, language: str
    ) -> dict[str, object]:
        info = event.info_for(language.split("-")[0])
        return {
            "island": island.alert.island_name,
            "headline": info.headline,
            "instruction": info.instruction,
            "post_name": post.name if post else island.alert.post_id,
            "emergency_phone": post.emergency_phone if post else "",
        }

    async def _text(self, crisis_id: str, event_id: str) -> CrisisEvent:
        """The newest text of the crisis: an escalation after an Update says what is current."""
        event = await crises.latest_alert(self.redis, crisis_id)
        event = event or await crises.event(self.redis, crisis_id, event_id)
        if event is None:
            raise LookupError(f"event {event_id} of crisis {crisis_id} is not stored")
        return event

    async def _publish(self, message: object) -> None:
        await self.rt.broker.publish(message, self.rt.topic(NOTICES))

    async def _load(self, crisis_id: str, island_id: str) -> Island | None:
        raw = await self.redis.hget(keys.escalations(crisis_id), island_id)
        return Island.model_validate_json(raw) if raw else None

    async def _save(self, island: Island) -> None:
        await self.redis.hset(
            keys.escalations(island.alert.crisis_id),
            island.alert.island_id,
            island.model_dump_json(),
        )
