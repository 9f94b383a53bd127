"""Activating reservists for one need: ask in waves, nearest first, a few more than needed;
record accepts and declines; stop at the quota; warn if the deadline passes unfilled.

All changes to a need happen under a Redis lock, so the candidates consumer, the answers
consumer and the timers of every replica see one consistent need.
"""

import logging
import time
from datetime import UTC, datetime

from schemas.alerts import Candidate, Contacts, Recipient, ReservistCandidates
from schemas.crisis import Channel, CrisisEvent, Status
from schemas.notices import NoticeKind
from schemas.responses import Answer, PersonResponse, Role
from schemas.topics import NOTICES
from services.common.answer_links import AnswerLinks
from services.common.runtime import Runtime
from services.state import crises, keys, roles
from services.state.needs import Asked, Need, Standing
from services.state.timers import Timers
from services.texts.notices import notice

log = logging.getLogger("vigie.reservists")
LOCK_TIMEOUT_S = 30


class Activation:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.redis = rt.redis
        self.settings = rt.settings
        self.timers = Timers(rt.redis, "activation")
        self.links = AnswerLinks(rt.settings)

    async def on_candidates(self, request: ReservistCandidates) -> None:
        need_id = request.need.need_id
        async with self._lock(request.crisis_id, need_id):
            need = await self._load(request.crisis_id, need_id)
            if need is None:
                need = Need(request=request)
                await self._wave(need)
            else:  # read again after a crash: re-asking is deduplicated downstream
                for reservist_id, asked in need.people.items():
                    if asked.standing is Standing.REQUESTED:
                        await self._ask(need, self._candidate(need, reservist_id))
            await self._save(need)
        await self.timers.schedule_once(f"{request.crisis_id}\t{need_id}", self._next_check(need))

    async def on_answer(self, response: PersonResponse) -> None:
        if response.need_id is None:
            return
        async with self._lock(response.crisis_id, response.need_id):
            need = await self._load(response.crisis_id, response.need_id)
            asked = need.people.get(response.person_id) if need else None
            if need is None or asked is None:
                log.warning("answer from %s to a need it was not asked", response.person_id)
                return
            if asked.answered_at is not None and response.at <= asked.answered_at:
                return  # a repeat, or older than the answer that stands
            asked.answered_at = response.at
            if response.answer is Answer.ACCEPT:
                await self._accept(need, response.person_id, asked)
            elif response.answer is Answer.DECLINE:
                await self._decline(need, response.person_id, asked)
            await self._save(need)

    async def on_timer(self, member: str) -> float | None:
        crisis_id, need_id = member.split("\t")
        async with self._lock(crisis_id, need_id):
            need = await self._load(crisis_id, need_id)
            if need is None or need.closed or need.filled:
                return None
            if await crises.is_cancelled(self.redis, crisis_id):
                need.closed = True
            elif time.time() >= need.deadline:
                await self._warn_unfilled(need)
            else:
                await self._wave(need)
                await self._save(need)
                return self._next_check(need)
            await self._save(need)
            return None

    async def _accept(self, need: Need, reservist_id: str, asked: Asked) -> None:
        crisis_id = need.request.crisis_id
        if asked.standing is Standing.ACCEPTED:
            return
        if need.filled or need.closed:
            asked.standing = Standing.NOT_NEEDED
            await self._tell(need, reservist_id, NoticeKind.ACTIVATION_NOT_NEEDED)
            return
        mission_s = need.request.need.duration_days * 86_400
        engaged = await self.redis.set(keys.engaged(reservist_id), crisis_id, nx=True, ex=mission_s)
        if not engaged and await self.redis.get(keys.engaged(reservist_id)) != crisis_id:
            asked.standing = Standing.ENGAGED_ELSEWHERE
            await self._tell(need, reservist_id, NoticeKind.ACTIVATION_NOT_NEEDED)
            await self._wave(need)
            return
        asked.standing = Standing.ACCEPTED
        await self._tell(need, reservist_id, NoticeKind.ACTIVATION_CONFIRMED)
        if need.filled:
            log.info("need %s of crisis %s filled", need.request.need.need_id, crisis_id)
            for other_id, other in need.people.items():
                if other.standing is Standing.REQUESTED:
                    other.standing = Standing.NOT_NEEDED
                    await self._tell(need, other_id, NoticeKind.ACTIVATION_NOT_NEEDED)

    async def _decline(self, need: Need, reservist_id: str, asked: Asked) -> None:
        # Accepted, then declined: they changed their mind and the place is free again.
        if (
            asked.standing is Standing.ACCEPTED
            and await self.redis.get(keys.engaged(reservist_id)) == need.request.crisis_id
        ):
            await self.redis.delete(keys.engaged(reservist_id))
        asked.standing = Standing.DECLINED
        await self._wave(need)

    async def _wave(self, need: Need) -> None:
        """Ask enough new candidates that those still fresh cover the gap, plus a margin."""
        if need.filled or need.closed:
            return
        fresh_since = time.time() - self.settings.reservists.wave_wait_s
        fresh = sum(
            a.standing is Standing.REQUESTED and a.asked_at > fresh_since
            for a in need.people.values()
        )
        wanted = (
            need.request.need.count - need.accepted + self.settings.reservists.wave_extra - fresh
        )
        if wanted <= 0:
            return
        need.wave += 1
        candidates = need.request.candidates
        while wanted > 0 and need.cursor < len(candidates):
            candidate = candidates[need.cursor]
            need.cursor += 1
            if candidate.reservist_id in need.people:
                continue
            engaged_for = await self.redis.get(keys.engaged(candidate.reservist_id))
            if engaged_for and engaged_for != need.request.crisis_id:
                continue  # on a mission for another crisis: not offered this one
            need.people[candidate.reservist_id] = Asked(wave=need.wave, asked_at=time.time())
            await self._ask(need, candidate)
            wanted -= 1
        if wanted > 0:
            log.warning(
                "need %s of crisis %s: no more candidates to ask",
                need.request.need.need_id,
                need.request.crisis_id,
            )

    async def _ask(self, need: Need, candidate: Candidate) -> None:
        request = need.request
        await roles.remember(
            self.redis,
            request.crisis_id,
            candidate.reservist_id,
            roles.Asked(role=Role.RESERVIST, need_id=request.need.need_id),
        )
        links = self.links.for_person(
            request.crisis_id,
            candidate.reservist_id,
            Role.RESERVIST,
            need_id=request.need.need_id,
        )
        await self._notice(need, _recipient(candidate), NoticeKind.ACTIVATION_REQUEST, links)

    async def _tell(self, need: Need, reservist_id: str, kind: NoticeKind) -> None:
        await self._notice(need, _recipient(self._candidate(need, reservist_id)), kind)

    async def _warn_unfilled(self, need: Need) -> None:
        if need.warned:
            return
        need.warned = True
        request = need.request
        log.warning(
            "need %s of crisis %s unfilled at its deadline: %d of %d",
            request.need.need_id,
            request.crisis_id,
            need.accepted,
            request.need.count,
        )
        contacts = Contacts(
            email=self.settings.reservists.crisis_centre_email,
            sms=self.settings.reservists.crisis_centre_sms,
        )
        channels = [c for c in (Channel.EMAIL, Channel.SMS) if contacts.for_channel(c)]
        if channels:
            centre = Recipient(
                person_id="crisis-centre", language="fr", contacts=contacts, channels=channels
            )
            await self._notice(need, centre, NoticeKind.NEED_UNFILLED)

    async def _notice(
        self,
        need: Need,
        recipient: Recipient,
        kind: NoticeKind,
        links: dict[str, str] | None = None,
    ) -> None:
        request = need.request
        event = await crises.event(self.redis, request.crisis_id, request.event_identifier)
        await self.rt.broker.publish(
            notice(
                f"{request.event_identifier}/{kind.value}/{request.need.need_id}/"
                f"{recipient.person_id}",
                request.crisis_id,
                kind,
                recipient,
                _facts(need, event, recipient.language),
                links,
                event.status if event else Status.ACTUAL,
            ),
            self.rt.topic(NOTICES),
        )

    def _next_check(self, need: Need) -> float:
        return min(time.time() + self.settings.reservists.wave_wait_s, need.deadline)

    @staticmethod
    def _candidate(need: Need, reservist_id: str) -> Candidate:
        return next(c for c in need.request.candidates if c.reservist_id == reservist_id)

    def _lock(self, crisis_id: str, need_id: str):  # type: ignore[no-untyped-def]
        return self.redis.lock(
            keys.need_lock(crisis_id, need_id),
            timeout=LOCK_TIMEOUT_S,
            blocking_timeout=LOCK_TIMEOUT_S,
        )

    async def _load(self, crisis_id: str, need_id: str) -> Need | None:
        raw = await self.redis.hget(keys.needs(crisis_id), need_id)
        return Need.model_validate_json(raw) if raw else None

    async def _save(self, need: Need) -> None:
        await self.redis.hset(
            keys.needs(need.request.crisis_id), need.request.need.need_id, need.model_dump_json()
        )


def _recipient(candidate: Candidate) -> Recipient:
    language = "fr" if "fr" in candidate.languages or not candidate.languages else "en"
    return Recipient(
        person_id=candidate.reservist_id,
        language=language,
        contacts=candidate.contacts,
        channels=[c for c in Channel if candidate.contacts.for_channel(c)],
    )


def _facts(need: Need, event: CrisisEvent | None, language: str) -> dict[str, object]:
    spec = need.request.need
    info = event.info_for(language.split("-")[0]) if event else None
    place = spec.location or (event.areas[0].description if event and event.areas else "")
    return {
        "skill": spec.skill,
        "headline": info.headline if info else need.request.crisis_id,
        "location": place or "-",
        "duration_days": spec.duration_days,
        "deadline": spec.deadline.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC"),
        "need_id": spec.need_id,
        "count": spec.count,
        "accepted": need.accepted,
        "crisis_id": need.request.crisis_id,
        "now": datetime.now(UTC).isoformat(),
    }
