"""What partners keeps of other services' facts, fed by their events."""

from backbone.network_facts import NetworkFacts
from services.partners.models import KnownVillage, VillageStatus
from services.partners.schemas import KnownVillageOutput

facts = NetworkFacts(KnownVillage, VillageStatus, output=KnownVillageOutput)
record_village = facts.record_village
record_village_status_changed = facts.record_village_status_changed
known_villages = facts.known_villages
