"""The entrypoints by which a service keeps its copy of the network's facts
(`backbone.network_facts`), written once: a service that keeps villages inherits
`VillageFactsEntrypoints`, one that also keeps members (registered, then edited) inherits
`MemberFactsEntrypoints`, and names its bound `NetworkFacts` as `facts`:

    class EventsService(VillageFactsEntrypoints, MemberFactsEntrypoints):
        name = "events"
        db = DatabaseProvider("events")
        facts = read_models.facts

Each service still consumes into its own queues (a queue is named after the service and the
method) and its own database. `member.erased` is not here: what an erasure scrubs beyond the
member's row is each service's own rule."""

from __future__ import annotations

from backbone.consumer import consume_event
from backbone.rpc import rpc_method

VILLAGES_BATCH = 50  # villages open in bursts (an import, the national data): one commit for many


class VillageFactsEntrypoints:
    facts = None  # the service's NetworkFacts, bound to its own tables

    @consume_event("village.opened", batch=VILLAGES_BATCH)
    def on_village_opened(self, uow, events):
        self.facts.record_villages(uow, events)

    @consume_event("village.updated")
    def on_village_updated(self, uow, event):
        self.facts.record_village(uow, event)

    @consume_event("village.status_changed")
    def on_village_status_changed(self, uow, event):
        self.facts.record_village_status_changed(uow, event)

    @rpc_method()
    def known_villages(self, uow):
        return self.facts.known_villages(uow)


class MemberFactsEntrypoints:
    facts = None

    @consume_event("member.registered")
    def on_member_registered(self, uow, event):
        self.facts.record_member_registered(uow, event)

    @consume_event("member.updated")
    def on_member_updated(self, uow, event):
        self.facts.record_member_updated(uow, event)
