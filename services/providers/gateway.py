"""The HTTP gateway for SMS and push: takes apprise's json:// posts with a `to` list."""

from typing import Any

from fastapi import FastAPI, Header, HTTPException
from redis import Redis

from services.providers import outbox
from services.providers.issuer_feed import issuer_feed

CHANNELS = ("sms", "push")


def gateway_app(redis: Redis) -> FastAPI:
    app = FastAPI(title="Vigie local SMS and push gateway")
    app.include_router(issuer_feed())  # and the local issuers' feed, for the watch

    @app.post("/{channel}")
    def receive(
        channel: str, payload: dict[str, Any], idempotency_key: str = Header(default="")
    ) -> dict[str, Any]:
        if channel not in CHANNELS:
            raise HTTPException(404, f"no channel {channel!r}; use /sms or /push")
        addresses = [a for a in str(payload.get("to", "")).split(",") if a]
        if not addresses:
            raise HTTPException(400, "no recipients: the payload needs a 'to' list")
        failing = outbox.should_fail(redis, addresses)
        if failing and failing.permanent:
            raise HTTPException(400, "recipient refused: not a number in service (test rule)")
        if failing:
            raise HTTPException(503, "provider failure (test rule)")
        suppressed = outbox.record(
            redis,
            channel,
            addresses,
            str(payload.get("title", "")),
            str(payload.get("message", "")),
            idempotency_key,
        )
        return {
            "result": {"status": "ok"},
            "accepted": len(addresses) - suppressed,
            "suppressed": suppressed,
        }

    return app
