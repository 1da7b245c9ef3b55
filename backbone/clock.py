"""The one clock of the code: instants are aware and in UTC; the network's wall clock (opening
hours, delivery days, quiet hours, calendars, daily figures) is Paris time, its villages being in
France."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(UTC)


def paris_today() -> date:
    """Today's date in Europe/Paris, where the hubs are: the day a concierge works in."""
    return utcnow().astimezone(PARIS).date()


REMINDER_HOUR = 10  # the day-before reminders (help requests, animations) go out from 10:00 Paris


def tomorrow_if_reminding(now: datetime) -> tuple[datetime, datetime] | None:
    """The day-before reminders' window: from 10:00 Paris, tomorrow (Paris) as the instants
    [start, end) of what is to be reminded; before 10:00, None (nothing is reminded yet)."""
    local = now.astimezone(PARIS)
    if local.hour < REMINDER_HOUR:
        return None
    starts = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PARIS)
    return starts, datetime.combine(starts.date() + timedelta(days=1), time(0), tzinfo=PARIS)
