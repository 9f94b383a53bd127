"""The leaders consumer group: leader alerts in, acks in, escalation timers."""

from schemas.alerts import LeaderAlert
from schemas.responses import Answer, PersonResponse, Role
from schemas.topics import LEADER_ALERTS, RESPONSES
from services.common.runtime import Runtime
from services.leaders.escalation import Escalation

STAGE = "leaders"


def register(rt: Runtime) -> None:
    escalation = Escalation(rt)

    @rt.subscribe(LEADER_ALERTS, STAGE)
    async def on_alert(alert: LeaderAlert) -> None:
        await escalation.on_alert(alert)

    @rt.subscribe(RESPONSES, STAGE)
    async def on_answer(response: PersonResponse) -> None:
        if response.role is Role.LEADER and response.answer is Answer.ACK and response.island_id:
            await escalation.on_answer(response.crisis_id, response.island_id, response.person_id)

    async def timers() -> None:
        await escalation.timers.run(escalation.on_timer, rt.settings.operations.timer_poll_s)

    rt.background.append(timers)
