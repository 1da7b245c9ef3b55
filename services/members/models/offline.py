"""Registrations sent with an idempotency key or the time they happened (the offline console's
replays): backbone/offline_actions.py."""

from backbone.offline_actions import OfflineActionColumns
from services.members.models.base import Base


class OfflineAction(OfflineActionColumns, Base):
    """A member registered: when it happened, when it was received, under which key."""
