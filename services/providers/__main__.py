"""Run a local provider: `python -m services.providers gateway|smtp REDIS_URL PORT`.

The HTTP gateway (SMS, push) and the SMTP relay run as processes of their own, as the
real providers are apart: a relay busy with a batch of emails never holds up an SMS."""

import sys
import threading

import uvicorn
from redis import Redis

from services.providers.gateway import gateway_app
from services.providers.smtp import start_smtp


def main() -> None:
    kind, redis_url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    redis = Redis.from_url(redis_url, decode_responses=True)
    if kind == "gateway":
        uvicorn.run(
            gateway_app(redis),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            # Requests parsed in C rather than by h11, on uvloop: the gateway is on the
            # path of every SMS and push (docs/benchmarks.md).
            loop="uvloop",
            http="httptools",
        )
    elif kind == "smtp":
        smtp = start_smtp(redis, port)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            smtp.stop()
    else:
        sys.exit(f"unknown provider {kind!r}: use gateway or smtp")


if __name__ == "__main__":
    main()
