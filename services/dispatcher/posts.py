"""Posts' names and emergency numbers, for the messages; reloaded when the directory changes."""

from redis.asyncio import Redis

from services.directory import keys
from services.directory.records import PostRow
from services.dispatcher.messages import UNKNOWN_POST, PostInfo


class PostBook:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.version: str | None = None
        self.posts: dict[str, PostInfo] = {}

    async def current(self) -> dict[str, PostInfo]:
        version = str(await self.redis.get(keys.VERSION) or "0")
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
