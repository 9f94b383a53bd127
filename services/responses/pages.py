"""The small HTML pages people see when they follow an answer link (French, then English)."""

from html import escape

from schemas.responses import Answer

LABELS = {
    Answer.SAFE: ("Je suis en sécurité", "I am safe"),
    Answer.HELP: ("J'ai besoin d'aide", "I need help"),
    Answer.ACK: ("Je confirme avoir reçu l'alerte", "I confirm I received the alert"),
    Answer.ACCEPT: ("J'accepte la mission", "I accept the mission"),
    Answer.DECLINE: ("Je ne suis pas disponible", "I am not available"),
}


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title></head><body><main>{body}</main></body></html>"
    )


def confirm(token: str, answers: list[Answer]) -> str:
    """One button per answer; a single answer's page asks to confirm it."""
    forms = "".join(
        f"<form method='post' action='/a/{escape(token)}'>"
        f"<input type='hidden' name='answer' value='{escape(answer.value)}'>"
        f"<button type='submit'>{escape(LABELS[answer][0])} / {escape(LABELS[answer][1])}"
        "</button></form>"
        for answer in answers
    )
    title = "Confirmez votre réponse / Confirm your answer" if len(answers) == 1 else "Vigie"
    return _page("Vigie", f"<h1>{escape(title)}</h1>{forms}")


def thanks(answer: Answer) -> str:
    fr, en = LABELS[answer]
    return _page(
        "Vigie",
        f"<h1>Merci / Thank you</h1><p>Réponse enregistrée : {escape(fr)}.</p>"
        f"<p>Answer recorded: {escape(en)}.</p>",
    )


def refused(reason: str) -> str:
    return _page(
        "Vigie",
        f"<h1>Lien refusé / Link refused</h1><p>{escape(reason)}</p>"
        "<p>Contactez votre poste consulaire. / Please contact your French post.</p>",
    )
