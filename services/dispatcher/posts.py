"""Posts' names and emergency numbers, for the messages; reloaded when the directory changes."""

import time

from redis.asyncio import Redis

from services.state import keys
from services.state.records import PostRow
from services.texts.alerts import UNKNOWN_POST, PostInfo

RECHECK_S = 1.0


class PostBook:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.version: str | None = None
        self.posts: dict[str, PostInfo] = {}
        self.checked_at = -RECHECK_S

    async def current(self) -> dict[str, PostInfo]:
        # A fan-out asks per job: the directory's version is looked at once a second.
        if self.posts and time.monotonic() - self.checked_at < RECHECK_S:
            return self.posts
        self.checked_at = time.monotonic()
        version = str(await self.redis.get(keys.DIRECTORY_VERSION) or "0")
        if version != self.version:
            rows = [
                PostRow.model_validate_json(raw)
                for raw in (await self.redis.hgetall(keys.POSTS)).values()
            ]
            self.posts = {row.id: PostInfo(row.name, row.emergency_phone) for row in rows}
            self.version = version
        return self.posts

    @staticmethod
    def info(posts: dict[str, PostInfo], post_id: str | None) -> PostInfo:
        return posts.get(post_id or "", UNKNOWN_POST)
