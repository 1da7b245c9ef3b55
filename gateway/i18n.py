"""What people read, in French first (English beside it). One catalogue; add a language here.

`message(code)` gives (fr, en) for an error code; `translate_field_errors` turns marshmallow's
English field messages into French ones, keeping the same shape.
"""

from __future__ import annotations

import re

MESSAGES = {
    "invalid_input": (
        "Certaines informations sont invalides : voyez les champs signalés.",
        "Some fields are invalid: see the fields listed.",
    ),
    "body_too_large": (
        "Le contenu envoyé est trop gros (au plus {limit} Mo).",
        "The request body is too large (at most {limit} MB).",
    ),
    "invalid_json": (
        "La requête doit contenir un objet JSON valide.",
        "The request body must be a valid JSON object.",
    ),
    "authentication_required": ("Connectez-vous pour continuer.", "Sign in to continue."),
    "token_expired": (
        "Votre session a expiré : reconnectez-vous.",
        "Your session has expired: sign in again.",
    ),
    "token_invalid": (
        "Jeton de connexion invalide : reconnectez-vous.",
        "Invalid token: sign in again.",
    ),
    "bad_credentials": ("Adresse e-mail ou mot de passe incorrect.", "Wrong email or password."),
    "login_form_expired": (
        "La page de connexion a expiré ou ne vient pas d'ici : "
        "saisissez à nouveau vos identifiants.",
        "The sign-in page expired or did not come from here: enter your credentials again.",
    ),
    "too_many_attempts": (
        "Trop de tentatives de connexion : réessayez dans {wait}.",
        "Too many sign-in attempts: try again in {wait_en}.",
    ),
    "token_revoked": (
        "Cette session a été fermée (déconnexion, mot de passe changé ou compte désactivé) : "
        "reconnectez-vous.",
        "This session was ended (signed out, password changed or account disabled): sign in again.",
    ),
    "bad_current_password": (
        "Le mot de passe actuel est incorrect.",
        "The current password is wrong.",
    ),
    "bad_reset_code": (
        "Ce code de réinitialisation est inconnu, déjà utilisé ou expiré : demandez-en un nouveau "
        "à la coordination.",
        "This reset code is unknown, already used or expired: ask the coordination for a new one.",
    ),
    "cannot_disable_self": (
        "Vous ne pouvez pas désactiver votre propre compte.",
        "You cannot disable your own account.",
    ),
    "bad_api_key": ("Clé d'API inconnue ou révoquée.", "Unknown or revoked API key."),
    "role_forbidden": (
        "Votre rôle ({role}) ne permet pas cette action ; rôles autorisés : {allowed}.",
        "Your role ({role}) may not do this; allowed roles: {allowed}.",
    ),
    "village_forbidden": (
        "Vous ne pouvez agir que sur votre village ; ce village n'est pas le vôtre.",
        "You may only act on your own village; this one is not yours.",
    ),
    "not_found": ("{what} introuvable.", "{what} not found."),
    "route_not_found": ("Cette adresse n'existe pas : {path}.", "No such route: {path}."),
    "method_not_allowed": (
        "Méthode {method} non permise ici.",
        "Method {method} is not allowed here.",
    ),
    "conflict": ("Conflit avec l'existant : {reason}.", "Conflicts with existing data: {reason}."),
    "slug_taken": (
        "Ce nom court est déjà utilisé par un autre village.",
        "This slug is already used by another village.",
    ),
    "email_taken": ("Cette adresse e-mail a déjà un compte.", "This email already has an account."),
    "already_volunteer": (
        "Cette personne est déjà inscrite comme bénévole : modifiez sa fiche.",
        "This person is already a volunteer: edit their profile.",
    ),
    "village_status_transition": (
        "Changement d'état refusé : un village {current} ne peut pas passer à l'état {requested} "
        "(possible : {allowed}).",
        "Refused: a village that is {current} cannot become {requested} (possible: {allowed}).",
    ),
    "village_not_itinerant": (
        "Seul un village itinérant (camion) a des arrêts.",
        "Only an itinerant village (truck) has stops.",
    ),
    "duplicate_member": (
        "Cette personne semble déjà inscrite dans ce village : {name}. Vérifiez sa fiche, ou "
        "confirmez qu'il s'agit d'une autre personne (confirm_duplicate).",
        "This person looks already registered in this village: {name}. Check their record, or "
        "confirm it is someone else (confirm_duplicate).",
    ),
    "consent_not_given": (
        "Ce consentement n'est pas en cours : rien à retirer.",
        "This consent is not currently given: nothing to withdraw.",
    ),
    "import_refused": (
        "Rien n'a été importé : {count} problème(s) à corriger dans le fichier (détail par ligne).",
        "Nothing was imported: {count} problem(s) to fix in the file (see each row).",
    ),
    # animations and suggestions (events service)
    "already_registered": (
        "Cette personne est déjà inscrite (ou en liste d'attente) pour cette animation.",
        "This person is already registered (or waiting) for this animation.",
    ),
    "animation_cancelled": ("Cette animation est annulée.", "This animation is cancelled."),
    "animation_held": (
        "Cette animation a déjà eu lieu (l'appel est fait).",
        "This animation has already taken place (attendance taken).",
    ),
    "capacity_below_registrations": (
        "La capacité ne peut pas descendre sous le nombre de personnes déjà inscrites.",
        "The capacity cannot go below the number of people already registered.",
    ),
    "already_volunteering": (
        "Ce·tte bénévole tient déjà un rôle à cette animation.",
        "This volunteer already holds a role at this animation.",
    ),
    "role_full": (
        "Ce rôle est déjà pourvu : toutes les places de bénévoles sont prises.",
        "This role is already filled.",
    ),
    "attendance_already_taken": (
        "L'appel a déjà été fait pour cette animation : les heures sont déjà créditées.",
        "Attendance was already taken for this animation: hours are already credited.",
    ),
    "already_supported": (
        "Cette personne soutient déjà cette suggestion.",
        "This person already supports this suggestion.",
    ),
    "suggestion_status_transition": (
        "Changement d'état refusé : une suggestion {current} ne peut pas passer à "
        "l'état {requested} (possible : {allowed}).",
        "Refused: a suggestion that is {current} cannot become {requested} (possible: {allowed}).",
    ),
    # the counter: orders, parcels, pooled supplier orders (orders service)
    "order_status_transition": (
        "Changement d'état refusé : une commande {current} ne peut pas passer à l'état {requested} "
        "(possible : {allowed}).",
        "Refused: an order that is {current} cannot become {requested} (possible: {allowed}).",
    ),
    "order_is_home_delivery": (
        "Cette commande est livrée à domicile : elle ne se retire pas au comptoir.",
        "This order is delivered at home: it is not collected at the counter.",
    ),
    "order_not_home_delivery": (
        "Cette commande n'est pas une livraison à domicile.",
        "This order is not a home delivery.",
    ),
    "wrong_pickup_code": (
        "Code de retrait incorrect : rien n'a été remis.",
        "Wrong pickup code: nothing was handed over.",
    ),
    "line_already_answered": (
        "Cette ligne de commande a déjà reçu une réponse.",
        "This order line has already been answered.",
    ),
    "order_not_awaiting": (
        "Cette commande n'attend plus de réponse du fournisseur : elle est {status}.",
        "This order no longer awaits the supplier's answer: it is {status}.",
    ),
    "cutoff_passed": (
        "L'heure limite de commande est passée : la commande au fournisseur est partie.",
        "The cut-off has passed: the supplier order is on its way.",
    ),
    "purchase_order_closed": (
        "Cette commande mutualisée est déjà close.",
        "This pooled order is already closed.",
    ),
    "purchase_order_empty": (
        "Cette commande mutualisée n'a aucune ligne à envoyer.",
        "This pooled order has no line to send.",
    ),
    "parcel_not_waiting": (
        "Ce colis n'est plus en attente (déjà remis ou retourné).",
        "This parcel is no longer waiting (already handed over or returned).",
    ),
    "animation_hosted_elsewhere": (
        "Seul le village qui accueille cette animation peut la "
        "modifier ; votre village y est invité.",
        "Only the village hosting this animation may change it; your village is invited to it.",
    ),
    "not_a_guest": (
        "Cette inscription est celle d'un·e habitant·e : son effacement passe par sa fiche.",
        "This registration is a member's: erase them from their record.",
    ),
    "guest_already_erased": (
        "Le nom et le téléphone de cet·te invité·e sont déjà effacés.",
        "This guest's name and phone are already erased.",
    ),
    "notice_not_a_call": (
        "Seul un appel se marque « fait » à la main : ce message part tout seul ({channel}).",
        "Only a call is marked done by hand: this message is sent by itself ({channel}).",
    ),
    "notice_already_done": (
        "Cette personne est déjà marquée comme prévenue.",
        "This person is already marked as told.",
    ),
    # offers, catalogues and campaigns (partners service)
    "already_in_catalogue": (
        "Cette offre est déjà au catalogue du village : changez plutôt son prix local.",
        "This offer is already in the village's catalogue: change its local price instead.",
    ),
    "offer_in_catalogue": (
        "Des villages vendent encore cette offre : retirez-la d'abord de leur catalogue.",
        "Villages still sell this offer: remove it from their catalogue first.",
    ),
    "partner_ended": (
        "Ce partenariat a pris fin : plus d'offre, de catalogue, d'abonnement ni de clé pour ce "
        "partenaire.",
        "This partnership has ended: no more offers, catalogue entries, subscriptions or keys for "
        "this partner.",
    ),
    "campaign_closed": (
        "Cette campagne est close (financée, échouée ou échue) : plus de promesse de don.",
        "This campaign is closed (funded, failed or past its deadline): no more pledges.",
    ),
    # partners' subscriptions (webhooks, AMQP feed)
    "webhook_deleted": (
        "Ce webhook a été supprimé : son envoi ne peut plus être refait.",
        "This webhook was deleted: its delivery cannot be sent again.",
    ),
    "feed_unavailable": (
        "Le compte du flux AMQP n'a pas pu être créé : l'administration du courtier ne répond pas "
        "ou refuse ; réessayez plus tard.",
        "The AMQP feed account could not be created: the broker's management API is away or "
        "refused; try again later.",
    ),
    # help requests (coups de main) and rounds (orders service)
    "help_request_transition": (
        "Changement d'état refusé : une demande de coup de main {current} ne peut pas passer à "
        "l'état {requested} (possible : {allowed}).",
        "Refused: a help request that is {current} cannot "
        "become {requested} (possible: {allowed}).",
    ),
    "volunteer_not_candidate": (
        "Ce·tte bénévole ne fait pas partie des candidat·es pour cette demande (compétence, "
        "disponibilité ou distance) : choisissez dans la liste proposée.",
        "This volunteer is not among the candidates for this request (skill, "
        "availability or distance): pick one from the list.",
    ),
    "vehicle_name_taken": ("Un véhicule porte déjà ce nom.", "A vehicle already has this name."),
    "vehicle_already_on_round": (
        "Ce véhicule a déjà une tournée ce jour-là ({date}).",
        "This vehicle already has a round that day ({date}).",
    ),
    "round_without_stops": (
        "Rien à livrer ni à enlever ce jour-là ({date}) : pas de tournée.",
        "Nothing to deliver or pick up that day ({date}): no round.",
    ),
    "round_over_capacity": (
        "La tournée dépasse la capacité du véhicule : {load} caisses/colis pour {capacity} places "
        "({overflow} de trop).",
        "The round exceeds the vehicle's capacity: {load} crates/parcels for {capacity} places "
        "({overflow} too many).",
    ),
    "round_changed_meanwhile": (
        "Une autre tournée vient de prendre ce véhicule ou ces arrêts : planifiez à nouveau.",
        "Another round just took this vehicle or these stops: plan again.",
    ),
    "round_stop_done": (
        "Cet arrêt de la tournée est déjà fait.",
        "This stop of the round is already done.",
    ),
    "service_unavailable": (
        "Le service « {service} » ne répond pas pour le moment ; réessayez dans un instant.",
        "The {service} service is not answering right now; try again shortly.",
    ),
    "internal_error": (
        "Erreur interne ; l'équipe technique peut la retrouver avec la référence {request_id}.",
        "Internal error; operators can find it with reference {request_id}.",
    ),
}

