"""The catalogue of field messages: every message a field error can carry, by code, in French and
English.

A field error is made from a code where it is raised (`msg("unknown_village", village=...)`, or
marshmallow's own messages, which the project's base schema, `backbone.schemas.Schema`, replaces
by codes of this catalogue when a field is bound). The message is a `Text`: a `str` whose value is
the English sentence (what services, logs and `fields_en` show) and which carries its code, its
values and its French sentence. `InvalidInput` takes the French tree from its `Text`s when it is
raised, so the French crosses RPC beside the English and nothing is translated afterwards.

A message that is not a `Text` has no French: `tests/services/test_field_messages.py` walks every
schema of every service and every place that raises a field error, and fails on one.
"""

from __future__ import annotations

import logging
import string

log = logging.getLogger("maillage.messages")

# code -> (French, English); placeholders by name, filled in by `text()` or by marshmallow
FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    # marshmallow's fields and schemas (see backbone/schemas.py)
    "required": ("Champ obligatoire.", "Missing data for required field."),
    "null": ("Ce champ ne peut pas être vide.", "Field may not be null."),
    "validator_failed": ("Valeur invalide.", "Invalid value."),
    "unknown_field": ("Champ inconnu.", "Unknown field."),
    "invalid_input_type": ("Type de données invalide.", "Invalid input type."),
    "invalid_type": ("Type de données invalide.", "Invalid type."),
    "invalid_string": ("Texte attendu.", "Not a valid string."),
    "invalid_utf8": ("Texte UTF-8 attendu.", "Not a valid utf-8 string."),
    "invalid_integer": ("Nombre entier attendu.", "Not a valid integer."),
    "invalid_number": ("Nombre attendu.", "Not a valid number."),
    "number_too_large": ("Nombre trop grand.", "Number too large."),
    "special_number": (
        "Les valeurs spéciales (nan, infini) ne sont pas permises.",
        "Special numeric values (nan or infinity) are not permitted.",
    ),
    "invalid_boolean": ("Oui/non attendu.", "Not a valid boolean."),
    "invalid_list": ("Liste attendue.", "Not a valid list."),
    "invalid_tuple": ("Liste attendue.", "Not a valid tuple."),
    "invalid_mapping": ("Objet attendu.", "Not a valid mapping type."),
    "invalid_email": ("Adresse e-mail invalide.", "Not a valid email address."),
    "invalid_url": ("Adresse web invalide.", "Not a valid URL."),
    "invalid_uuid": ("Identifiant invalide.", "Not a valid UUID."),
    "invalid_datetime": ("Date et heure invalides.", "Not a valid datetime."),
    "invalid_date": ("Date invalide.", "Not a valid date."),
    "invalid_time": ("Heure invalide.", "Not a valid time."),
    "invalid_timedelta": ("Durée invalide.", "Not a valid period of time."),
    "naive_datetime": (
        "Date et heure sans fuseau horaire attendues.",
        "Not a valid naive datetime.",
    ),
    "aware_datetime": (
        "Date et heure avec fuseau horaire attendues (ex. 2025-06-01T10:00:00+02:00).",
        "Not a valid aware datetime.",
    ),
    "wrong_time_zone": (
        "Date et heure invalides : fuseau horaire inattendu.",
        "Not a valid {awareness} {obj_type}.",
    ),
    "cannot_format": (
        "Cette valeur ne peut pas être écrite.",
        '"{input}" cannot be formatted as a {obj_type}.',
    ),
    "invalid_enum": ("Valeur attendue parmi : {choices}.", "Must be one of: {choices}."),
    # marshmallow's validators
    "length_between": (
        "La longueur doit être comprise entre {min} et {max} caractères.",
        "Length must be between {min} and {max}.",
    ),
    "length_min": ("Au moins {min} caractères.", "Shorter than minimum length {min}."),
    "length_max": ("Au plus {max} caractères.", "Longer than maximum length {max}."),
    "length_equal": (
        "La longueur doit être de {equal} caractères.",
        "Length must be {equal}.",
    ),
    "range_between": (
        "Doit être compris entre {min} et {max}.",
        "Must be greater than or equal to {min} and less than or equal to {max}.",
    ),
    "range_min": (
        "Doit être supérieur ou égal à {min}.",
        "Must be greater than or equal to {min}.",
    ),
    "range_max": ("Doit être inférieur ou égal à {max}.", "Must be less than or equal to {max}."),
    "range_above": ("Doit être strictement supérieur à {min}.", "Must be greater than {min}."),
    "range_below": ("Doit être strictement inférieur à {max}.", "Must be less than {max}."),
    "one_of": ("Valeur attendue parmi : {choices}.", "Must be one of: {choices}."),
    "pattern_mismatch": (
        "Le texte n'a pas la forme attendue.",
        "String does not match expected pattern.",
    ),
    # input the gateway reads
    "nested_too_deeply": (
        "Trop de niveaux imbriqués : au plus {levels}.",
        "Nested too deeply: at most {levels} levels.",
    ),
    # event contracts (backbone/contracts)
    "event_type_format": ("Type d'événement invalide.", "Not a valid event type."),
    "weekday_time": ("Une heure s'écrit HH:MM (ex. {example}).", "Use HH:MM (e.g. {example})."),
    # villages, accounts, opening hours (members service)
    "slug_format": (
        "Utilisez des lettres minuscules, des chiffres et des tirets.",
        "Use lowercase letters, digits and dashes.",
    ),
    "insee_code_format": (
        "Un code INSEE compte 5 caractères (ex. {example}).",
        "An INSEE code has 5 characters (e.g. {example}).",
    ),
    "postcode_format": ("Un code postal compte 5 chiffres.", "A postcode has 5 digits."),
    "concierge_needs_village": (
        "Un compte de concierge est rattaché à un village.",
        "A concierge belongs to one village.",
    ),
    "coordinator_has_no_village": (
        "La coordination sert tout le réseau, pas un seul village.",
        "A coordinator serves the whole network, not one village.",
    ),
    "unknown_village": ("Village inconnu : {village}.", "Unknown village: {village}."),
    "time_format": (
        "Une heure s'écrit HH:MM (ex. {example}).",
        "A time is written HH:MM (e.g. {example}).",
    ),
    "closes_after_opens": (
        "L'heure de fermeture doit suivre l'heure d'ouverture.",
        "Closing time must be after opening time.",
    ),
    "slots_overlap_on": (
        "Des créneaux se chevauchent le {day} : {first} et {second}.",
        "Slots overlap on {day}: {first} and {second}.",
    ),
    "slots_overlap": (
        "Des créneaux se chevauchent : {first} et {second}.",
        "Slots overlap: {first} and {second}.",
    ),
    "end_before_start_date": (
        "La date de fin ne peut pas précéder la date de début.",
        "The end date must not be before the start date.",
    ),
    "exception_too_long": (
        "Une exception dure au plus {days} jours.",
        "An exception lasts at most {days} days.",
    ),
    "closed_day_has_no_hours": (
        "Un jour fermé n'a pas d'horaires : mettez closed à false pour des horaires spéciaux.",
        "A closed day has no hours: set closed to false for special hours.",
    ),
    "special_hours_missing": (
        "Indiquez les horaires spéciaux, ou marquez le jour fermé.",
        "Give the special hours, or mark the day closed.",
    ),
    "bad_opt_out_link": ("Lien de désabonnement invalide.", "Invalid opt-out link."),
    "service_listed_twice": (
        "Chaque service n'est cité qu'une fois.",
        "Each service is listed once.",
    ),
    # volunteers (members service)
    "unknown_skill": (
        "Compétence inconnue : {skill} (voir la liste des compétences du réseau).",
        "Unknown skill: {skill}.",
    ),
    "skill_listed_twice": (
        "Cette compétence figure déjà dans la liste.",
        "This skill is already listed.",
    ),
    "end_after_start": ("La fin doit être après le début.", "End must be after start."),
    "slot_overlaps": (
        "Chevauche le créneau {slot} du même jour.",
        "Overlaps the slot {slot} of the same day.",
    ),
    "month_format": ("Un mois s'écrit AAAA-MM (ex. {example}).", "Use YYYY-MM (e.g. {example})."),
    "commission_first_of_month": (
        "Un taux de commission prend effet le 1er d'un mois.",
        "A commission rate takes effect on the first day of a month.",
    ),
    "commission_month_gone": (
        "Un nouveau taux ne peut prendre effet avant le mois en cours : "
        "les relevés des mois passés gardent leur taux.",
        "A new rate cannot take effect before the current month: "
        "past months' statements keep their rate.",
    ),
    "commission_before_latest": (
        "Un nouveau taux ne peut prendre effet avant le dernier enregistré (du {since}).",
        "A new rate cannot take effect before the latest recorded one (from {since}).",
    ),
    "round_villages_missing": (
        "Cochez au moins un village à servir.",
        "Tick at least one village to serve.",
    ),
    "village_listed_twice": ("Un village est cité deux fois.", "A village is listed twice."),
    "unknown_truck_stop_place": (
        "Ce lieu n'est pas un arrêt connu du camion.",
        "This place is not a known stop of the truck.",
    ),
    "truck_stop_place_elsewhere": (
        "Ce lieu est un arrêt de {place_village}, pas de {village}.",
        "This place is a stop of {place_village}, not of {village}.",
    ),
    "truck_stop_village_not_served": (
        "Ce village n'est pas desservi par la tournée (ou n'a pas de camion).",
        "This village is not served by the round (or has no truck).",
    ),
    "truck_stop_place_missing": (
        "Choisissez le lieu et l'heure de l'arrêt du camion à {village}.",
        "Choose the place and time of the truck's stop in {village}.",
    ),
    "supplier_listed_twice": (
        "Un fournisseur est cité deux fois.",
        "A supplier is listed twice.",
    ),
    "signal_period_too_long": (
        "Choisissez au plus 24 mois.",
        "Choose 24 months at most.",
    ),
    "coordinates_together": (
        "Donnez la latitude et la longitude ensemble (ou aucune).",
        "Give the latitude and the longitude together (or neither).",
    ),
    "grappe_villages_count": (
        "Cochez de 2 à 200 villages pour une grappe.",
        "Tick 2 to 200 villages for a grappe.",
    ),
    "depot_outside_grappe": (
        "Le dépôt doit être l'un des villages de la grappe.",
        "The depot must be one of the grappe's villages.",
    ),
    "village_in_other_grappe": (
        "{village} fait déjà partie de la grappe « {grappe} ».",
        "{village} already belongs to the grappe « {grappe} ».",
    ),
    "skill_label_without_code": (
        "Ce nom ne donne pas de code (au moins deux lettres ou chiffres) : donnez aussi un code, "
        "ex. plomberie.",
        "This label makes no code (two letters or digits at least): give a code too, e.g. "
        "plomberie.",
    ),
    "skill_code_format": (
        "Un code de compétence s'écrit en minuscules, ex. {example}.",
        "A skill code is lowercase, e.g. {example}.",
    ),
    # members (people) and their import
    "invalid_phone": (
        "Numéro de téléphone invalide (ex. 05 55 12 34 56 ou +33 5 55 12 34 56).",
        "Not a valid phone number.",
    ),
    "renewal_before_joined": (
        "La date de renouvellement précède la date d'adhésion.",
        "The renewal date comes before the date joined.",
    ),
    "channel_needs_phone": (
        "Ce canal de contact demande un numéro de téléphone.",
        "This channel needs a phone number.",
    ),
    "channel_needs_email": (
        "Ce canal de contact demande une adresse e-mail.",
        "This channel needs an email address.",
    ),
    "contact_missing": (
        "Indiquez un téléphone, un e-mail ou une adresse.",
        "Give a phone number, an email or an address.",
    ),
    "name_needs_letter": (
        "Un nom contient au moins une lettre.",
        "A name needs at least one letter.",
    ),
    "tag_given_twice": ("Une étiquette est donnée deux fois.", "A tag is given twice."),
    "unknown_column": ("Colonne inconnue : {column}.", "Unknown column: {column}."),
    "missing_column": ("Colonne manquante : {column}.", "Missing column: {column}."),
    "file_empty": ("Le fichier est vide.", "The file is empty."),
    "spreadsheet_unreadable": (
        "Ce classeur ne peut pas être lu : enregistrez-le en .xlsx ou en CSV.",
        "This workbook cannot be read: save it as .xlsx or CSV.",
    ),
    "file_without_rows": ("Le fichier ne contient aucune ligne.", "The file has no rows."),
    "too_many_rows": ("Au plus {rows} lignes par fichier.", "At most {rows} rows per file."),
    "more_cells_than_columns": (
        "Plus de cellules que de colonnes ({cells} pour {columns}).",
        "More cells than columns ({cells} for {columns}).",
    ),
    "unknown_profile": ("Profil inconnu : {word}.", "Unknown profile: {word}."),
    "unknown_consent": ("Consentement inconnu : {word}.", "Unknown consent: {word}."),
    "unknown_channel": ("Canal de contact inconnu : {word}.", "Unknown channel: {word}."),
    "import_date_format": (
        "Date invalide (format JJ/MM/AAAA).",
        "Not a valid date (use DD/MM/YYYY).",
    ),
    "import_euros_format": (
        "Montant en euros invalide (ex. 15 ou 12,50).",
        "Not a valid amount in euros (e.g. 15 or 12,50).",
    ),
    "same_person_as_row": ("Même personne que la ligne {row}.", "Same person as row {row}."),
    "already_registered_here": (
        "Déjà inscrit·e dans ce village : {name}.",
        "Already registered in this village: {name}.",
    ),
    # coordinator's figures (backbone/figures.py, the console's period)
    "query_date_format": (
        "Date invalide (format AAAA-MM-JJ, ex. {example}).",
        "Not a valid date (use YYYY-MM-DD, e.g. {example}).",
    ),
    "period_too_long": ("Une période compte au plus {days} jours.", "At most {days} days."),
    # animations and suggestions (events service)
    "animation_too_long": (
        "Une animation dure au plus {days} jours.",
        "An animation lasts at most {days} days.",
    ),
    "role_listed_twice": ("Un rôle est cité deux fois.", "A role is listed twice."),
    "co_organiser_listed_twice": (
        "Un co-organisateur est cité deux fois.",
        "A co-organiser is listed twice.",
    ),
    "unknown_partner": ("Partenaire inconnu : {partner}.", "Unknown partner: {partner}."),
    "co_organiser_ended": (
        "Le partenariat a pris fin, ce partenaire ne peut plus co-organiser : {partner}.",
        "The partnership ended, this partner may no longer co-organise: {partner}.",
    ),
    "not_logistics_partner": (
        "Ce partenaire ne fait pas de logistique : {partner}.",
        "Not a logistics partner: {partner}.",
    ),
    "unknown_member": ("Habitant·e inconnu·e du réseau : {member}.", "Unknown member: {member}."),
    "not_member_of_animation_villages": (
        "Cette personne n'habite aucun des villages de cette animation que vous servez : {member}.",
        "Not a member of the villages of this animation: {member}.",
    ),
    "unknown_role": ("Rôle inconnu pour cette animation : {role}.", "Unknown role: {role}."),
    "member_or_guest": (
        "Indiquez un·e habitant·e ou un·e invité·e, pas les deux.",
        "Give a member or a guest, not both.",
    ),
    "guest_needs_name_and_phone": (
        "Un·e invité·e a besoin d'un nom et d'un téléphone.",
        "A guest needs a name and a phone.",
    ),
    "attendance_before_start": (
        "Présents : l'appel se fait à partir du début de l'animation ({starts}), pas avant.",
        "Present: attendance is taken from the animation's start ({starts}), not before.",
    ),
    "attendance_too_late": (
        "Présents : l'appel se fait au plus {days} jours après la fin de l'animation (jusqu'au "
        "{until}) ; il est trop tard.",
        "Present: attendance is taken at most {days} days after the animation ends (until "
        "{until}); it is too late.",
    ),
    "holds_no_role": (
        "Ne tient aucun rôle à cette animation : {member}.",
        "Holds no role at this animation: {member}.",
    ),
    "volunteer_listed_twice": (
        "Chaque bénévole n'apparaît qu'une fois.",
        "Each volunteer appears once.",
    ),
    "decline_reason_missing": ("Indiquez le motif du refus.", "Give the reason for declining."),
    "recurrence_without_end": (
        "Une répétition doit avoir une fin : indiquez une date de fin (until) ou un nombre de "
        "séances (count).",
        "A recurrence must end: give an end date (until) or a number of occurrences (count).",
    ),
    "recurrence_end_twice": (
        "Indiquez une date de fin ou un nombre de séances, pas les deux.",
        "Give an end date or a number of occurrences, not both.",
    ),
    "recurrence_ends_before_start": (
        "La date de fin précède la première séance.",
        "The end date comes before the first occurrence.",
    ),
    "too_many_occurrences": ("Au plus {count} séances.", "At most {count} occurrences."),
    "host_not_invited": (
        "Le village qui accueille n'est pas invité : il accueille.",
        "The host village is not invited: it hosts.",
    ),
    "not_a_registration_here": (
        "Pas une inscription de cette animation : {registration}.",
        "Not a registration of this animation: {registration}.",
    ),
    "presence_missing": (
        "Indiquez les personnes présentes ou un nombre de personnes.",
        "Give the people present or a head count.",
    ),
    "presence_twice": (
        "Indiquez les personnes présentes ou un nombre de personnes, pas les deux.",
        "Give the people present or a head count, not both.",
    ),
    "walk_ins_without_present": (
        "Les personnes venues sans inscription se comptent avec les personnes présentes.",
        "People who came without registering are counted with the people present.",
    ),
    "registration_listed_twice": (
        "Une inscription est citée deux fois.",
        "A registration is listed twice.",
    ),
    "answer_needs_planned_or_done": (
        "Seule une suggestion prévue ou réalisée a une réponse.",
        "Only a planned or done suggestion is answered by something.",
    ),
    "unknown_offer": ("Offre inconnue : {offer}.", "Unknown offer: {offer}."),
    "unknown_animation": ("Animation inconnue : {animation}.", "Unknown animation: {animation}."),
    # the counter: orders and parcels (orders service)
    "quantity_range": (
        "Une quantité vaut au moins 1 (au plus {max}).",
        "A quantity is at least 1 (at most {max}).",
    ),
    "home_delivery_needs_address": (
        "Une livraison à domicile demande une adresse.",
        "Home delivery needs an address.",
    ),
    "home_delivery_not_for_member": (
        "La livraison à domicile est pour les personnes qui ne peuvent pas venir (fragiles, à "
        "mobilité réduite ou sans voiture).",
        "Home delivery is for members who cannot come (fragile, reduced mobility or without a "
        "car).",
    ),
    "truck_stop_missing": ("Indiquez à quel arrêt du camion.", "Say at which stop of the truck."),
    "unknown_order_truck_stop": (
        "Ce n'est pas un arrêt du camion de ce village ; ses arrêts : {stops}.",
        "Not a stop of this village's truck; its stops: {stops}.",
    ),
    "item_listed_twice": (
        "Un article est cité deux fois : une seule ligne avec la quantité totale.",
        "An item is listed twice: give one line with the total quantity.",
    ),
    "order_lines_count": (
        "Une commande compte de 1 à {max} lignes.",
        "An order has 1 to {max} lines.",
    ),
    "compartment_missing": (
        "Indiquez dans quel compartiment du casier elle se trouve.",
        "Say which locker compartment it is in.",
    ),
    "refusal_reason_missing": ("Indiquez le motif du refus.", "Give the reason for refusing."),
    "unknown_member_here": (
        "Habitant·e inconnu·e dans ce village : {member}.",
        "Unknown member in this village: {member}.",
    ),
    "date_in_past": ("Cette date est déjà passée.", "The date is in the past."),
    "occurred_at_future": (
        "L'heure de l'action (occurred_at) est dans le futur : vérifiez l'horloge de l'appareil.",
        "The time of the action (occurred_at) is in the future: check the device's clock.",
    ),
    "occurred_at_too_old": (
        "Action trop ancienne (occurred_at) : faite il y a plus de {days} jours, elle n'est plus "
        "rejouée ; refaites-la si elle doit compter.",
        "Action too old (occurred_at): done more than {days} days ago, it is no longer "
        "replayed; do it again if it must count.",
    ),
    "price_changed": (
        "Le prix a changé depuis la prise de la commande hors ligne : {expected} attendu, "
        "{total} aujourd'hui ; reprenez la commande avec l'habitant·e.",
        "The price changed since the order was taken offline: {expected} expected, {total} "
        "now; take the order again with the inhabitant.",
    ),
    "missed_stop_needs_note": (
        "Dites pourquoi l'arrêt a été manqué.",
        "Say why the stop was missed.",
    ),
    "not_in_catalogue": (
        "Absent du catalogue de ce village : {item}.",
        "Not in this village's catalogue: {item}.",
    ),
    "out_of_stock": ("En rupture : {item}.", "Out of stock: {item}."),
    "not_delivered_that_day": (
        "Pas livré ce jour-là : {item} (jours : {days}).",
        "Not delivered on that day: {item} (days: {days}).",
    ),
    "too_late_for_day": (
        "Trop tard pour ce jour-là : les commandes de {item} ont fermé le {closed}.",
        "Too late for that day: orders for {item} closed on {closed}.",
    ),
    "supplier_order_sent": (
        "La commande au fournisseur pour ce jour-là est déjà partie : {item}.",
        "The supplier's order for that day is already sent: {item}.",
    ),
    # the hub's till, its shelf, solidarity prices (orders service)
    "till_lines_count": (
        "Une vente compte de 1 à {max} lignes.",
        "A sale has 1 to {max} lines.",
    ),
    "amount_range": (
        "Un montant en centimes, positif ou nul (au plus 100 000 €).",
        "An amount in cents, zero or more (at most 100,000 €).",
    ),
    "payment_method_twice": (
        "Chaque moyen de paiement une seule fois : additionnez les montants.",
        "Each payment method once: add the amounts up.",
    ),
    "reason_missing": ("Indiquez le motif.", "Give the reason."),
    "not_sold_here": (
        "Ni au catalogue ni en stock dans ce village : {item}.",
        "Neither in this village's catalogue nor on its shelf: {item}.",
    ),
    "shelf_short": (
        "Stock insuffisant pour {item} : {left} en rayon.",
        "Not enough on the shelf for {item}: {left} left.",
    ),
    "payment_missing": (
        "Il reste {due} à payer.",
        "{due} is still to be paid.",
    ),
    "payment_too_much": (
        "La carte, le chèque et les bons dépassent le total de {due} (seules les espèces rendent "
        "la monnaie).",
        "Card, cheque and vouchers come to more than the total of {due} (only cash gets change).",
    ),
    "cash_not_needed": (
        "Rien à payer en espèces : le reste est déjà réglé.",
        "Nothing to pay in cash: the rest is paid already.",
    ),
    "unknown_sale_line": (
        "Ligne inconnue dans cette vente : {line}.",
        "No such line in this sale: {line}.",
    ),
    "refund_too_many": (
        "On ne rembourse pas plus que vendu : {left} au plus pour {item}.",
        "No more refunded than sold: at most {left} for {item}.",
    ),
    "refund_nothing_chosen": (
        "Indiquez au moins une quantité à rembourser.",
        "Give at least one quantity to refund.",
    ),
    "refund_method_missing": (
        "Choisissez comment l'argent est rendu.",
        "Choose how the money is given back.",
    ),
    "stock_item_missing": ("Choisissez l'article.", "Choose the item."),
    "stock_quantity_range": (
        "Une quantité de 0 à 99 999.",
        "A quantity from 0 to 99,999.",
    ),
    "stock_item_name_missing": (
        "Indiquez le nom de l'article (ou choisissez un article du catalogue).",
        "Give the item's name (or choose a catalogue item).",
    ),
    "stock_already_tracked": (
        "Cet article est déjà en stock.",
        "This item is already on the shelf.",
    ),
    "stock_would_go_negative": (
        "Il n'y en a que {left} en rayon.",
        "Only {left} on the shelf.",
    ),
    "not_in_purchase_order": (
        "Cet article ne fait pas partie de la commande mutualisée reçue.",
        "This item is not part of the pooled order received.",
    ),
    "stock_nothing_received": (
        "Indiquez au moins une quantité à mettre en rayon.",
        "Give at least one quantity to put on the shelf.",
    ),
    "given_by_missing": (
        "Indiquez le partenaire social qui l'a accordée.",
        "Give the social partner who granted it.",
    ),
    "day_not_over": (
        "On ne clôture pas un jour qui n'est pas encore arrivé.",
        "A day not yet come cannot be closed.",
    ),
    "solidarity_above_price": (
        "Le prix solidaire ne dépasse pas le prix habituel.",
        "The solidarity price is not above the usual price.",
    ),
    "ends_on_past": (
        "La fin du droit est déjà passée.",
        "The end of the right is already past.",
    ),
    # help requests and rounds (orders service)
    "help_request_too_long": (
        "Un coup de main dure au plus {hours} heures.",
        "A help request lasts at most {hours} hours.",
    ),
    "one_driver": (
        "Indiquez un·e bénévole chauffeur ou un partenaire logistique, l'un des deux.",
        "Give a volunteer driver or a logistics partner, one of them.",
    ),
    "not_active_volunteer": (
        "Pas un·e bénévole en activité : {member}.",
        "Not an active volunteer: {member}.",
    ),
    "no_driving_licence": (
        "Ce·tte bénévole n'a pas le permis de conduire.",
        "This volunteer has no driving licence.",
    ),
    "unknown_vehicle": ("Véhicule inconnu : {vehicle}.", "Unknown vehicle: {vehicle}."),
    # partners, offers, catalogues, funding (partners service)
    "api_key_format": ("Ce n'est pas une clé d'API Maillage.", "Not a Maillage API key."),
    "invalid_siret": (
        "SIRET invalide (14 chiffres, clé de contrôle vérifiée).",
        "Not a valid SIRET (14 digits, checked).",
    ),
    "phone_or_email_missing": (
        "Indiquez un téléphone ou un e-mail.",
        "Give a phone number or an email.",
    ),
    "relationship_listed_twice": (
        "Une relation est citée deux fois.",
        "A relationship is listed twice.",
    ),
    "partner_details_missing": (
        "Indiquez des relations, des contacts ou un SIRET.",
        "Give relationships, contacts or a SIRET.",
    ),
    "scope_villages": (
        "Une portée « village » cite un village, une grappe plusieurs, le réseau aucun.",
        "A village scope lists one village, a cluster several, the network none.",
    ),
    "day_listed_twice": ("Un jour est cité deux fois.", "A day is listed twice."),
    "price_or_availability_missing": (
        "Indiquez un prix ou une disponibilité.",
        "Give a price or an availability.",
    ),
    "village_not_served": (
        "Village non servi par ce partenaire : {village}.",
        "Not served by this partner: {village}.",
    ),
    "offer_not_served_here": (
        "Cette offre n'est pas proposée dans ce village : son partenaire ne le dessert pas.",
        "This offer is not available in this village: its partner does not serve it.",
    ),
    "contract_services_missing": (
        "Un contrat de prestation liste les services achetés.",
        "A service contract lists the services bought.",
    ),
    "contract_end_missing": (
        "Un contrat de prestation a une période : indiquez sa date de fin.",
        "A service contract has a period: give its end date.",
    ),
    "contract_buyer_missing": (
        "Un contrat de prestation nomme la collectivité qui achète.",
        "A service contract names the local authority buying.",
    ),
    "commune_link_not_authority": (
        "Un lien de commune ne s'ouvre que pour une collectivité.",
        "A commune link is issued for a local authority only.",
    ),
    "period_not_offered": (
        "Choisissez une période dans la liste.",
        "Choose a period from the list.",
    ),
    "commune_link_format": (
        "Lien de commune mal formé.",
        "Malformed commune link.",
    ),
    "contract_buyer_not_authority": (
        "Un contrat de prestation est acheté par une collectivité.",
        "A service contract is bought by a local authority.",
    ),
    "month_outside_contract": (
        "Ce mois n'est pas dans la période du contrat.",
        "This month is outside the contract's period.",
    ),
    "contract_prices_missing": (
        "Indiquez au moins un prix : heure de coup de main, livraison ou animation.",
        "Give at least one price: an hour of help, a delivery or an animation.",
    ),
    "deadline_in_past": (
        "L'échéance doit être dans le futur.",
        "The deadline must be in the future.",
    ),
    "partnership_end_reason_missing": (
        "Indiquez le motif de la fin du partenariat (au moins 3 caractères).",
        "Give the reason the partnership ends (at least 3 characters).",
    ),
    "member_or_partner": (
        "Indiquez un·e habitant·e ou un partenaire, pas les deux.",
        "Give a member or a partner, not both.",
    ),
    # partners' subscriptions
    "webhook_scheme": (
        "L'adresse d'un webhook commence par http:// ou https://.",
        "A webhook URL starts with http:// or https://.",
    ),
    "webhook_host": (
        "L'adresse d'un webhook nomme un serveur (ex. {example}).",
        "A webhook URL names a host (e.g. {example}).",
    ),
    "webhook_internal": (
        "L'adresse d'un webhook doit joindre le partenaire sur internet, pas une adresse interne.",
        "A webhook URL must reach the partner on the internet, not an internal address.",
    ),
    "unknown_event_type": ("Type d'événement inconnu : {types}.", "Unknown event type: {types}."),
    "event_type_listed_twice": (
        "Un type d'événement est cité deux fois.",
        "An event type is listed twice.",
    ),
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
FRENCH, ENGLISH = 0, 1


