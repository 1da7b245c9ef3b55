"""What the gateway says, in French first (English beside it): its error codes and the things
they name. Add a language here and in backbone/messages.py.

`message(code)` gives (fr, en) for an error code. Field messages are not here: they come from the
catalogue of field messages (backbone/messages.py), in both languages, with the error itself
(`InvalidInput.errors_fr` and `.errors`); nothing is translated after the fact.
"""

from __future__ import annotations

from backbone.formats import ENGLISH as ENGLISH_FORMATS
from backbone.formats import counted
from backbone.messages import ENGLISH, FRENCH, label

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
    "personal_link_invalid": (
        "Ce lien de connexion n'est plus valable (déjà utilisé, expiré ou inconnu) : demandez-en "
        "un nouveau.",
        "This sign-in link is no longer valid (already used, expired or unknown): ask for a new "
        "one.",
    ),
    "personal_session_ended": (
        "Votre session est terminée : demandez un nouveau lien de connexion.",
        "Your session has ended: ask for a new sign-in link.",
    ),
    "too_many_links": (
        "Trop de demandes de lien : réessayez dans {wait}.",
        "Too many link requests: try again in {wait_en}.",
    ),
    "cannot_disable_self": (
        "Vous ne pouvez pas désactiver votre propre compte.",
        "You cannot disable your own account.",
    ),
    "bad_commune_link": (
        "Ce lien n'est plus valable : demandez-en un nouveau à la coordination du réseau.",
        "This link is no longer valid: ask the network's coordination for a new one.",
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
    "grappe_name_taken": (
        "Une autre grappe porte déjà ce nom.",
        "Another grappe already has this name.",
    ),
    "skill_taken": (
        "Cette compétence figure déjà dans la liste.",
        "This skill is already listed.",
    ),
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
        "Rien n'a été importé : {problems} à corriger dans le fichier (détail par ligne).",
        "Nothing was imported: {problems_en} to fix in the file (see each row).",
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
    "till_already_closed": (
        "La caisse de ce jour est déjà clôturée : une seule clôture (Z) par jour.",
        "The till of this day is closed already: one closing (Z) a day.",
    ),
    "till_day_closed": (
        "La caisse de ce jour est clôturée : plus de vente ni de remboursement ce jour-là.",
        "The till of this day is closed: no more sales nor refunds that day.",
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
    "purchase_order_not_sent": (
        "Cette commande mutualisée n'est pas encore partie chez le fournisseur.",
        "This pooled order has not been sent to the supplier yet.",
    ),
    "stock_already_received": (
        "Cette commande mutualisée est déjà mise en rayon.",
        "This pooled order is already on the shelf.",
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
    "volunteer_busy": (
        "Cette personne est déjà attendue pour {mission} à {village}, {when} – {until} : les "
        "heures se chevauchent ou ne laissent pas le temps du trajet entre les villages.",
        "This volunteer is already expected for {mission} in {village}, {when} – {until}: the "
        "hours overlap or leave no time to travel between the villages.",
    ),
    "partner_sold_there": (
        "Des villages vendent encore les offres de ce partenaire : retirez-les d'abord de leur "
        "catalogue, ou gardez ces villages parmi ceux qu'il sert.",
        "Villages still sell this partner's offers: remove them from their catalogue first, or "
        "keep those villages among those it serves.",
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
    "campaign_already_closed": (
        "Cette campagne est déjà close.",
        "This campaign is already closed.",
    ),
    "invoice_already_issued": (
        "La facture de ce contrat pour ce mois est déjà émise : un numéro n'est jamais donné deux "
        "fois.",
        "This contract's invoice for this month is already issued: a number is never given twice.",
    ),
    "nothing_to_invoice": (
        "Rien à facturer ce mois-ci : aucun service du contrat n'a été rendu dans ses villages.",
        "Nothing to invoice this month: no service of the contract was delivered in its villages.",
    ),
    "invoice_already_sent": ("Cette facture est déjà envoyée.", "This invoice was already sent."),
    "invoice_already_paid": ("Cette facture est déjà payée.", "This invoice is already paid."),
    "invoice_not_sent": (
        "Cette facture n'est pas encore envoyée : envoyez-la avant de la marquer payée.",
        "This invoice has not been sent: send it before marking it paid.",
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
    "vehicle_retired": (
        "Ce véhicule est retiré du service ({vehicle}) : il ne change plus.",
        "This vehicle is retired ({vehicle}): it no longer changes.",
    ),
    "vehicle_has_rounds": (
        "Ce véhicule a encore une tournée prévue le {date} : elle doit d'abord être faite.",
        "This vehicle still has a round planned on {date}: it must be done first.",
    ),
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
    "round_stop_missed": (
        "Cet arrêt de la tournée est déjà noté manqué.",
        "This stop of the round is already marked missed.",
    ),
    "parcel_not_known_yet": (
        "Le colis vient d'arriver : le code pourra être renvoyé dans un instant.",
        "The parcel has just arrived: its code can be sent again in a moment.",
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
    "grappe": ("Grappe", "Grappe"),
    "member": ("Habitant·e", "Member"),
    "volunteer": ("Bénévole", "Volunteer"),
    "staff_account": ("Compte", "Account"),
    "partner": ("Partenaire", "Partner"),
    "stop": ("Arrêt", "Stop"),
    "opening_exception": ("Exception d'horaires", "Opening exception"),
    "permanence": ("Permanence", "Permanence"),
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
    "service_contract": ("Contrat de prestation", "Service contract"),
    "invoice": ("Facture", "Invoice"),
    "delivery": ("Envoi", "Delivery"),
}


def message(code: str, **values) -> tuple[str, str]:
    french, english = MESSAGES[code]
    return (
        french.format(**{k: label(v, FRENCH) for k, v in values.items()}),
        english.format(**{k: label(v, ENGLISH) for k, v in values.items()}),
    )


def duration(seconds: int) -> tuple[str, str]:
    """A wait, in words: (fr, en), e.g. ("4 secondes", "4 seconds"), ("15
    minutes", "15 minutes")."""
    seconds = max(1, int(seconds))
    if seconds < 60:
        return (
            counted(seconds, "seconde", "secondes"),
            counted(seconds, "second", "seconds", ENGLISH_FORMATS),
        )
    minutes = -(-seconds // 60)
    return (
        counted(minutes, "minute", "minutes"),
        counted(minutes, "minute", "minutes", ENGLISH_FORMATS),
    )


def thing(what: str) -> tuple[str, str]:
    return THINGS.get(what, (what, what))


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
    """An import report's problems with their column's French name."""
    return [
        {**problem, "column": IMPORT_COLUMNS.get(problem["field"], problem["field"])}
        for problem in problems
    ]
