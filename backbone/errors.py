"""Typed errors that cross RPC as themselves (not as a bare RemoteError).

The gateway maps each to one HTTP status in one place (gateway/errors.py).
"""

from nameko.exceptions import deserialize_to_instance

from backbone.messages import french


@deserialize_to_instance
class InvalidInput(Exception):
    """Input failed validation. `errors` maps each field to its messages (marshmallow's shape),
    in English; `errors_fr` is the same tree in French, taken from the messages' codes
    (`backbone.messages.Text`) where the error is raised, and crosses RPC beside it."""

    def __init__(self, errors, errors_fr=None):
        if errors_fr is None:
            errors_fr = french(errors)
        super().__init__(errors, errors_fr)
        self.errors, self.errors_fr = errors, errors_fr


@deserialize_to_instance
class NotFound(Exception):
    def __init__(self, what, identifier=None):
        super().__init__(what, identifier)
        self.what = what
        self.identifier = identifier


@deserialize_to_instance
class Conflict(Exception):
    """The request clashes with what exists (a duplicate, a transition from the wrong state)."""

    def __init__(self, reason, field=None, details=None):
        super().__init__(reason, field, details)
        # nameko sends an error's arguments as text: an absent field or detail arrives as "None"
        self.reason = reason
        self.field = None if field in (None, "None") else field
        self.details = (  # what it clashes with (e.g. {"member_id", "name"}), shown to the caller
            None if details in (None, "None") else details
        )


@deserialize_to_instance
class AuthenticationFailed(Exception):
    def __init__(self, reason="bad_credentials"):
        super().__init__(reason)
        self.reason = reason


@deserialize_to_instance
class TooManyAttempts(Exception):
    """Too many failed sign-ins for this e-mail or this address: the next one is refused for
    `retry_after` seconds, whether or not the account exists."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = int(retry_after)


class ServiceUnavailable(Exception):
    """A service did not answer in time or is not running."""

    def __init__(self, service, reason="timeout"):
        super().__init__(service, reason)
        self.service = service
        self.reason = reason


class CallerGaveUp(Exception):
    """A unit of work done for an RPC call was not committed: its caller had stopped waiting (the
    call's deadline passed), and was told the service did not answer."""

    def __init__(self, late_by: float):
        super().__init__(f"the caller stopped waiting {late_by:.2f} s ago: nothing was committed")
        self.late_by = late_by


EXPECTED = (InvalidInput, NotFound, Conflict, AuthenticationFailed, TooManyAttempts, CallerGaveUp)
