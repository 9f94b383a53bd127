"""The answer links a message carries, one per answer the person may give."""

from collections.abc import Iterable

from schemas.responses import ANSWERS_BY_ROLE, Answer, Role
from services.common.answer_tokens import AnswerTokens
from services.common.config import Settings


class AnswerLinks:
    def __init__(self, settings: Settings) -> None:
        secret = settings.answers.response_secret
        self.tokens = (
            AnswerTokens(secret.get_secret_value(), settings.answers.response_token_ttl_s)
            if secret
            else None
        )
        self.base_url = settings.answers.base_url

    @property
    def enabled(self) -> bool:
        return self.tokens is not None

    def for_person(
        self,
        crisis_id: str,
        person_id: str,
        role: Role,
        island_id: str | None = None,
        post_id: str | None = None,
        need_id: str | None = None,
    ) -> dict[str, str]:
        """The links for every answer a person in this role may give; none when no response
        secret is configured (messages then ask for SMS replies)."""
        if self.tokens is None:
            return {}
        token = self.token_for(crisis_id, person_id, role, island_id, post_id, need_id)
        return self.with_token(token, ANSWERS_BY_ROLE[role])

    def token_for(
        self,
        crisis_id: str,
        person_id: str,
        role: Role,
        island_id: str | None = None,
        post_id: str | None = None,
        need_id: str | None = None,
    ) -> str:
        """The token behind a person's links, alone: for a message that carries it as a
        recipient variable."""
        if self.tokens is None:
            raise RuntimeError("answer links need VIGIE_RESPONSE_SECRET")
        return self.tokens.issue_fields(
            crisis_id, person_id, role, ANSWERS_BY_ROLE[role], island_id, post_id, need_id
        )

    def with_token(self, token: str, answers: Iterable[Answer]) -> dict[str, str]:
        """The links of these answers around a token (or a placeholder for one)."""
        return {answer: f"{self.base_url}/a/{token}?answer={answer.value}" for answer in answers}
