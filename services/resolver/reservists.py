"""Reservists who can meet a need: available, with the skill and a language, nearest first."""

from schemas.alerts import Candidate, Contacts
from schemas.crisis import ReservistNeed
from services.places.geometry import haversine_km
from services.state.records import ReservistRow

MAX_CANDIDATES = 50


def candidates(
    need: ReservistNeed, reservists: list[ReservistRow], centre: tuple[float, float] | None
) -> list[Candidate]:
    wanted_languages = {language.split("-")[0] for language in need.languages}
    found = []
    for reservist in reservists:
        if not reservist.available or need.skill not in reservist.skills:
            continue
        if wanted_languages and not wanted_languages & set(reservist.languages):
            continue
        distance = (
            haversine_km(centre[0], centre[1], reservist.location.lon, reservist.location.lat)
            if centre
            else 0.0
        )
        found.append(
            Candidate(
                reservist_id=reservist.id,
                distance_km=round(distance, 1),
                skills=reservist.skills,
                languages=reservist.languages,
                contacts=Contacts(
                    sms=reservist.sms, email=reservist.email, push=reservist.push_token
                ),
            )
        )
    found.sort(key=lambda c: (c.distance_km, c.reservist_id))
    return found[: max(MAX_CANDIDATES, need.count * 5)]
