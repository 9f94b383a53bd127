"""SMS replies read as people write them, French and English: each with what it must be
read as, or None where the reply is not clear and must not be guessed."""

import pytest

from schemas.responses import Answer, Role
from services.responses.replies import NotUnderstood, read_reply

N, L, R = Role.NATIONAL, Role.LEADER, Role.RESERVIST
SAFE, HELP, ACK, ACCEPT, DECLINE = (
    Answer.SAFE,
    Answer.HELP,
    Answer.ACK,
    Answer.ACCEPT,
    Answer.DECLINE,
)

TABLE: list[tuple[Role, str, Answer | None]] = [
    # Nationals, asked "OK (en securite) ou AIDE"
    (N, "OK", SAFE),
    (N, "ok", SAFE),
    (N, "Ok merci", SAFE),
    (N, "OK !!", SAFE),
    (N, "En sécurité", SAFE),
    (N, "EN SECURITE, merci pour le message", SAFE),
    (N, "ça va", SAFE),
    (N, "Non merci ça va", SAFE),
    (N, "Tout va bien ici", SAFE),
    (N, "Je vais bien, pas besoin d'aide", SAFE),
    (N, "pas besoin d’aide merci", SAFE),
    (N, "Nous sommes en sécurité à l'hôtel", SAFE),
    (N, "Sains et saufs", SAFE),
    (N, "RAS", SAFE),
    (N, "I'm OK", SAFE),
    (N, "safe", SAFE),
    (N, "We are safe, thanks", SAFE),
    (N, "All good here", SAFE),
    (N, "No help needed", SAFE),
    (N, "fine, don't need help", SAFE),
    (N, "AIDE", HELP),
    (N, "aide svp", HELP),
    (N, "Aidez-moi", HELP),
    (N, "Besoin d'aide urgent", HELP),
    (N, "SOS", HELP),
    (N, "Au secours, immeuble effondré", HELP),
    (N, "urgence, mon fils est blessé", HELP),
    (N, "pas ok", HELP),
    (N, "Ça ne va pas du tout", HELP),
    (N, "Je ne vais pas bien", HELP),
    (N, "HELP", HELP),
    (N, "help!!! trapped", HELP),
    (N, "Not safe, we need help", HELP),
    (N, "Emergency, injured", HELP),
    (N, "Non", None),  # the SMS asks for OK or AIDE: a bare no is not guessed
    (N, "Oui", None),
    (N, "No", None),
    (N, "?", None),
    (N, "Qui êtes-vous ?", None),
    (N, "Je vais bien mais ma femme a besoin d'aide", None),
    (N, "ok but my friend needs help", None),
    (N, "", None),
    # Island leaders, asked "Repondez OUI pour confirmer"
    (L, "OUI", ACK),
    (L, "oui bien reçu", ACK),
    (L, "Reçu 5/5, je préviens l'îlot", ACK),
    (L, "Confirmé", ACK),
    (L, "OK", ACK),
    (L, "Yes, received", ACK),
    (L, "Noted, will relay", ACK),
    (L, "Non", None),
    (L, "Pas reçu le message précédent", None),
    (L, "Qui est-ce ?", None),
    # Reservists, asked "Repondez OUI ou NON"
    (R, "OUI", ACCEPT),
    (R, "Oui, je suis disponible", ACCEPT),
    (R, "J'accepte la mission", ACCEPT),
    (R, "Disponible", ACCEPT),
    (R, "yes", ACCEPT),
    (R, "NON", DECLINE),
    (R, "Non, désolé", DECLINE),
    (R, "Pas disponible cette semaine", DECLINE),
    (R, "Indisponible", DECLINE),
    (R, "Sorry, I can't", DECLINE),
    (R, "not available", DECLINE),
    (R, "Oui... enfin non", None),
    (R, "Peut-être", None),
]


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 50


@pytest.mark.parametrize(("role", "text", "expected"), TABLE)
def test_a_reply_is_read_as_its_writer_meant_it(
    role: Role, text: str, expected: Answer | None
) -> None:
    if expected is None:
        with pytest.raises(NotUnderstood):
            read_reply(role, text)
    else:
        assert read_reply(role, text) is expected
