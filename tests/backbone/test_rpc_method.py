"""`@rpc_method`, the one shape of a service's RPC method: its caller sees the plain signature,
the arguments are validated with the declared schemas before any database work, the method gets
a unit of work, and the project's errors are declared as expected."""

import pytest
from marshmallow import Schema, fields, validate
from nameko.exceptions import IncorrectSignature
from nameko.rpc import Rpc
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import get_extension

from backbone.dependencies import DatabaseProvider
from backbone.errors import EXPECTED, InvalidInput, NotFound
from backbone.rpc import rpc_method
from backbone.unit_of_work import UnitOfWork

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]


class NoteInput(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1))


class LimitInput(Schema):
    limit = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 50))


class Notes:
    name = "notes"
    db = DatabaseProvider("members")

    @rpc_method(schema=LimitInput, inputs={"data": NoteInput})
    def add_note(self, uow, data, limit=None):
        return {"data": data, "limit": limit, "in_unit_of_work": isinstance(uow, UnitOfWork)}

    @rpc_method(unit_of_work=False)
    def find_note(self, note_id):
        raise NotFound("note", note_id)


@pytest.fixture
def notes(container_factory, nameko_config, tmp_path, monkeypatch):
    monkeypatch.setenv("MEMBERS_DATABASE_URL", f"sqlite:///{tmp_path / 'notes.db'}")
    container = container_factory(Notes, nameko_config)
    container.start()
    with ServiceRpcProxy("notes", nameko_config, timeout=10) as proxy:
        yield proxy, container


def test_the_method_gets_validated_arguments_and_a_unit_of_work(notes):
    rpc, _container = notes
    assert rpc.add_note({"text": "pain"}, limit="7") == {
        "data": {"text": "pain"},
        "limit": 7,
        "in_unit_of_work": True,
    }
    assert rpc.add_note(data={"text": "lait"})["limit"] is None


@pytest.mark.parametrize(
    "args, kwargs, fields_named",
    [
        (({"text": ""},), {}, {"text"}),
        (({},), {}, {"text"}),
        ((None,), {}, {"text"}),
        (({"text": "pain"},), {"limit": 0}, {"limit"}),
        (({"text": "pain", "colour": "red"},), {}, {"colour"}),
    ],
)
def test_bad_arguments_are_invalid_input_naming_the_fields(notes, args, kwargs, fields_named):
    rpc, _container = notes
    with pytest.raises(InvalidInput) as refused:
        rpc.add_note(*args, **kwargs)
    assert set(refused.value.errors) == fields_named


def test_calls_at_once_share_the_schemas_and_each_gets_its_own_answer(notes):
    """The argument schemas are made once per method: concurrent calls, good and bad mixed, are
    each validated on their own (nothing of one load stays for the next)."""
    rpc, _container = notes
    # (data, limit, the fields refused: none for a good call), the three kinds in turn
    kinds = [
        lambda n: ({"text": f"note {n}"}, n % 5 + 1, set()),
        lambda n: ({"text": ""}, 3, {"text"}),
        lambda n: ({"text": f"note {n}"}, 0, {"limit"}),
    ]
    sent = [kinds[n % 3](n) for n in range(21)]
    replies = [rpc.add_note.call_async(data, limit=limit) for data, limit, _refused in sent]
    for (data, limit, refused_fields), reply in zip(sent, replies):
        if not refused_fields:
            assert reply.result() == {"data": data, "limit": limit, "in_unit_of_work": True}
        else:
            with pytest.raises(InvalidInput) as refused:
                reply.result()
            assert set(refused.value.errors) == refused_fields


def test_callers_see_the_signature_without_the_unit_of_work(notes):
    rpc, _container = notes
    with pytest.raises(IncorrectSignature):
        rpc.add_note({"text": "pain"}, 3, 4)
    with pytest.raises(IncorrectSignature):
        rpc.add_note(uow=None, data={"text": "pain"})


def test_the_projects_errors_are_expected_and_cross_as_themselves(notes):
    rpc, container = notes
    with pytest.raises(NotFound) as missing:
        rpc.find_note("n1")
    assert (missing.value.what, missing.value.identifier) == ("note", "n1")
    for method in ("add_note", "find_note"):
        assert get_extension(container, Rpc, method_name=method).expected_exceptions == EXPECTED


class NoDatabase:
    name = "no_database"

    @rpc_method()
    def count(self, uow):
        return 0


def test_a_service_without_its_database_does_not_start(container_factory, nameko_config):
    with pytest.raises(TypeError, match="db = DatabaseProvider"):
        container_factory(NoDatabase, nameko_config).start()


def test_a_method_declared_wrongly_is_refused_at_import():
    with pytest.raises(TypeError, match="takes \\(self, uow"):

        @rpc_method()
        def no_unit_of_work(self, data):
            pass

    with pytest.raises(TypeError, match="has no parameter limit"):

        @rpc_method(schema=LimitInput)
        def no_limit(self, uow, data):
            pass
