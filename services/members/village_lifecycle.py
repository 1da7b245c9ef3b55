"""Which status of a village may follow which: preparing → open ↔ paused → closed, closed being
final (`Village.move_to` applies it). Without the model's table, so that the gateway's back office
offers only the allowed moves without loading SQLAlchemy."""

from backbone.state_machine import Lifecycle

_TRANSITIONS = {
    "preparing": ("open", "closed"),
    "open": ("paused", "closed"),
    "paused": ("open", "closed"),
    "closed": (),
}

VILLAGE_LIFECYCLE = Lifecycle(
    reason="village_status_transition",
    transitions=_TRANSITIONS,
    stamps=dict.fromkeys(_TRANSITIONS, "status_changed_at"),
)
