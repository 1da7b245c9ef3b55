"""Checks that field errors carry their French (codes of backbone/messages.py)."""

from backbone.messages import Text


def _leaves(errors, path=()):
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            yield from _leaves(value, (*path, index))
    else:
        yield path, errors


def without_code(messages) -> list[str]:
    """The messages of a marshmallow error tree that are not a code of the catalogue."""
    return [message for _, message in _leaves(messages) if not isinstance(message, Text)]


def without_french(exc) -> list[str]:
    """The English messages of an `InvalidInput` (raised here or across RPC) with no French."""
    french = dict(_leaves(exc.errors_fr))
    return [
        english
        for path, english in _leaves(exc.errors)
        if not isinstance(english, Text) and french.get(path) in (None, english)
    ]
