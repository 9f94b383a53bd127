"""Where the directory lives in Redis.

Points are indexed per 5-degree tile; a tile's GEO index and its records share a hash tag,
so in Redis Cluster each tile sits on one shard and one crisis touches only a few.
"""

import math

TILE_DEGREES = 5
VERSION = "dir:version"
POSTS = "dir:posts"
ISLANDS = "dir:islands"
RESERVISTS = "dir:reservists"
RESERVISTS_GEO = "dir:reservists:geo"
NATIONAL_WHERE = "dir:national:where"
TRIP_WHERE = "dir:trip:where"


def tile_of(lat: float, lon: float) -> str:
    return f"{math.floor(lat / TILE_DEGREES)}:{math.floor(lon / TILE_DEGREES)}"


def tiles_covering(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> list[str]:
    rows = range(math.floor(min_lat / TILE_DEGREES), math.floor(max_lat / TILE_DEGREES) + 1)
    cols = range(math.floor(min_lon / TILE_DEGREES), math.floor(max_lon / TILE_DEGREES) + 1)
    return [f"{r}:{c}" for r in rows for c in cols]


def national_geo(tile: str) -> str:
    return f"dir:{{{tile}}}:national:geo"


def national_data(tile: str) -> str:
    return f"dir:{{{tile}}}:national"


def trip_geo(tile: str) -> str:
    return f"dir:{{{tile}}}:trip:geo"


def trip_data(tile: str) -> str:
    return f"dir:{{{tile}}}:trip"


def country_members(kind: str, country: str) -> str:
    return f"dir:country:{country}:{kind}"


def region_members(kind: str, region: str) -> str:
    return f"dir:region:{region}:{kind}"
