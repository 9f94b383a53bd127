"""The responses service: the answer web endpoint, the safety-check consumer group and
the safety check's reminders."""

from schemas.responses import Answer, PersonResponse, Role
from schemas.topics import RESPONSES
from services.common.runtime import Runtime
from services.common.web_server import serve_asgi
from services.responses.reminders import remind
from services.responses.safety import SafetyBook
from services.responses.web import Pages, create_app
from services.state import reminders
from services.state.directory import nationals_by_id

STAGE = "safety"


def register(rt: Runtime, extra_pages: Pages = ()) -> None:
    """`extra_pages`: more pages its web app serves beside the answers (the crisis page)."""
    book = SafetyBook(rt.redis)
    app = create_app(rt, extra_pages)

    @rt.subscribe(RESPONSES, STAGE)
    async def on_answer(response: PersonResponse) -> None:
        if response.role is not Role.NATIONAL:
            return
        await book.record(response, await _contact(rt, response))

    async def serve_web() -> None:
        await serve_asgi(app, rt.settings.answers.response_listen)

    async def remind_the_silent() -> None:
        await reminders.timers(rt.redis).run(
            lambda crisis_id: remind(rt, crisis_id), rt.settings.operations.timer_poll_s
        )

    rt.background.extend([serve_web, remind_the_silent])


async def _contact(rt: Runtime, response: PersonResponse) -> str | None:
    """How the post can reach someone who needs help: their number, else their email."""
    if response.answer is not Answer.HELP:
        return None
    person = (await nationals_by_id(rt.redis, [response.person_id])).get(response.person_id)
    contact = (person or {}).get("sms") or (person or {}).get("email")
    return str(contact) if contact else None
