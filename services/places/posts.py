"""The posts and security islands an area concerns: those whose district it meets, and
those of the countries or regions it names."""

from collections import Counter

from services.places.directory_view import DirectoryView
from services.places.geometry import TargetArea
from services.state.records import IslandRow, PostRow


def islands_concerned(area: TargetArea, view: DirectoryView) -> list[IslandRow]:
    """The islands the area meets, and every island of a post whose country or region the
    area names."""
    found = {i.id: i for i in view.islands_meeting(area.shape)} if area.shape else {}
    coded_posts = {p.id for p in view.posts.values() if _coded(p, area)}
    for island in view.islands:
        if island.post_id in coded_posts:
            found.setdefault(island.id, island)
    return sorted(found.values(), key=lambda i: i.id)


def area_posts(area: TargetArea, view: DirectoryView) -> list[PostRow]:
    """The posts whose district the area meets."""
    found = {p.id: p for p in view.posts_meeting(area.shape)} if area.shape else {}
    for post in view.posts.values():
        if _coded(post, area):
            found.setdefault(post.id, post)
    return sorted(found.values(), key=lambda p: p.id)


def posts_concerned(area: TargetArea, view: DirectoryView, counts: Counter[str]) -> list[str]:
    """The posts whose district the area meets, and those of the people counted."""
    posts = {p.id for p in area_posts(area, view)}
    posts |= {k.split(":")[1] for k in counts if k.startswith("post:")} - {"None"}
    return sorted(posts)


def _coded(post: PostRow, area: TargetArea) -> bool:
    return bool(
        set(post.district_countries) & area.countries or set(post.district_regions) & area.regions
    )
