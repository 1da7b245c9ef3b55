"""The one clock of the code: instants are aware and in UTC; the network's wall clock (opening
hours, delivery days, quiet hours, calendars, daily figures) is Paris time, its villages being in
France."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(UTC)


def paris_today() -> date:
    """Today's date in Europe/Paris, where the hubs are: the day a concierge works in."""
    return utcnow().astimezone(PARIS).date()
