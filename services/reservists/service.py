"""The reservists consumer group: candidates in, accept/decline in, wave and deadline timers."""

from schemas.alerts import ReservistCandidates
from schemas.responses import PersonResponse, Role
from schemas.topics import RESERVIST_CANDIDATES, RESPONSES
from services.common.runtime import Runtime
from services.reservists.activation import Activation

STAGE = "reservists"


def register(rt: Runtime) -> None:
    activation = Activation(rt)

    @rt.subscribe(RESERVIST_CANDIDATES, STAGE)
    async def on_candidates(request: ReservistCandidates) -> None:
        await activation.on_candidates(request)

    @rt.subscribe(RESPONSES, STAGE)
    async def on_answer(response: PersonResponse) -> None:
        if response.role is Role.RESERVIST:
            await activation.on_answer(response)

    async def timers() -> None:
        await activation.timers.run(activation.on_timer, rt.settings.operations.timer_poll_s)

    rt.background.append(timers)
