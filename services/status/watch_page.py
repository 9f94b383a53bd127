"""The watch page beside the crisis page: the watch list and each alert's area on the map,
counts only. Served by the response service, with the same view key."""

from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, JSONResponse

from services.cap.errors import InvalidEvent
from services.cap.parse import parse_event
from services.common.runtime import Runtime
from services.state import watch
from services.status.map_layers import area_layer
from services.status.watch_list import watch_view
from services.status.web import SECURITY_HEADERS, templates, view_key_check


def mount_watch_page(app: FastAPI, rt: Runtime) -> None:
    check = view_key_check(rt)
    # An alert's document never changes: its area is read once (a country's outline is
    # megabytes of XML), and forgotten with the alert.
    areas: dict[str, dict[str, Any]] = {}

    @app.get("/watch", response_class=HTMLResponse)
    async def watch_page(key: str = Query("")) -> HTMLResponse:
        check(key)
        html = templates.get_template("watch.html").render(key=key)
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    @app.get("/watch/list.json")
    async def watch_data(key: str = Query("")) -> JSONResponse:
        check(key)
        view = await watch_view(rt.redis)
        listed = {watch.alert_key(a["sender"], a["identifier"]) for a in view["alerts"]}
        for gone in set(areas) - listed:
            del areas[gone]
        for alert in view["alerts"]:
            alert_key = watch.alert_key(alert["sender"], alert["identifier"])
            if alert_key not in areas:
                areas[alert_key] = await _area(rt, alert_key)
            alert["map"] = areas[alert_key]
            alert.pop("url", None)  # the page shows counts and areas, not where we poll
        for source in view["sources"]:
            source.pop("url", None)
        return JSONResponse(view, headers=SECURITY_HEADERS)


async def _area(rt: Runtime, alert_key: str) -> dict[str, Any]:
    document = await watch.document(rt.redis, alert_key)
    try:
        return area_layer(parse_event(document).areas if document else [])
    except InvalidEvent:  # listed, so once read: only a document gone bad lands here
        return area_layer([])
