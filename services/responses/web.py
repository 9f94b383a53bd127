"""The response service's HTTP side: answer links, and the SMS gateway's reply webhook.

Every answer is published to the responses topic; the services that own each kind of
answer apply it idempotently.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError

from schemas.alerts import Contacts, Recipient
from schemas.crisis import Channel, Status
from schemas.notices import NoticeKind
from schemas.responses import Answer, PersonResponse, Role, Via
from schemas.topics import NOTICES, RESPONSES
from services.common.answer_tokens import AnswerTokens, BadToken, Claim, ExpiredToken
from services.common.masking import mask
from services.common.runtime import Runtime
from services.common.web_guard import error_fields, guard
from services.responses import pages
from services.responses.inbound import Replier, who_replies
from services.responses.replies import NotUnderstood, read_reply
from services.state import crises
from services.state.answers import record_unread
from services.state.directory import nationals_by_id
from services.texts.notices import notice

log = logging.getLogger("vigie.responses")


class InboundSms(BaseModel):
    sender: str = Field(alias="from", min_length=3, max_length=32)
    text: str = Field(max_length=1_000)


# The webhook reads its body itself, after the key; its OpenAPI document still shows it.
_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": InboundSms.model_json_schema(by_alias=True)}},
    }
}

# More pages the same web app serves (the crisis page), mounted by whoever composes it.
Pages = Iterable[Callable[[FastAPI, Runtime], None]]


def create_app(rt: Runtime, extra_pages: Pages = ()) -> FastAPI:
    settings = rt.settings
    if settings.answers.response_secret is None:
        raise RuntimeError("the response service needs VIGIE_RESPONSE_SECRET to check links")
    tokens = AnswerTokens(
        settings.answers.response_secret.get_secret_value(), settings.answers.response_token_ttl_s
    )
    app = FastAPI(title="Vigie responses", docs_url=None, redoc_url=None)
    guard(app, timeout_s=settings.answers.http_body_timeout_s)

    def claim_for(token: str, answer: str) -> tuple[Claim, Answer]:
        claim = tokens.read(token)
        try:
            chosen = Answer(answer)
        except ValueError:
            raise BadToken(f"Unknown answer {answer!r}.") from None
        if chosen not in claim.answers:
            raise BadToken("This link does not allow that answer.")
        return claim, chosen

    @app.exception_handler(BadToken)
    async def bad_token(request: Request, exc: BadToken) -> HTMLResponse:
        status = 410 if isinstance(exc, ExpiredToken) else 403
        return HTMLResponse(pages.refused(str(exc)), status_code=status)

    @app.get("/a/{token}", response_class=HTMLResponse)
    async def confirm_page(token: str, answer: str | None = None) -> str:
        # A GET never records: mail scanners and link previews open links on their own.
        if answer is None:
            return pages.confirm(token, tokens.read(token).answers)
        _, chosen = claim_for(token, answer)
        return pages.confirm(token, [chosen])

    @app.post("/a/{token}", response_class=HTMLResponse)
    async def record(token: str, answer: Annotated[str, Form()]) -> str:
        claim, chosen = claim_for(token, answer)
        await _publish(rt, claim, chosen, Via.WEB)
        return pages.thanks(chosen)

    @app.post("/sms/inbound", openapi_extra=_JSON_BODY)
    async def inbound_sms(
        request: Request, x_vigie_key: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        # The key before the body: a caller without it cannot make us read anything.
        expected = settings.answers.inbound_sms_key
        if expected is None or not hmac.compare_digest(
            (x_vigie_key or "").encode(), expected.get_secret_value().encode()
        ):
            return JSONResponse({"error": "unknown or missing X-Vigie-Key"}, status_code=403)
        try:
            sms = InboundSms.model_validate_json(await request.body())
        except ValidationError as exc:
            return JSONResponse(
                {"error": "invalid SMS reply", "fields": error_fields(exc.errors())},
                status_code=422,
            )
        found = await who_replies(rt.redis, sms.sender)
        if found is None:
            return await _reject(rt, sms, None, "no recent crisis message went to this number")
        crisis_id, repliers = found
        first = repliers[0]
        who = ", ".join(r.person_id for r in repliers)
        # A family's answer is the family's; a leader's or a reservist's is theirs alone,
        # and which of them answered is not guessed.
        whose = len(repliers) > 1 and {r.asked.role for r in repliers} != {Role.NATIONAL}
        try:
            if whose:
                raise NotUnderstood("a shared number, one of its people a leader or reservist")
            answer = read_reply(first.asked.role, sms.text)
        except NotUnderstood as exc:
            # Not guessed: kept for the post to read, and the choices asked again.
            kind = NoticeKind.REPLY_SHARED if whose else NoticeKind.REPLY_UNCLEAR
            await record_unread(
                rt.redis, crisis_id, who, first.asked.role, first.asked.post_id, sms.text
            )
            await _ask_again(rt, crisis_id, first, kind, sms.sender, sms.text)
            log.info("SMS reply from %s not understood: %s", who, exc)
            return JSONResponse(
                {"crisis_id": crisis_id, "unread": True, "reason": str(exc)}, status_code=202
            )
        for replier in repliers:
            claim = Claim(
                crisis_id=crisis_id,
                person_id=replier.person_id,
                role=replier.asked.role,
                answers=[answer],
                island_id=replier.asked.island_id,
                post_id=replier.asked.post_id,
                need_id=replier.asked.need_id,
            )
            await _publish(rt, claim, answer, Via.SMS)
        return JSONResponse(
            {"crisis_id": crisis_id, "answer": answer.value, "people": len(repliers)}
        )

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for mount in extra_pages:
        mount(app, rt)
    return app


async def _publish(rt: Runtime, claim: Claim, answer: Answer, via: Via) -> None:
    response = PersonResponse(
        crisis_id=claim.crisis_id,
        person_id=claim.person_id,
        role=claim.role,
        answer=answer,
        island_id=claim.island_id,
        post_id=claim.post_id,
        need_id=claim.need_id,
        via=via,
        at=datetime.now(UTC),
    )
    await rt.broker.publish(
        response, rt.topic(RESPONSES), key=f"{claim.crisis_id}|{claim.person_id}".encode()
    )
    log.info("answer %s from %s (%s)", answer.value, claim.person_id, via.value)


async def _ask_again(
    rt: Runtime, crisis_id: str, replier: Replier, kind: NoticeKind, phone: str, text: str
) -> None:
    """An SMS with the choices again; the same reply delivered twice asks once."""
    person = (await nationals_by_id(rt.redis, [replier.person_id])).get(replier.person_id) or {}
    language = str(person.get("language") or "fr")
    said = hashlib.sha256(f"{phone}|{text}".encode()).hexdigest()[:16]
    recipient = Recipient(
        person_id=replier.person_id,
        language=language,
        contacts=Contacts(sms=phone),
        channels=[Channel.SMS],
    )
    status = await crises.crisis_status(rt.redis, crisis_id) or Status.ACTUAL
    again = notice(
        f"unclear:{replier.person_id}:{said}",
        crisis_id,
        kind,
        recipient,
        {"role": replier.asked.role.value},
        status=status,
    )
    await rt.broker.publish(again, rt.topic(NOTICES), key=crisis_id.encode())


async def _reject(rt: Runtime, sms: InboundSms, person_id: str | None, reason: str) -> JSONResponse:
    """Kept for an operator in the dead letters, number masked; the gateway gets the reason."""
    log.warning("SMS reply from %s refused: %s", mask(sms.sender), reason)
    payload = json.dumps({"from": mask(sms.sender), "person_id": person_id, "text": sms.text})
    await rt.dead_letter("responses", f"SMS reply refused: {reason}", payload.encode(), RESPONSES)
    return JSONResponse({"error": reason}, status_code=422)
