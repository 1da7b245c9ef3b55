"""What people read, in French first (English beside it). One catalogue; add a language here.

`message(code)` gives (fr, en) for an error code; `translate_field_errors` turns marshmallow's
English field messages into French ones, keeping the same shape.
"""
from __future__ import annotations

import re

MESSAGES = {
    "invalid_input": ("Certaines informations sont invalides : voyez les champs signalés.",
                      "Some fields are invalid: see the fields listed."),
    "body_too_large": ("Le contenu envoyé est trop gros (au plus {limit} Mo).",
                       "The request body is too large (at most {limit} MB)."),
    "invalid_json": ("La requête doit contenir un objet JSON valide.", "The request body must be a valid JSON object."),
    "authentication_required": ("Connectez-vous pour continuer.", "Sign in to continue."),
    "token_expired": ("Votre session a expiré : reconnectez-vous.", "Your session has expired: sign in again."),
    "token_invalid": ("Jeton de connexion invalide : reconnectez-vous.", "Invalid token: sign in again."),
    "bad_credentials": ("Adresse e-mail ou mot de passe incorrect.", "Wrong email or password."),
    "bad_api_key": ("Clé d'API inconnue ou révoquée.", "Unknown or revoked API key."),
    "role_forbidden": ("Votre rôle ({role}) ne permet pas cette action ; rôles autorisés : {allowed}.",
                       "Your role ({role}) may not do this; allowed roles: {allowed}."),
    "village_forbidden": ("Vous ne pouvez agir que sur votre village ; ce village n'est pas le vôtre.",
                          "You may only act on your own village; this one is not yours."),
    "not_found": ("{what} introuvable.", "{what} not found."),
    "route_not_found": ("Cette adresse n'existe pas : {path}.", "No such route: {path}."),
    "method_not_allowed": ("Méthode {method} non permise ici.", "Method {method} is not allowed here."),
    "conflict": ("Conflit avec l'existant : {reason}.", "Conflicts with existing data: {reason}."),
    "slug_taken": ("Ce nom court est déjà utilisé par un autre village.", "This slug is already used by another village."),
    "email_taken": ("Cette adresse e-mail a déjà un compte.", "This email already has an account."),
    "already_volunteer": ("Cette personne est déjà inscrite comme bénévole : modifiez sa fiche.",
                          "This person is already a volunteer: edit their profile."),
    "village_status_transition": (
        "Changement d'état refusé : un village {current} ne peut pas passer à l'état {requested} "
        "(possible : {allowed}).",
        "Refused: a village that is {current} cannot become {requested} (possible: {allowed})."),
    "village_not_itinerant": ("Seul un village itinérant (camion) a des arrêts.",
                              "Only an itinerant village (truck) has stops."),
    "duplicate_member": (
        "Cette personne semble déjà inscrite dans ce village : {name}. Vérifiez sa fiche, ou confirmez "
        "qu'il s'agit d'une autre personne (confirm_duplicate).",
        "This person looks already registered in this village: {name}. Check their record, or confirm "
        "it is someone else (confirm_duplicate)."),
    "consent_not_given": ("Ce consentement n'est pas en cours : rien à retirer.",
                          "This consent is not currently given: nothing to withdraw."),
    "import_refused": ("Rien n'a été importé : {count} problème(s) à corriger dans le fichier (détail par ligne).",
                       "Nothing was imported: {count} problem(s) to fix in the file (see each row)."),
    # animations and suggestions (events service)
    "already_registered": ("Cette personne est déjà inscrite (ou en liste d'attente) pour cette animation.",
                           "This person is already registered (or waiting) for this animation."),
    "animation_cancelled": ("Cette animation est annulée.", "This animation is cancelled."),
    "animation_held": ("Cette animation a déjà eu lieu (l'appel est fait).",
                       "This animation has already taken place (attendance taken)."),
    "capacity_below_registrations": (
        "La capacité ne peut pas descendre sous le nombre de personnes déjà inscrites.",
        "The capacity cannot go below the number of people already registered."),
    "already_volunteering": ("Ce·tte bénévole tient déjà un rôle à cette animation.",
                             "This volunteer already holds a role at this animation."),
    "role_full": ("Ce rôle est déjà pourvu : toutes les places de bénévoles sont prises.",
                  "This role is already filled."),
    "attendance_already_taken": ("L'appel a déjà été fait pour cette animation : les heures sont déjà créditées.",
                                 "Attendance was already taken for this animation: hours are already credited."),
    "already_supported": ("Cette personne soutient déjà cette suggestion.",
                          "This person already supports this suggestion."),
    "suggestion_status_transition": (
        "Changement d'état refusé : une suggestion {current} ne peut pas passer à l'état {requested} "
        "(possible : {allowed}).",
        "Refused: a suggestion that is {current} cannot become {requested} (possible: {allowed})."),
    "service_unavailable": ("Le service « {service} » ne répond pas pour le moment ; réessayez dans un instant.",
                            "The {service} service is not answering right now; try again shortly."),
    "internal_error": ("Erreur interne ; l'équipe technique peut la retrouver avec la référence {request_id}.",
                       "Internal error; operators can find it with reference {request_id}."),
}

