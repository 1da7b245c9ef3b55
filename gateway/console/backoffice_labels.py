"""French words of the coordinator's back-office (villages, staff accounts, partners)."""

VILLAGE_KINDS = {
    "fixed": "Conciergerie fixe",
    "itinerant": "Camion itinérant",
    "locker": "Casiers",
}
VILLAGE_STATUSES = {
    "preparing": "En préparation",
    "open": "Ouverte",
    "paused": "En pause",
    "closed": "Fermée",
}
# what moving to a status is called on its button
VILLAGE_MOVES = {
    "open": "Ouvrir",
    "paused": "Mettre en pause",
    "closed": "Fermer définitivement",
}
ROLES = {"concierge": "Concierge d'un village", "coordinator": "Coordination du réseau"}
PARTNER_KINDS = {
    "producer": "Producteur",
    "artisan": "Artisan",
    "merchant": "Commerçant",
    "service_provider": "Prestataire de services",
    "association": "Association",
    "social_enterprise": "Entreprise de l'économie sociale",
    "local_authority": "Collectivité",
    "national_company": "Entreprise nationale",
    "small_business": "Petite entreprise",
}
RELATIONSHIPS = {
    "supplier": "Fournisseur",
    "logistics": "Logistique",
    "client": "Client",
    "funder": "Financeur",
    "co_organiser": "Co-organisateur",
}
CHANNELS = {"webhook": "Webhook", "amqp": "Flux AMQP"}
