"""What an SMS reply says, read as people write it: accents, case, punctuation and extra
words do not matter, a negation is read as one ("pas besoin d'aide" is not a call for
help), and a reply that says both or neither is not guessed."""

import re
import unicodedata

from schemas.responses import Answer, Role

# What each person was asked to answer, in French and English, as phrases of plain words
# (no accents, upper case, apostrophes as spaces). Negated phrases are read first, and
# their words are then not read again: "PAS DISPONIBLE" is never "DISPONIBLE".
Grammar = list[tuple[tuple[str, ...], Answer]]

NATIONAL: Grammar = [
    (
        (
            "PAS BESOIN D AIDE",
            "PAS BESOIN DE SECOURS",
            "PAS BESOIN",
            "AUCUN BESOIN",
            "N AI PAS BESOIN",
            "NO HELP NEEDED",
            "NO HELP",
            "DON T NEED HELP",
            "DO NOT NEED HELP",
            "NOT NEED HELP",
            "NO NEED",
        ),
        Answer.SAFE,
    ),
    (
        (
            "PAS OK",
            "NOT OK",
            "PAS EN SECURITE",
            "PAS SAUF",
            "NOT SAFE",
            "CA NE VA PAS",
            "CA VA PAS",
            "VA PAS BIEN",
            "PAS BIEN",
            "NOT FINE",
            "NOT WELL",
        ),
        Answer.HELP,
    ),
    (
        (
            "OK",
            "OKAY",
            "EN SECURITE",
            "SECURITE",
            "SAUF",
            "SAUFS",
            "SAUVE",
            "SAUVES",
            "CA VA",
            "VAIS BIEN",
            "VA BIEN",
            "TOUT VA BIEN",
            "RAS",
            "SAFE",
            "FINE",
            "ALL GOOD",
            "WELL",
        ),
        Answer.SAFE,
    ),
    (
        (
            "AIDE",
            "AIDEZ",
            "AIDEZ MOI",
            "BESOIN D AIDE",
            "SOS",
            "SECOURS",
            "AU SECOURS",
            "URGENCE",
            "BLESSE",
            "BLESSES",
            "HELP",
            "EMERGENCY",
            "INJURED",
        ),
        Answer.HELP,
    ),
]

LEADER: Grammar = [
    # A leader's "no" is no ack, and no answer of its own: the escalation goes on.
    (("PAS RECU", "NON", "NO", "NOT RECEIVED"), Answer.DECLINE),
    (
        (
            "OUI",
            "YES",
            "OK",
            "ACK",
            "RECU",
            "BIEN RECU",
            "CONFIRME",
            "JE CONFIRME",
            "CONFIRMED",
            "RECEIVED",
            "NOTE",
            "NOTED",
        ),
        Answer.ACK,
    ),
]

RESERVIST: Grammar = [
    (
        (
            "PAS DISPONIBLE",
            "NON DISPONIBLE",
            "NOT AVAILABLE",
            "INDISPONIBLE",
            "UNAVAILABLE",
            "NON",
            "NO",
            "REFUSE",
            "JE REFUSE",
            "DECLINE",
            "CAN T",
            "CANNOT",
        ),
        Answer.DECLINE,
    ),
    (
        (
            "OUI",
            "YES",
            "ACCEPTE",
            "J ACCEPTE",
            "ACCEPT",
            "DISPONIBLE",
            "AVAILABLE",
            "PARTANT",
            "OK",
        ),
        Answer.ACCEPT,
    ),
]

GRAMMARS: dict[Role, Grammar] = {
    Role.NATIONAL: NATIONAL,
    Role.LEADER: LEADER,
    Role.RESERVIST: RESERVIST,
}


class NotUnderstood(ValueError):
    """A reply that says neither, or both, of what the person may answer."""


def plain_words(text: str) -> list[str]:
    """Upper case, accents off, anything but letters and digits as a space."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", " ", ascii_text.upper()).split()


def read_reply(role: Role, text: str) -> Answer:
    words = plain_words(text)
    said: set[Answer] = set()
    for phrases, answer in GRAMMARS[role]:
        for phrase in sorted(phrases, key=len, reverse=True):
            wanted = phrase.split()
            start = _find(words, wanted)
            while start is not None:
                said.add(answer)
                words[start : start + len(wanted)] = ["_"]  # read once
                start = _find(words, wanted)
    answered = said - {Answer.DECLINE} if role is Role.LEADER else said
    if len(said) == 1 and len(answered) == 1:
        return answered.pop()
    why = "says neither" if not said else "is no confirmation" if len(said) == 1 else "says both"
    raise NotUnderstood(f"the reply {why} of the answers a {role.value} was asked for")


def _find(words: list[str], phrase: list[str]) -> int | None:
    for start in range(len(words) - len(phrase) + 1):
        if words[start : start + len(phrase)] == phrase:
            return start
    return None
