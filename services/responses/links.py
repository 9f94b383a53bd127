"""The answer links a message carries, one per answer the person may give."""

from collections.abc import Iterable

from schemas.responses import ANSWERS_BY_ROLE, Answer, Role
from services.common.config import Settings
from services.responses.tokens import AnswerTokens, Claim


class AnswerLinks:
    def __init__(self, settings: Settings) -> None:
        secret = settings.response_secret
        self.tokens = (
            AnswerTokens(secret.get_secret_value(), settings.response_token_ttl_s)
            if secret
            else None
        )
        self.base_url = settings.answer_base_url

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
        """The links for every answer a person in this role may give."""
        return self.for_claim(
            Claim(
                crisis_id=crisis_id,
                person_id=person_id,
                role=role,
                answers=list(ANSWERS_BY_ROLE[role]),
                island_id=island_id,
                post_id=post_id,
                need_id=need_id,
            )
        )

    def for_claim(self, claim: Claim) -> dict[str, str]:
        """No links when no response secret is configured: messages then ask for SMS replies."""
        if self.tokens is None:
            return {}
        return self.with_token(self.tokens.issue(claim), claim.answers)

    def national_token(
        self, crisis_id: str, person_id: str, island_id: str | None, post_id: str | None
    ) -> str:
        """The token of a national's links, for a message that carries it as a variable."""
        if self.tokens is None:
            raise RuntimeError("answer links need VIGIE_RESPONSE_SECRET")
        return self.tokens.issue_fields(
            crisis_id,
            person_id,
            Role.NATIONAL,
            ANSWERS_BY_ROLE[Role.NATIONAL],
            island_id=island_id,
            post_id=post_id,
        )

    def with_token(self, token: str, answers: Iterable[Answer]) -> dict[str, str]:
        """The links of these answers around a token (or a placeholder for one)."""
        return {answer: f"{self.base_url}/a/{token}?answer={answer.value}" for answer in answers}
