"""Typed errors cross RPC as themselves: what nameko turns into text on the way comes back as it
was sent (a refusal with no field names no field "None" beside a form)."""

from nameko.exceptions import deserialize, serialize

from backbone.errors import Conflict


def _across_rpc(exc: Exception) -> Exception:
    return deserialize(serialize(exc))


def test_a_conflict_without_field_or_details_arrives_without_them():
    arrived = _across_rpc(Conflict("animation_cancelled"))
    assert isinstance(arrived, Conflict)
    assert (arrived.reason, arrived.field, arrived.details) == ("animation_cancelled", None, None)


def test_a_conflicts_field_and_details_arrive_as_sent():
    arrived = _across_rpc(Conflict("duplicate_member", "phone", {"name": "Germaine Peyrat"}))
    assert (arrived.field, arrived.details) == ("phone", {"name": "Germaine Peyrat"})