THINGS = {"village": ("Village", "Village"), "member": ("Habitant·e", "Member"), "volunteer": ("Bénévole", "Volunteer"), "staff_account": ("Compte", "Account"),
          "partner": ("Partenaire", "Partner"), "stop": ("Arrêt", "Stop"),
          "opening_exception": ("Exception d'horaires", "Opening exception"),
          "animation": ("Animation", "Animation"), "registration": ("Inscription", "Registration"),
          "suggestion": ("Suggestion", "Suggestion")}

# values shown inside messages (states, days), French and English
VALUE_LABELS = {
    "preparing": ("« en préparation »", "preparing"), "open": ("« ouvert »", "open"),
    "paused": ("« en pause »", "paused"), "closed": ("« fermé »", "closed"),
    "monday": ("lundi", "monday"), "tuesday": ("mardi", "tuesday"), "wednesday": ("mercredi", "wednesday"),
    "thursday": ("jeudi", "thursday"), "friday": ("vendredi", "friday"), "saturday": ("samedi", "saturday"),
    "sunday": ("dimanche", "sunday"),
    # suggestions' workflow
    "new": ("« nouvelle »", "new"), "under_study": ("« à l'étude »", "under study"),
    "planned": ("« prévue »", "planned"), "done": ("« réalisée »", "done"), "declined": ("« refusée »", "declined"),
}
_NONE = ("aucun", "none")


def _label(value, language: int):
    if isinstance(value, (list, tuple)):
        return ", ".join(_label(v, language) for v in value) if value else _NONE[language]
    if isinstance(value, str) and value in VALUE_LABELS:
        return VALUE_LABELS[value][language]
    return value

