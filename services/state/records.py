"""Directory rows as they come in GeoJSON features (RFC 7946: lon, lat order)."""

from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from schemas.crisis import Channel, CountryCode, LanguageTag, RegionCode
from services.common.contacts import EmailAddress, PhoneNumber

RecordId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
PushToken = Annotated[str, StringConstraints(min_length=8, max_length=512, pattern=r"^\S+$")]
MAX_GEOMETRY_POINTS = 10_000


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Point(Row):
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)


# Where a stored record keeps its address on each channel.
CONTACT_FIELD = {Channel.SMS: "sms", Channel.EMAIL: "email", Channel.PUSH: "push_token"}


class ContactRow(Row):
    sms: PhoneNumber | None = None
    email: EmailAddress | None = None
    push_token: PushToken | None = None
    # Enrolled for drills (CAP status Exercise) and for technical tests (status Test).
    exercise: bool = False
    test: bool = False

    def contact_for(self, channel: Channel) -> str | None:
        value: str | None = getattr(self, CONTACT_FIELD[channel])
        return value


class PostRow(Row):
    kind: Literal["post"]
    id: RecordId
    name: str = Field(min_length=1, max_length=200)
    post_type: Literal["embassy", "consulate"]
    country: CountryCode
    district_countries: list[CountryCode] = Field(min_length=1)
    district_regions: list[RegionCode] = Field(default_factory=list)
    emergency_phone: str = Field(min_length=3, max_length=32)
    cell_sms: PhoneNumber | None = None  # the post's crisis cell, told when an island is unreached
    cell_email: EmailAddress | None = None
    location: Point | None = None
    district_geojson: dict[str, Any] | None = None


class IslandRow(Row):
    kind: Literal["island"]
    id: RecordId
    post_id: RecordId
    name: str = Field(min_length=1, max_length=200)
    leader_id: RecordId
    deputy_ids: list[RecordId] = Field(default_factory=list)
    geojson: dict[str, Any]


class NationalRow(ContactRow):
    kind: Literal["national"]
    id: RecordId
    language: LanguageTag = "fr"
    channels: list[Channel] | None = None
    country: CountryCode | None = None
    region: RegionCode | None = None
    location: Point


class TripRow(Row):
    kind: Literal["trip"]
    id: RecordId
    national_id: RecordId
    start: date
    end: date
    country: CountryCode | None = None
    region: RegionCode | None = None
    location: Point

    @model_validator(mode="after")
    def ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"trip ends ({self.end}) before it starts ({self.start})")
        return self


class ReservistRow(ContactRow):
    kind: Literal["reservist"]
    id: RecordId
    skills: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]] = Field(
        min_length=1
    )
    languages: list[LanguageTag] = Field(min_length=1)
    available: bool = True
    location: Point


DirectoryRow = PostRow | IslandRow | NationalRow | TripRow | ReservistRow
ROW_TYPES: dict[str, type[Row]] = {
    "post": PostRow,
    "island": IslandRow,
    "national": NationalRow,
    "trip": TripRow,
    "reservist": ReservistRow,
}


def area_geometry(geojson: dict[str, Any]) -> BaseGeometry:
    """A Polygon or MultiPolygon from GeoJSON, checked; raises ValueError with the reason."""
    if geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry must be a Polygon or MultiPolygon, not {geojson.get('type')}")
    try:
        geometry = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValueError(f"unreadable polygon coordinates: {exc}") from None
    if geometry.is_empty or not geometry.is_valid:
        raise ValueError("polygon is empty or self-intersecting")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValueError("polygon has coordinates outside lon [-180, 180] / lat [-90, 90]")
    if len(geometry.exterior.coords if geometry.geom_type == "Polygon" else []) > (
        MAX_GEOMETRY_POINTS
    ):
        raise ValueError(f"polygon has more than {MAX_GEOMETRY_POINTS} points")
    return geometry
