"""The read-only crisis page, served by the response service: the same as `vigie status`,
with a map. Counts only: no names or contact points leave through it. It needs the view
key (VIGIE_VIEW_KEY); everything it loads is served from here (no CDN)."""

import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.common.runtime import Runtime
from services.status.collect import crisis_view, is_known
from services.status.map_layers import map_layers

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
templates = Environment(loader=FileSystemLoader(STATIC), autoescape=select_autoescape(["html"]))


def view_key_check(rt: Runtime) -> Callable[[str], None]:
    """Refuses a request without the view key: the crisis centre's pages are read-only, and
    for those who hold it."""
    view_key = rt.settings.answers.view_key

    def check(key: str) -> None:
        if view_key is None:
            raise HTTPException(404, "The crisis page is not enabled here (VIGIE_VIEW_KEY).")
        if not hmac.compare_digest(key.encode(), view_key.get_secret_value().encode()):
            raise HTTPException(403, "This crisis page needs the view key.")

    return check


def mount_crisis_page(app: FastAPI, rt: Runtime) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    check = view_key_check(rt)

    @app.get("/crisis/{crisis_id}", response_class=HTMLResponse)
    async def crisis_page(crisis_id: str, key: str = Query("")) -> HTMLResponse:
        check(key)
        html = templates.get_template("crisis.html").render(crisis_id=crisis_id, key=key)
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    @app.get("/crisis/{crisis_id}/status.json")
    async def crisis_data(crisis_id: str, key: str = Query("")) -> JSONResponse:
        check(key)
        view = await crisis_view(rt.redis, crisis_id)
        if not is_known(view):
            raise HTTPException(404, f"No crisis {crisis_id!r} known.")
        return JSONResponse(await _public(rt, view), headers=SECURITY_HEADERS)


async def _public(rt: Runtime, view: dict[str, Any]) -> dict[str, Any]:
    """The view without people's identities: those who need help are counted, not named."""
    return {
        "crisis": view["crisis"],
        "state": view["state"],
        "counters": view["counters"],
        "resolving": view["resolving"],
        "waiting": view["waiting"],
        "leaders": view["leaders"],
        "safety": view["safety"],
        "unread_replies": view["unread_replies"]["count"],
        "needs": view["needs"],
        "holds": [
            {
                "identifier": h["event"]["identifier"],
                "reason": h["reason"],
                "held_at": h["held_at"],
                "approved": h["approved_by"] is not None,
            }
            for h in view["holds"]
        ],
        "rejected": view["rejected"],
        "posts": view["posts"],
        "to_call": view["to_call"],
        "map": await map_layers(rt.redis, view["crisis"], view["posts"], view["leaders"]["states"]),
    }
