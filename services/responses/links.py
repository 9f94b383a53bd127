"""The answer links a message carries, one per answer the person may give."""

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

    def for_claim(self, claim: Claim) -> dict[str, str]:
        """No links when no response secret is configured: messages then ask for SMS replies."""
        if self.tokens is None:
            return {}
        token = self.tokens.issue(claim)
        return {
            answer: f"{self.base_url}/a/{token}?answer={answer.value}" for answer in claim.answers
        }