# marshmallow's messages (and our schemas' own), English -> French; {name} captures are kept
_FIELD_PATTERNS = [
    (r"Missing data for required field\.", "Champ obligatoire."),
    (r"Unknown field\.", "Champ inconnu."),
    (r"Field may not be null\.", "Ce champ ne peut pas être vide."),
    (r"Not a valid string\.", "Texte attendu."),
    (r"Not a valid integer\.", "Nombre entier attendu."),
    (r"Not a valid number\.", "Nombre attendu."),
    (r"Not a valid boolean\.", "Oui/non attendu."),
    (r"Not a valid list\.", "Liste attendue."),
    (r"Not a valid mapping type\.", "Objet attendu."),
    (r"Not a valid email address\.", "Adresse e-mail invalide."),
    (r"Not a valid UUID\.", "Identifiant invalide."),
    (r"Not a valid datetime\.", "Date et heure invalides."),
    (r"Not a valid date\.", "Date invalide."),
    (r"Invalid input type\.", "Type de données invalide."),
    (r"Invalid value\.", "Valeur invalide."),
    (r"Length must be between (?P<a>\d+) and (?P<b>\d+)\.", "La longueur doit être comprise entre {a} et {b} caractères."),
    (r"Shorter than minimum length (?P<a>\d+)\.", "Au moins {a} caractères."),
    (r"Longer than maximum length (?P<a>\d+)\.", "Au plus {a} caractères."),
    (r"Length must be (?P<a>\d+)\.", "La longueur doit être de {a} caractères."),
    (r"Must be one of: (?P<a>.*)\.", "Valeur attendue parmi : {a}."),
    (r"Must be greater than or equal to (?P<a>\S+) and less than or equal to (?P<b>\S+)\.",
     "Doit être compris entre {a} et {b}."),
    (r"Must be greater than or equal to (?P<a>\S+)\.", "Doit être supérieur ou égal à {a}."),
    (r"Must be less than or equal to (?P<a>\S+)\.", "Doit être inférieur ou égal à {a}."),
    (r"Use lowercase letters, digits and dashes\.", "Utilisez des lettres minuscules, des chiffres et des tirets."),
    (r"An INSEE code has 5 characters \(e\.g\. (?P<a>\w+)\)\.", "Un code INSEE compte 5 caractères (ex. {a})."),
    (r"A postcode has 5 digits\.", "Un code postal compte 5 chiffres."),
    (r"A concierge belongs to one village\.", "Un compte de concierge est rattaché à un village."),
    (r"A coordinator serves the whole network, not one village\.",
     "La coordination sert tout le réseau, pas un seul village."),
    (r"Unknown village: (?P<a>.*)\.", "Village inconnu : {a}."),
    # volunteers (schemas/volunteers.py, volunteers.py)
    (r"Unknown skill: (?P<a>.*)\.", "Compétence inconnue : {a} (voir la liste des compétences du réseau)."),
    (r"This skill is already listed\.", "Cette compétence figure déjà dans la liste."),
    (r"End must be after start\.", "La fin doit être après le début."),
    (r"Overlaps the slot (?P<a>\S+) of the same day\.", "Chevauche le créneau {a} du même jour."),
    (r"Use HH:MM \(e\.g\. (?P<a>[\d:]+)\)\.", "Une heure s'écrit HH:MM (ex. {a})."),
    (r"Use YYYY-MM \(e\.g\. (?P<a>[\d-]+)\)\.", "Un mois s'écrit AAAA-MM (ex. {a})."),
    (r"A village is listed twice\.", "Un village est cité deux fois."),
    (r"A skill code is lowercase, e\.g\. (?P<a>\w+)\.", "Un code de compétence s'écrit en minuscules, ex. {a}."),
    (r"Not a valid aware datetime\.", "Date et heure avec fuseau horaire attendues (ex. 2025-06-01T10:00:00+02:00)."),
    (r"A time is written HH:MM \(e\.g\. (?P<a>[\d:]+)\)\.", "Une heure s'écrit HH:MM (ex. {a})."),
    (r"Closing time must be after opening time\.", "L'heure de fermeture doit suivre l'heure d'ouverture."),
    (r"Slots overlap on (?P<a>\w+): (?P<b>\S+) and (?P<c>\S+)\.", "Des créneaux se chevauchent le {a} : {b} et {c}."),
    (r"Slots overlap: (?P<b>\S+) and (?P<c>\S+)\.", "Des créneaux se chevauchent : {b} et {c}."),
    (r"The end date must not be before the start date\.", "La date de fin ne peut pas précéder la date de début."),
    (r"An exception lasts at most (?P<a>\d+) days\.", "Une exception dure au plus {a} jours."),
    (r"A closed day has no hours: set closed to false for special hours\.",
     "Un jour fermé n'a pas d'horaires : mettez closed à false pour des horaires spéciaux."),
    (r"Give the special hours, or mark the day closed\.", "Indiquez les horaires spéciaux, ou marquez le jour fermé."),
    (r"Each service is listed once\.", "Chaque service n'est cité qu'une fois."),
    (r"Not a Maillage API key\.", "Ce n'est pas une clé d'API Maillage."),
    # members (people) and their import
    (r"Not a valid phone number\.", "Numéro de téléphone invalide (ex. 05 55 12 34 56 ou +33 5 55 12 34 56)."),
    (r"The renewal date comes before the date joined\.", "La date de renouvellement précède la date d'adhésion."),
    (r"This channel needs a phone number\.", "Ce canal de contact demande un numéro de téléphone."),
    (r"This channel needs an email address\.", "Ce canal de contact demande une adresse e-mail."),
    (r"Give a phone number, an email or an address\.", "Indiquez un téléphone, un e-mail ou une adresse."),
    (r"A name needs at least one letter\.", "Un nom contient au moins une lettre."),
    (r"A tag is given twice\.", "Une étiquette est donnée deux fois."),
    (r"Unknown column: (?P<a>.*)\.", "Colonne inconnue : {a}."),
    (r"Missing column: (?P<a>.*)\.", "Colonne manquante : {a}."),
    (r"The file is empty\.", "Le fichier est vide."),
    (r"The file has no rows\.", "Le fichier ne contient aucune ligne."),
    (r"At most (?P<a>\d+) rows per file\.", "Au plus {a} lignes par fichier."),
    (r"More cells than columns \((?P<a>\d+) for (?P<b>\d+)\)\.", "Plus de cellules que de colonnes ({a} pour {b})."),
    (r"Unknown profile: (?P<a>.*)\.", "Profil inconnu : {a}."),
    (r"Unknown consent: (?P<a>.*)\.", "Consentement inconnu : {a}."),
    (r"Unknown channel: (?P<a>.*)\.", "Canal de contact inconnu : {a}."),
    (r"Not a valid date \(use DD/MM/YYYY\)\.", "Date invalide (format JJ/MM/AAAA)."),
    (r"Not a valid amount in euros \(e\.g\. 15 or 12,50\)\.", "Montant en euros invalide (ex. 15 ou 12,50)."),
    (r"Same person as row (?P<a>\d+)\.", "Même personne que la ligne {a}."),
    # animations and suggestions (events service)
    (r"An animation lasts at most (?P<a>\d+) days\.", "Une animation dure au plus {a} jours."),
    (r"A role is listed twice\.", "Un rôle est cité deux fois."),
    (r"A co-organiser is listed twice\.", "Un co-organisateur est cité deux fois."),
    (r"Unknown partner: (?P<a>.*)\.", "Partenaire inconnu : {a}."),
    (r"Unknown member: (?P<a>.*)\.", "Habitant·e inconnu·e du réseau : {a}."),
    (r"Unknown role: (?P<a>.*)\.", "Rôle inconnu pour cette animation : {a}."),
    (r"Give a member or a guest, not both\.", "Indiquez un·e habitant·e ou un·e invité·e, pas les deux."),
    (r"A guest needs a name and a phone\.", "Un·e invité·e a besoin d'un nom et d'un téléphone."),
    (r"Holds no role at this animation: (?P<a>.*)\.", "Ne tient aucun rôle à cette animation : {a}."),
    (r"Each volunteer appears once\.", "Chaque bénévole n'apparaît qu'une fois."),
    (r"Give the reason for declining\.", "Indiquez le motif du refus."),
    (r"A recurrence must end: give an end date \(until\) or a number of occurrences \(count\)\.",
     "Une répétition doit avoir une fin : indiquez une date de fin (until) ou un nombre de séances (count)."),
    (r"Give an end date or a number of occurrences, not both\.",
     "Indiquez une date de fin ou un nombre de séances, pas les deux."),
    (r"The end date comes before the first occurrence\.", "La date de fin précède la première séance."),
    (r"At most (?P<a>\d+) occurrences\.", "Au plus {a} séances."),
    (r"Already registered in this village: (?P<a>.*)\.", "Déjà inscrit·e dans ce village : {a}."),
]
_COMPILED = [(re.compile(f"^{pattern}$"), french) for pattern, french in _FIELD_PATTERNS]