def label(value, language: int):
    """A value as shown inside a sentence: a state or a day by its name, a list joined."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(label(v, language)) for v in value) if value else _NONE[language]
    if isinstance(value, str) and value in VALUE_LABELS:
        return VALUE_LABELS[value][language]
    return value


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Text(str):
    """A field message: its English sentence as a `str`, with its `code`, `values` and `french`.

    marshmallow fills the placeholders of its messages with `format(**values)`: a `Text` answers
    with a new `Text` holding the values, so French and English are filled in alike.
    """

    code: str
    values: dict
    french: str

    def __new__(cls, code: str, values: dict | None = None):
        french, english = FIELD_MESSAGES[code]
        values = dict(values or {})
        if values or not placeholders(english):
            english = english.format(**{k: label(v, ENGLISH) for k, v in values.items()})
            french = french.format(**{k: label(v, FRENCH) for k, v in values.items()})
        self = super().__new__(cls, english)
        self.code, self.values, self.french = code, values, french
        return self

    def format(self, *args, **values):
        return Text(self.code, {**self.values, **values})

    def __reduce__(self):
        return Text, (self.code, self.values)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


def msg(code: str, **values) -> Text:
    """The message `code` of the catalogue with its values: what a field error carries."""
    return Text(code, values)


def template(code: str) -> Text:
    """The message `code` with its placeholders still open, for marshmallow to fill in."""
    return Text(code)


def french(errors):
    """The French of a tree of field messages (marshmallow's shape: dicts, lists, messages)."""
    if isinstance(errors, dict):
        return {key: french(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [french(value) for value in errors]
    if isinstance(errors, Text):
        return errors.french
    if isinstance(errors, str):
        log.warning("field message without a code, shown in English: %r", errors)
    return errors
