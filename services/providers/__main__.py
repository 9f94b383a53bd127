"""Run the local providers: `python -m services.providers REDIS_URL HTTP_PORT SMTP_PORT`."""

import sys

import uvicorn
from redis import Redis

from services.providers.gateway import gateway_app
from services.providers.smtp import start_smtp


def main() -> None:
    redis_url, http_port, smtp_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    redis = Redis.from_url(redis_url, decode_responses=True)
    smtp = start_smtp(redis, smtp_port)
    try:
        uvicorn.run(gateway_app(redis), host="127.0.0.1", port=http_port, log_level="warning")
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