THINGS = {
    "help_request": ("Demande de coup de main", "Help request"),
    "round": ("Tournée", "Round"),
    "round_stop": ("Arrêt de tournée", "Round stop"),
    "vehicle": ("Véhicule", "Vehicle"),
    "village": ("Village", "Village"),
    "member": ("Habitant·e", "Member"),
    "volunteer": ("Bénévole", "Volunteer"),
    "staff_account": ("Compte", "Account"),
    "partner": ("Partenaire", "Partner"),
    "stop": ("Arrêt", "Stop"),
    "opening_exception": ("Exception d'horaires", "Opening exception"),
    "animation": ("Animation", "Animation"),
    "registration": ("Inscription", "Registration"),
    "suggestion": ("Suggestion", "Suggestion"),
    "offer": ("Offre", "Offer"),
    "catalogue_item": ("Article du catalogue", "Catalogue item"),
    "campaign": ("Campagne", "Campaign"),
    "notice": ("Personne à prévenir", "Notice"),
    "order": ("Commande", "Order"),
    "order_line": ("Ligne de commande", "Order line"),
    "parcel": ("Colis", "Parcel"),
    "purchase_order": ("Commande mutualisée", "Pooled order"),
    "webhook": ("Webhook", "Webhook"),
    "delivery": ("Envoi", "Delivery"),
}

