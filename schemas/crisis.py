"""The crisis event, modelled on OASIS CAP 1.2, plus what CAP lacks (reservist needs, channels)."""

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

MAX_POLYGON_POINTS = 100_000
MAX_AREAS = 50
MAX_TEXT = 8_000
MAX_HEADLINE = 160
MAX_DESCRIPTION = 1_000

CapToken = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[^\s,<&]+$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
LanguageTag = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)
]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
LatLon = tuple[Latitude, Longitude]
_ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
)


def _iso_8601_only(value: object) -> object:
    """CAP times are ISO 8601 with a zone; pydantic would also read "0000" or 1700000000 as
    seconds since 1970, which no crisis centre means."""
    if isinstance(value, str) and not _ISO_8601.match(value):
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 time with a zone")
    if isinstance(value, int | float):
        raise ValueError("a time must be ISO 8601 text with a zone, not a number")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_8601_only)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Status(StrEnum):
    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"  # an issuer's receipt of a message: recorded, never sent
    ERROR = "Error"  # an issuer's rejection of a message: recorded, never sent


CHANGES = (MsgType.UPDATE, MsgType.CANCEL)


class Scope(StrEnum):
    PUBLIC = "Public"
    RESTRICTED = "Restricted"  # posts' crisis cells and island leaders only
    PRIVATE = "Private"  # the directory ids in `addresses` only


class Category(StrEnum):
    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class Urgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"


class Circle(Strict):
    """Radius 0 is a point, as seismological agencies write an epicentre."""

    center: LatLon
    radius_km: float = Field(ge=0, le=5_000, allow_inf_nan=False)


class Polygon(Strict):
    """A closed ring of (lat, lon) points, as in CAP: the first point equals the last."""

    points: list[LatLon] = Field(min_length=4, max_length=MAX_POLYGON_POINTS)

    @field_validator("points")
    @classmethod
    def ring_is_closed(cls, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if points[0] != points[-1]:
            raise ValueError(
                f"polygon is not closed: first point {points[0]} differs from last {points[-1]}"
            )
        return points


class Area(Strict):
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    polygons: list[Polygon] = Field(default_factory=list, max_length=MAX_AREAS)
    circles: list[Circle] = Field(default_factory=list, max_length=MAX_AREAS)
    countries: list[CountryCode] = Field(default_factory=list, max_length=300)
    regions: list[RegionCode] = Field(default_factory=list, max_length=1_000)

    @model_validator(mode="after")
    def has_a_shape_or_code(self) -> Self:
        if not (self.polygons or self.circles or self.countries or self.regions):
            named = f" {self.description[:80]!r}" if self.description else ""
            raise ValueError(
                f"area{named} has no polygon, circle, country or region code: Vigie cannot "
                f"tell who is in it"
            )
        return self


class Info(Strict):
    """The text of the alert in one language."""

    language: LanguageTag = "fr"
    headline: str = Field(min_length=1, max_length=MAX_HEADLINE)
    description: str = Field(default="", max_length=MAX_TEXT)
    instruction: str = Field(default="", max_length=MAX_TEXT)
    web: str | None = Field(default=None, max_length=1_000)
    contact: str | None = Field(default=None, max_length=200)
    # Who wrote it, by name ("U.S. Geological Survey"), and until when it is in force.
    sender_name: str | None = Field(default=None, max_length=200)
    expires: IsoTime | None = None


class Reference(Strict):
    """An earlier alert this one updates or cancels (CAP "sender,identifier,sent")."""

    sender: CapToken
    identifier: CapToken
    sent: IsoTime


SkillName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class ReservistNeed(Strict):
    """Experts the crisis centre asks for: '2 hydrologists, French or Arabic speaking'."""

    need_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    skill: SkillName
    count: int = Field(ge=1, le=200)
    languages: list[LanguageTag] = Field(default_factory=list, max_length=20)
    deadline: IsoTime
    duration_days: int = Field(default=7, ge=1, le=365)
    location: str = Field(default="", max_length=200)


class CrisisEvent(Strict):
    identifier: CapToken
    sender: CapToken
    sent: IsoTime
    status: Status = Status.ACTUAL
    msg_type: MsgType = Field(validation_alias=AliasChoices("msg_type", "msgType"))
    scope: Scope = Scope.PUBLIC
    addresses: list[CapToken] = Field(default_factory=list, max_length=10_000)
    references: list[Reference] = Field(default_factory=list, max_length=100)
    category: list[Category] = Field(min_length=1, max_length=12)
    event: str = Field(min_length=1, max_length=200)
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    info: list[Info] = Field(default_factory=list, max_length=30)
    areas: list[Area] = Field(default_factory=list, max_length=MAX_AREAS)
    reservist_needs: list[ReservistNeed] = Field(default_factory=list, max_length=20)
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.PUSH, Channel.SMS, Channel.EMAIL], min_length=1
    )

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if self.msg_type is not MsgType.ALERT and not self.references:
            what = "alert it replaces" if self.msg_type in CHANGES else "message it answers"
            raise ValueError(f"a {self.msg_type.value} must reference the {what}")
        if self.msg_type in (MsgType.ALERT, MsgType.UPDATE) and not self.areas:
            raise ValueError(f"an {self.msg_type.value} needs at least one area")
        if self.msg_type in (MsgType.ALERT, MsgType.UPDATE, MsgType.CANCEL) and not self.info:
            raise ValueError(f"an {self.msg_type.value} needs at least one info block")
        if self.scope is Scope.PRIVATE and not self.addresses:
            raise ValueError("a Private event must name its addresses")
        return self

    @property
    def is_record_only(self) -> bool:
        """Kept and shown, never sent: a Draft or System message, an Ack or an Error."""
        return self.status in (Status.DRAFT, Status.SYSTEM) or self.msg_type in (
            MsgType.ACK,
            MsgType.ERROR,
        )

    @property
    def crisis_id(self) -> str:
        """The crisis this event belongs to: the original alert's identifier."""
        return self.references[0].identifier if self.references else self.identifier

    @property
    def is_priority(self) -> bool:
        return self.severity is Severity.EXTREME or self.urgency is Urgency.IMMEDIATE

    def info_for(self, language: str) -> Info:
        """The text in the person's language, else French, else the first one given. Of
        several blocks in one language (one per category or area), the first speaks."""
        by_language: dict[str, Info] = {}
        for info in self.info:
            by_language.setdefault(info.language.split("-")[0], info)
        return by_language.get(language) or by_language.get("fr") or self.info[0]
