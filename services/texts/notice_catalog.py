"""What each kind of notice says, per language: a subject, an SMS and an email body.

SMS texts stay in plain GSM characters and ask for a one-word reply; emails and pushes
carry the person's own answer links instead.
"""

from schemas.notices import NoticeKind

Texts = tuple[str, str, str]  # subject, sms, email body

FR: dict[NoticeKind, Texts] = {
    NoticeKind.LEADER_ALERT: (
        "Alerte îlot {island} : {headline}",
        "VIGIE Chef d'ilot {island}{deputy_sms}: {headline}. Relayez l'alerte aux membres de "
        "votre ilot. Repondez OUI pour confirmer. Urgence: {emergency_phone}",
        "Vous êtes {role} de l'îlot de sécurité « {island} » ({post_name}).\n\n"
        "{headline}\n\n{instruction}\n\nRelayez cette alerte aux membres de votre îlot et "
        "confirmez sa réception.\nNuméro d'urgence du poste : {emergency_phone}",
    ),
    NoticeKind.LEADER_UPDATE: (
        "Mise à jour, îlot {island} : {headline}",
        "VIGIE MISE A JOUR ilot {island}: {headline}. {instruction}",
        "Mise à jour de l'alerte pour l'îlot « {island} ».\n\n{headline}\n\n{instruction}",
    ),
    NoticeKind.LEADER_CORRECTION: (
        "ANNULATION, îlot {island} : {headline}",
        'VIGIE ANNULATION: l\'alerte "{headline}" est annulee. Prevenez votre ilot {island}.',
        "L'alerte « {headline} » est ANNULÉE. Prévenez les membres de l'îlot « {island} ».",
    ),
    NoticeKind.ISLAND_UNREACHED: (
        "Îlot {island} injoignable : {headline}",
        "VIGIE Cellule de crise {post_name}: ilot {island} injoignable, ni le chef ni "
        "{deputies} suppleant(s) n'ont confirme l'alerte \"{headline}\".",
        "Cellule de crise de {post_name} : l'îlot « {island} » n'a pas confirmé l'alerte "
        "« {headline} ».\nContactés sans réponse : {tried}.\nIl faut joindre cet îlot par un "
        "autre moyen.",
    ),
    NoticeKind.ACTIVATION_REQUEST: (
        "Réserve diplomatique : demande d'activation ({skill})",
        "VIGIE Reserve diplomatique: mission {skill}, {headline}, a {location} pour "
        "{duration_days} j. Frais rembourses. Repondez OUI ou NON avant le {deadline}.",
        "Le Centre de crise et de soutien sollicite votre expertise ({skill}) pour la "
        "crise « {headline} ».\n\nLieu : {location}\nDurée : {duration_days} jours\n"
        "Réponse attendue avant le {deadline}\n\nVos frais de mission sont remboursés.",
    ),
    NoticeKind.ACTIVATION_CONFIRMED: (
        "Réserve diplomatique : activation confirmée",
        "VIGIE Merci, votre activation ({skill}, {location}) est confirmee. Le CDCS vous "
        "contacte pour le depart.",
        "Merci : votre activation ({skill}) pour « {headline} » à {location} est confirmée. "
        "Le Centre de crise et de soutien vous contacte pour l'organisation du départ. "
        "Vos frais sont remboursés.",
    ),
    NoticeKind.ACTIVATION_NOT_NEEDED: (
        "Réserve diplomatique : merci, besoin pourvu",
        "VIGIE Merci de votre disponibilite: le besoin ({skill}) est pourvu, vous n'etes pas "
        "mobilise.",
        "Merci de votre disponibilité. Le besoin ({skill}) pour « {headline} » est désormais "
        "pourvu : vous n'êtes pas mobilisé cette fois.",
    ),
    NoticeKind.NEED_UNFILLED: (
        "Besoin non pourvu : {skill} ({accepted}/{count})",
        "VIGIE Besoin {need_id} ({skill}) non pourvu a l'echeance: {accepted}/{count} reservistes.",
        "Le besoin {need_id} ({skill}) de la crise {crisis_id} n'est pas pourvu à "
        "l'échéance : {accepted} réserviste(s) sur {count}.",
    ),
}