def message(code: str, **values) -> tuple[str, str]:
    french, english = MESSAGES[code]
    return (french.format(**{k: _label(v, 0) for k, v in values.items()}),
            english.format(**{k: _label(v, 1) for k, v in values.items()}))


def thing(what: str) -> tuple[str, str]:
    return THINGS.get(what, (what, what))


def translate(text: str) -> str:
    for pattern, french in _COMPILED:
        match = pattern.match(text)
        if match:
            return french.format(**{k: _label(v, 0) for k, v in match.groupdict().items()})
    return text


def translate_field_errors(errors):
    """Same shape as marshmallow's `messages` (dicts, lists, nested), each string in French."""
    if isinstance(errors, dict):
        return {key: translate_field_errors(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate_field_errors(value) for value in errors]
    if isinstance(errors, str):
        return translate(errors)
    return errors


# columns of a members import, as a concierge names them
IMPORT_COLUMNS = {
    "last_name": "Nom", "first_name": "Prénom", "phone": "Téléphone", "email": "E-mail", "address": "Adresse",
    "postcode": "Code postal", "city": "Commune", "tags": "Profil", "preferred_channel": "Canal préféré",
    "joined_on": "Date d'adhésion", "fee_cents": "Cotisation", "renewal_on": "Date de renouvellement",
    "consents": "Consentements", "header": "En-tête", "file": "Fichier",
}


def import_problems(problems: list[dict]) -> list[dict]:
    """An import report's problems with their French message and column name."""
    return [{**problem, "column": IMPORT_COLUMNS.get(problem["field"], problem["field"]),
             "message": translate(problem["message_en"])} for problem in problems]
