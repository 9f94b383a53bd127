"""What every page and webhook of Vigie's web side shares: security headers, request bodies
read within a size and a time limit (nobody can make a service hold or echo megabytes, or
keep a connection open by trickling a body), and errors that never repeat the input."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# A page opened from a message: nothing loads from elsewhere, it is never framed, forms post
# only back here, and the link's token never leaves in a Referer.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEFAULT_MAX_BODY = 16 * 1024  # an answer form or an SMS reply takes well under 1 KiB
BODY_TIMEOUT_S = 10.0


class BoundedBodies:
    """ASGI middleware: a body over `max_bytes` is refused (413) from its Content-Length
    before it is read, or as soon as what arrives passes it; a body that has not arrived
    within `timeout_s` is refused (408)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY, timeout_s: float = BODY_TIMEOUT_S
    ) -> None:
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = _error(413, f"request body over {self.max_bytes} bytes")
            await response(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        received = 0
        complete = False

        async def bounded() -> Message:
            nonlocal received, complete
            if complete:  # the body is in: what follows is waiting for a disconnect
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                late = f"request body not received within {self.timeout_s:.0f} s"
                raise HTTPException(408, late) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise HTTPException(413, f"request body over {self.max_bytes} bytes")
            return message

        await self.app(scope, bounded, send)


class SecurityHeaders:
    """ASGI middleware: PAGE_HEADERS on every response, unless the route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name.lower().encode(), value.encode())
                    for name, value in PAGE_HEADERS.items()
                    if name.lower().encode() not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def guard(
    app: FastAPI, max_bytes: int = DEFAULT_MAX_BODY, timeout_s: float = BODY_TIMEOUT_S
) -> None:
    """Bounded bodies and security headers on every route, and errors (validation
    included) that say what is wrong without the input."""
    app.add_middleware(BoundedBodies, max_bytes=max_bytes, timeout_s=timeout_s)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid request", fields=error_fields(exc.errors()))

    @app.exception_handler(HTTPException)
    async def refused(_: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)


def error_fields(errors: Sequence[Any]) -> list[str]:
    """Where a validation failed (field paths), without the input that failed it."""
    return sorted({".".join(str(part) for part in error["loc"]) or "body" for error in errors})


def _error(
    status: int, reason: str, headers: Mapping[str, str] | None = None, **more: object
) -> JSONResponse:
    return JSONResponse({"error": reason, **more}, status_code=status, headers=headers)