# values shown inside messages (states, days), French and English
VALUE_LABELS = {
    # help requests' workflow (besides confirmed, cancelled, done below)
    "requested": ("« demandée »", "requested"),
    "unmatched": ("« sans bénévole »", "unmatched"),
    "assigned": ("« confiée »", "assigned"),
    "accepted": ("« acceptée »", "accepted"),
    "preparing": ("« en préparation »", "preparing"),
    "open": ("« ouvert »", "open"),
    "paused": ("« en pause »", "paused"),
    "closed": ("« fermé »", "closed"),
    "monday": ("lundi", "monday"),
    "tuesday": ("mardi", "tuesday"),
    "wednesday": ("mercredi", "wednesday"),
    "thursday": ("jeudi", "thursday"),
    "friday": ("vendredi", "friday"),
    "saturday": ("samedi", "saturday"),
    "sunday": ("dimanche", "sunday"),
    # suggestions' workflow
    "new": ("« nouvelle »", "new"),
    "under_study": ("« à l'étude »", "under study"),
    "planned": ("« prévue »", "planned"),
    "done": ("« réalisée »", "done"),
    "declined": ("« refusée »", "declined"),
    # orders' state machine
    "placed": ("« passée »", "placed"),
    "confirmed": ("« confirmée »", "confirmed"),
    "ready": ("« prête »", "ready"),
    "collected": ("« retirée »", "collected"),
    "delivered": ("« livrée »", "delivered"),
    "cancelled": ("« annulée »", "cancelled"),
    "refused": ("« refusée »", "refused"),
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
    # help requests and rounds (orders service)
    (
        r"A help request lasts at most (?P<a>\d+) hours\.",
        "Un coup de main dure au plus {a} heures.",
    ),
    (
        r"Give a volunteer driver or a logistics partner, one of them\.",
        "Indiquez un·e bénévole chauffeur ou un partenaire logistique, l'un des deux.",
    ),
    (r"Not an active volunteer: (?P<a>.*)\.", "Pas un·e bénévole en activité : {a}."),
    (r"This volunteer has no driving licence\.", "Ce·tte bénévole n'a pas le permis de conduire."),
    (r"Unknown vehicle: (?P<a>.*)\.", "Véhicule inconnu : {a}."),
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
    (
        r"Length must be between (?P<a>\d+) and (?P<b>\d+)\.",
        "La longueur doit être comprise entre {a} et {b} caractères.",
    ),
    (r"Shorter than minimum length (?P<a>\d+)\.", "Au moins {a} caractères."),
    (r"Longer than maximum length (?P<a>\d+)\.", "Au plus {a} caractères."),
    (r"Length must be (?P<a>\d+)\.", "La longueur doit être de {a} caractères."),
    (r"Must be one of: (?P<a>.*)\.", "Valeur attendue parmi : {a}."),
    (r"Nested too deeply: at most (?P<a>\d+) levels\.", "Trop de niveaux imbriqués : au plus {a}."),
    (
        r"Must be greater than or equal to (?P<a>\S+) and less than or equal to (?P<b>\S+)\.",
        "Doit être compris entre {a} et {b}.",
    ),
    (r"Must be greater than or equal to (?P<a>\S+)\.", "Doit être supérieur ou égal à {a}."),
    (r"Must be less than or equal to (?P<a>\S+)\.", "Doit être inférieur ou égal à {a}."),
    (
        r"Use lowercase letters, digits and dashes\.",
        "Utilisez des lettres minuscules, des chiffres et des tirets.",
    ),
    (
        r"An INSEE code has 5 characters \(e\.g\. (?P<a>\w+)\)\.",
        "Un code INSEE compte 5 caractères (ex. {a}).",
    ),
    (r"A postcode has 5 digits\.", "Un code postal compte 5 chiffres."),
    (r"A concierge belongs to one village\.", "Un compte de concierge est rattaché à un village."),
    (
        r"A coordinator serves the whole network, not one village\.",
        "La coordination sert tout le réseau, pas un seul village.",
    ),
    (r"Unknown village: (?P<a>.*)\.", "Village inconnu : {a}."),
    # volunteers (schemas/volunteers.py, volunteers.py)
    (
        r"Unknown skill: (?P<a>.*)\.",
        "Compétence inconnue : {a} (voir la liste des compétences du réseau).",
    ),
    (r"This skill is already listed\.", "Cette compétence figure déjà dans la liste."),
    (r"End must be after start\.", "La fin doit être après le début."),
    (r"Overlaps the slot (?P<a>\S+) of the same day\.", "Chevauche le créneau {a} du même jour."),
    (r"Use HH:MM \(e\.g\. (?P<a>[\d:]+)\)\.", "Une heure s'écrit HH:MM (ex. {a})."),
    (r"Use YYYY-MM \(e\.g\. (?P<a>[\d-]+)\)\.", "Un mois s'écrit AAAA-MM (ex. {a})."),
    (r"A village is listed twice\.", "Un village est cité deux fois."),
    (
        r"A skill code is lowercase, e\.g\. (?P<a>\w+)\.",
        "Un code de compétence s'écrit en minuscules, ex. {a}.",
    ),
    (
        r"Not a valid aware datetime\.",
        "Date et heure avec fuseau horaire attendues (ex. 2025-06-01T10:00:00+02:00).",
    ),
    (r"A time is written HH:MM \(e\.g\. (?P<a>[\d:]+)\)\.", "Une heure s'écrit HH:MM (ex. {a})."),
    (
        r"Closing time must be after opening time\.",
        "L'heure de fermeture doit suivre l'heure d'ouverture.",
    ),
    (
        r"Slots overlap on (?P<a>\w+): (?P<b>\S+) and (?P<c>\S+)\.",
        "Des créneaux se chevauchent le {a} : {b} et {c}.",
    ),
    (r"Slots overlap: (?P<b>\S+) and (?P<c>\S+)\.", "Des créneaux se chevauchent : {b} et {c}."),
    (
        r"The end date must not be before the start date\.",
        "La date de fin ne peut pas précéder la date de début.",
    ),
    (r"An exception lasts at most (?P<a>\d+) days\.", "Une exception dure au plus {a} jours."),
    (
        r"A closed day has no hours: set closed to false for special hours\.",
        "Un jour fermé n'a pas d'horaires : mettez closed à false pour des horaires spéciaux.",
    ),
    (
        r"Give the special hours, or mark the day closed\.",
        "Indiquez les horaires spéciaux, ou marquez le jour fermé.",
    ),
    (r"Each service is listed once\.", "Chaque service n'est cité qu'une fois."),
    (r"Not a Maillage API key\.", "Ce n'est pas une clé d'API Maillage."),
    # members (people) and their import
    (
        r"Not a valid phone number\.",
        "Numéro de téléphone invalide (ex. 05 55 12 34 56 ou +33 5 55 12 34 56).",
    ),
    (
        r"The renewal date comes before the date joined\.",
        "La date de renouvellement précède la date d'adhésion.",
    ),
    (r"This channel needs a phone number\.", "Ce canal de contact demande un numéro de téléphone."),
    (r"This channel needs an email address\.", "Ce canal de contact demande une adresse e-mail."),
    (
        r"Give a phone number, an email or an address\.",
        "Indiquez un téléphone, un e-mail ou une adresse.",
    ),
    (r"A name needs at least one letter\.", "Un nom contient au moins une lettre."),
    (r"A tag is given twice\.", "Une étiquette est donnée deux fois."),
    (r"Unknown column: (?P<a>.*)\.", "Colonne inconnue : {a}."),
    (r"Missing column: (?P<a>.*)\.", "Colonne manquante : {a}."),
    (r"The file is empty\.", "Le fichier est vide."),
    (r"The file has no rows\.", "Le fichier ne contient aucune ligne."),
    (r"At most (?P<a>\d+) rows per file\.", "Au plus {a} lignes par fichier."),
    (
        r"More cells than columns \((?P<a>\d+) for (?P<b>\d+)\)\.",
        "Plus de cellules que de colonnes ({a} pour {b}).",
    ),
    (r"Unknown profile: (?P<a>.*)\.", "Profil inconnu : {a}."),
    (r"Unknown consent: (?P<a>.*)\.", "Consentement inconnu : {a}."),
    (r"Unknown channel: (?P<a>.*)\.", "Canal de contact inconnu : {a}."),
    (r"Not a valid date \(use DD/MM/YYYY\)\.", "Date invalide (format JJ/MM/AAAA)."),
    (
        r"Not a valid amount in euros \(e\.g\. 15 or 12,50\)\.",
        "Montant en euros invalide (ex. 15 ou 12,50).",
    ),
    (r"Same person as row (?P<a>\d+)\.", "Même personne que la ligne {a}."),
    # animations and suggestions (events service)
    (r"An animation lasts at most (?P<a>\d+) days\.", "Une animation dure au plus {a} jours."),
    # coordinator's figures (services/*/figures.py)
    (r"At most (?P<a>\d+) days\.", "Une période compte au plus {a} jours."),
    (r"A role is listed twice\.", "Un rôle est cité deux fois."),
    (r"A co-organiser is listed twice\.", "Un co-organisateur est cité deux fois."),
    (r"Unknown partner: (?P<a>.*)\.", "Partenaire inconnu : {a}."),
    (r"Not a logistics partner: (?P<a>.*)\.", "Ce partenaire ne fait pas de logistique : {a}."),
    (r"Unknown member: (?P<a>.*)\.", "Habitant·e inconnu·e du réseau : {a}."),
    (
        r"Not a member of the villages of this animation: (?P<a>.*)\.",
        "Cette personne n'habite aucun des villages de cette animation que vous servez : {a}.",
    ),
    (r"Unknown role: (?P<a>.*)\.", "Rôle inconnu pour cette animation : {a}."),
    (
        r"Give a member or a guest, not both\.",
        "Indiquez un·e habitant·e ou un·e invité·e, pas les deux.",
    ),
    (r"A guest needs a name and a phone\.", "Un·e invité·e a besoin d'un nom et d'un téléphone."),
    (
        r"Holds no role at this animation: (?P<a>.*)\.",
        "Ne tient aucun rôle à cette animation : {a}.",
    ),
    (r"Each volunteer appears once\.", "Chaque bénévole n'apparaît qu'une fois."),
    (r"Give the reason for declining\.", "Indiquez le motif du refus."),
    (
        r"A recurrence must end: give an end date \(until\) or a number of occurrences \(count\)\.",
        "Une répétition doit avoir une fin : indiquez une date de fin "
        "(until) ou un nombre de séances (count).",
    ),
    (
        r"Give an end date or a number of occurrences, not both\.",
        "Indiquez une date de fin ou un nombre de séances, pas les deux.",
    ),
    (
        r"The end date comes before the first occurrence\.",
        "La date de fin précède la première séance.",
    ),
    (r"At most (?P<a>\d+) occurrences\.", "Au plus {a} séances."),
    (r"Already registered in this village: (?P<a>.*)\.", "Déjà inscrit·e dans ce village : {a}."),
    # animations across villages, attendance, answers (events service)
    (
        r"The host village is not invited: it hosts\.",
        "Le village qui accueille n'est pas invité : il accueille.",
    ),
    (
        r"Not a registration of this animation: (?P<a>.*)\.",
        "Pas une inscription de cette animation : {a}.",
    ),
    (
        r"Give the people present or a head count\.",
        "Indiquez les personnes présentes ou un nombre de personnes.",
    ),
    (
        r"Give the people present or a head count, not both\.",
        "Indiquez les personnes présentes ou un nombre de personnes, pas les deux.",
    ),
    (
        r"People who came without registering are counted with the people present\.",
        "Les personnes venues sans inscription se comptent avec les personnes présentes.",
    ),
    (r"A registration is listed twice\.", "Une inscription est citée deux fois."),
    (
        r"Only a planned or done suggestion is answered by something\.",
        "Seule une suggestion prévue ou réalisée a une réponse.",
    ),
    (r"Unknown offer: (?P<a>.*)\.", "Offre inconnue : {a}."),
    (r"Unknown animation: (?P<a>.*)\.", "Animation inconnue : {a}."),
    # the counter: orders and parcels (orders service)
    (
        r"A quantity is at least 1 \(at most (?P<a>\d+)\)\.",
        "Une quantité vaut au moins 1 (au plus {a}).",
    ),
    (r"Home delivery needs an address\.", "Une livraison à domicile demande une adresse."),
    (
        r"Home delivery is for members who cannot come \(fragile, "
        r"reduced mobility or without a car\)\.",
        "La livraison à domicile est pour les personnes qui ne peuvent pas venir "
        "(fragiles, à mobilité réduite ou sans voiture).",
    ),
    (r"Say at which stop of the truck\.", "Indiquez à quel arrêt du camion."),
    (
        r"An item is listed twice: give one line with the total quantity\.",
        "Un article est cité deux fois : une seule ligne avec la quantité totale.",
    ),
    (r"An order has 1 to (?P<a>\d+) lines\.", "Une commande compte de 1 à {a} lignes."),
    (
        r"Say which locker compartment it is in\.",
        "Indiquez dans quel compartiment du casier elle se trouve.",
    ),
    (r"Give the reason for refusing\.", "Indiquez le motif du refus."),
    (r"Unknown member in this village: (?P<a>.*)\.", "Habitant·e inconnu·e dans ce village : {a}."),
    (r"The date is in the past\.", "Cette date est déjà passée."),
    (r"Not in this village's catalogue: (?P<a>.*)\.", "Absent du catalogue de ce village : {a}."),
    (r"Out of stock: (?P<a>.*)\.", "En rupture : {a}."),
    (
        r"Not delivered on that day: (?P<a>.*) \(days: (?P<b>.*)\)\.",
        "Pas livré ce jour-là : {a} (jours : {b}).",
    ),
    (
        r"Too late for that day: orders for (?P<a>.*) closed on (?P<b>.*)\.",
        "Trop tard pour ce jour-là : les commandes de {a} ont fermé le {b}.",
    ),
    (
        r"The supplier's order for that day is already sent: (?P<a>.*)\.",
        "La commande au fournisseur pour ce jour-là est déjà partie : {a}.",
    ),
    # partners, offers, catalogues, funding (partners service)
    (
        r"Not a valid SIRET \(14 digits, checked\)\.",
        "SIRET invalide (14 chiffres, clé de contrôle vérifiée).",
    ),
    (r"Give a phone number or an email\.", "Indiquez un téléphone ou un e-mail."),
    (r"A relationship is listed twice\.", "Une relation est citée deux fois."),
    (
        r"Give relationships, contacts or a SIRET\.",
        "Indiquez des relations, des contacts ou un SIRET.",
    ),
    (
        r"A village scope lists one village, a cluster several, the network none\.",
        "Une portée « village » cite un village, une grappe plusieurs, le réseau aucun.",
    ),
    (r"A day is listed twice\.", "Un jour est cité deux fois."),
    (r"Give a price or an availability\.", "Indiquez un prix ou une disponibilité."),
    (r"Not served by this partner: (?P<a>.*)\.", "Village non servi par ce partenaire : {a}."),
    (
        r"This offer is not available in this village: its partner does not serve it\.",
        "Cette offre n'est pas proposée dans ce village : son partenaire ne le dessert pas.",
    ),
    (
        r"A service contract lists the services bought\.",
        "Un contrat de prestation liste les services achetés.",
    ),
    (
        r"A service contract has a period: give its end date\.",
        "Un contrat de prestation a une période : indiquez sa date de fin.",
    ),
    (
        r"A service contract names the local authority buying\.",
        "Un contrat de prestation nomme la collectivité qui achète.",
    ),
    (
        r"A service contract is bought by a local authority\.",
        "Un contrat de prestation est acheté par une collectivité.",
    ),
    (r"The deadline must be in the future\.", "L'échéance doit être dans le futur."),
    (
        r"Give the reason the partnership ends \(at least 3 characters\)\.",
        "Indiquez le motif de la fin du partenariat (au moins 3 caractères).",
    ),
    (
        r"Give a member or a partner, not both\.",
        "Indiquez un·e habitant·e ou un partenaire, pas les deux.",
    ),
    # partners' subscriptions
    (
        r"A webhook URL starts with http:// or https://\.",
        "L'adresse d'un webhook commence par http:// ou https://.",
    ),
    (
        r"A webhook URL names a host \(e\.g\. (?P<a>\S+)\)\.",
        "L'adresse d'un webhook nomme un serveur (ex. {a}).",
    ),
    (
        r"A webhook URL must reach the partner on the internet, not an internal address\.",
        "L'adresse d'un webhook doit joindre le partenaire sur internet, pas une adresse interne.",
    ),
    (r"Unknown event type: (?P<a>.*)\.", "Type d'événement inconnu : {a}."),
    (r"An event type is listed twice\.", "Un type d'événement est cité deux fois."),
]
_COMPILED = [(re.compile(f"^{pattern}$"), french) for pattern, french in _FIELD_PATTERNS]


