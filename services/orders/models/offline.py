"""The counter's actions sent with an idempotency key or the time they happened (the offline
console's replays): backbone/offline_actions.py."""

from backbone.offline_actions import OfflineActionColumns
from services.orders.models.base import Base


class OfflineAction(OfflineActionColumns, Base):
    """An order placed, handed over; a parcel received, handed over: when it happened, when it
    was received, under which key."""
