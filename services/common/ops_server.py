"""Each process's operations endpoint: /metrics for Prometheus, /healthz for probes."""

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.common.runtime import Runtime


def ops_app(rt: Runtime, services: list[str]) -> Starlette:
    async def health(_: Request) -> JSONResponse:
        checks: dict[str, Any] = {"services": services, "broker": bool(rt.broker.running)}
        if rt.problem is not None:
            checks["broker"] = False
            checks["problem"] = rt.problem
        try:
            checks["redis"] = bool(await rt.redis.ping())
        except Exception as exc:  # any failure to reach Redis means not healthy
            checks["redis"] = False
            checks["redis_error"] = type(exc).__name__
        if rt.failing_providers:
            checks["providers_failing"] = dict(rt.failing_providers)
        healthy = checks["broker"] and checks["redis"]
        return JSONResponse(checks, status_code=200 if healthy else 503)

    async def metrics(_: Request) -> Response:
        # A route of its own, not a mounted app: /metrics answers, no redirect to /metrics/.
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/healthz", health), Route("/metrics", metrics)])