def message(code: str, **values) -> tuple[str, str]:
    french, english = MESSAGES[code]
    return (
        french.format(**{k: _label(v, 0) for k, v in values.items()}),
        english.format(**{k: _label(v, 1) for k, v in values.items()}),
    )


def duration(seconds: int) -> tuple[str, str]:
    """A wait, in words: (fr, en), e.g. ("4 secondes", "4 seconds"), ("15
    minutes", "15 minutes")."""
    seconds = max(1, int(seconds))
    if seconds < 60:
        return (
            f"{seconds} seconde{'s' if seconds > 1 else ''}",
            f"{seconds} second{'s' if seconds > 1 else ''}",
        )
    minutes = -(-seconds // 60)
    return (
        f"{minutes} minute{'s' if minutes > 1 else ''}",
        f"{minutes} minute{'s' if minutes > 1 else ''}",
    )


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
    "last_name": "Nom",
    "first_name": "Prénom",
    "phone": "Téléphone",
    "email": "E-mail",
    "address": "Adresse",
    "postcode": "Code postal",
    "city": "Commune",
    "tags": "Profil",
    "preferred_channel": "Canal préféré",
    "joined_on": "Date d'adhésion",
    "fee_cents": "Cotisation",
    "renewal_on": "Date de renouvellement",
    "consents": "Consentements",
    "header": "En-tête",
    "file": "Fichier",
}


def import_problems(problems: list[dict]) -> list[dict]:
    """An import report's problems with their French message and column name."""
    return [
        {
            **problem,
            "column": IMPORT_COLUMNS.get(problem["field"], problem["field"]),
            "message": translate(problem["message_en"]),
        }
        for problem in problems
    ]