EN: dict[NoticeKind, Texts] = {
    NoticeKind.LEADER_ALERT: (
        "Island {island} alert: {headline}",
        "VIGIE Island leader {island}{deputy_sms}: {headline}. Relay the alert to your island. "
        "Reply YES to confirm. Emergency: {emergency_phone}",
        'You are {role} of the security island "{island}" ({post_name}).\n\n'
        "{headline}\n\n{instruction}\n\nRelay this alert to your island's members and "
        "confirm you received it.\nPost emergency number: {emergency_phone}",
    ),
    NoticeKind.LEADER_UPDATE: (
        "Update, island {island}: {headline}",
        "VIGIE UPDATE island {island}: {headline}. {instruction}",
        'Update to the alert for island "{island}".\n\n{headline}\n\n{instruction}',
    ),
    NoticeKind.LEADER_CORRECTION: (
        "WITHDRAWN, island {island}: {headline}",
        'VIGIE WITHDRAWN: the alert "{headline}" is cancelled. Tell your island {island}.',
        'The alert "{headline}" is WITHDRAWN. Tell the members of island "{island}".',
    ),
    NoticeKind.ISLAND_UNREACHED: (
        "Island {island} unreached: {headline}",
        "VIGIE Crisis cell {post_name}: island {island} unreached; neither its leader nor "
        '{deputies} deputy(ies) confirmed "{headline}".',
        'Crisis cell of {post_name}: island "{island}" did not confirm the alert '
        '"{headline}".\nTried without answer: {tried}.\nReach this island another way.',
    ),
    NoticeKind.ACTIVATION_REQUEST: (
        "Diplomatic reserve: activation request ({skill})",
        "VIGIE Diplomatic reserve: {skill} mission, {headline}, in {location} for "
        "{duration_days} days. Costs reimbursed. Reply YES or NO before {deadline}.",
        "The Crisis and Support Centre asks for your expertise ({skill}) for the crisis "
        '"{headline}".\n\nWhere: {location}\nFor: {duration_days} days\n'
        "Answer before: {deadline}\n\nYour mission costs are reimbursed.",
    ),
    NoticeKind.ACTIVATION_CONFIRMED: (
        "Diplomatic reserve: activation confirmed",
        "VIGIE Thank you, your activation ({skill}, {location}) is confirmed. The crisis "
        "centre will contact you.",
        'Thank you: your activation ({skill}) for "{headline}" in {location} is confirmed. '
        "The Crisis and Support Centre will contact you about departure. Your costs are "
        "reimbursed.",
    ),
    NoticeKind.ACTIVATION_NOT_NEEDED: (
        "Diplomatic reserve: thank you, need filled",
        "VIGIE Thank you for being available: the {skill} need is filled, you are not activated.",
        'Thank you for being available. The {skill} need for "{headline}" is now filled: '
        "you are not activated this time.",
    ),
    NoticeKind.NEED_UNFILLED: (
        "Need unfilled: {skill} ({accepted}/{count})",
        "VIGIE Need {need_id} ({skill}) unfilled at its deadline: {accepted}/{count} reservists.",
        "Need {need_id} ({skill}) of crisis {crisis_id} is not filled at its deadline: "
        "{accepted} reservist(s) of {count}.",
    ),
}

CATALOGS = {"fr": FR, "en": EN}
# How a leader's alert names who it asks, from the fact "deputy" (whether a deputy is asked
# in the leader's place): {role} in the email, {deputy_sms} after the island in the SMS.
ROLE_WORDS = {
    "fr": {
        False: {"role": "chef", "deputy_sms": ""},
        True: {"role": "suppléant du chef", "deputy_sms": " (suppleant)"},
    },
    "en": {
        False: {"role": "the leader", "deputy_sms": ""},
        True: {"role": "a deputy leader", "deputy_sms": " (deputy)"},
    },
}
LINK_LABELS = {
    "fr": {
        "ack": "Confirmer la réception",
        "accept": "J'accepte la mission",
        "decline": "Je ne suis pas disponible",
    },
    "en": {
        "ack": "Confirm receipt",
        "accept": "I accept the mission",
        "decline": "I am not available",
    },
}
