"""Every field message has its French, by construction: each is a code of the catalogue
(backbone/messages.py), never an English sentence translated afterwards. These tests walk every
schema of every service and every place that raises a field error."""

import ast
import importlib
import pathlib
import pkgutil

import marshmallow
import pytest
from marshmallow import fields, validate

import backbone
import gateway
import services
from backbone.messages import FIELD_MESSAGES, Text, placeholders
from backbone.schemas import Schema

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "backbone", ROOT / "services", ROOT / "gateway", ROOT / "maillage"]


def _import_everything():
    for package in (backbone, services, gateway):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)


def _schema_classes():
    _import_everything()
    found, todo = set(), [marshmallow.Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(
        (
            cls
            for cls in found
            if cls.__module__.split(".")[0] in ("backbone", "services", "gateway")
        ),
        key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
    )


SCHEMAS = _schema_classes()


def _field_messages(field, where):
    for key, message in field.error_messages.items():
        yield f"{where} error_messages[{key!r}]", message
    for validator in field.validators:
        name = f"{where} {type(validator).__name__}"
        if isinstance(validator, validate.Length) and validator.error is None:
            for attr in ("message_min", "message_max", "message_all", "message_equal"):
                yield f"{name}.{attr}", getattr(validator, attr)
        elif isinstance(validator, validate.Range) and validator.error is None:
            yield f"{name}.message_min", validator.message_min
            yield f"{name}.message_max", validator.message_max
            if validator.min is not None and validator.max is not None:
                yield f"{name}.message_all", validator.message_all
        elif isinstance(validator, validate.Validator):
            yield f"{name}.error", validator.error
    for inner_name in ("inner", "key_field", "value_field"):
        inner = getattr(field, inner_name, None)
        if isinstance(inner, fields.Field):
            yield from _field_messages(inner, f"{where}.{inner_name}")
    for index, inner in enumerate(getattr(field, "tuple_fields", None) or []):
        yield from _field_messages(inner, f"{where}.tuple_fields[{index}]")


@pytest.mark.parametrize("schema_cls", SCHEMAS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_message_a_schema_can_give_is_a_code_of_the_catalogue(schema_cls):
    assert issubclass(schema_cls, Schema), "schemas derive from backbone.schemas.Schema"
    schema = schema_cls()
    where = schema_cls.__qualname__
    messages = [(f"{where} error_messages[{k!r}]", m) for k, m in schema.error_messages.items()]
    for name, field in schema.fields.items():
        messages += list(_field_messages(field, f"{where}.{name}"))
    english = [
        f"{place}: {message!r}" for place, message in messages if not isinstance(message, Text)
    ]
    assert english == []


def _raising_calls():
    """Calls that raise or build a field error, with the arguments that hold its messages."""
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                place = f"{path.relative_to(ROOT)}:{node.lineno}"
                if name == "ValidationError" and node.args:
                    yield place, node.args[0]
                elif name == "InvalidInput":
                    yield from ((place, arg) for arg in node.args[:1])
                elif name == "_RowError" and len(node.args) > 1:
                    yield place, node.args[1]


def _sentences(node):
    """String literals among the values of `node` (dict keys are field names, not messages)."""
    if isinstance(node, ast.Dict):
        for value in node.values:
            yield from _sentences(value)
    elif isinstance(node, ast.JoinedStr):
        yield ast.unparse(node)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for element in node.elts:
            yield from _sentences(element)
    elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        yield from _sentences(node.elt)
    elif isinstance(node, ast.DictComp):
        yield from _sentences(node.value)
    elif isinstance(node, ast.BinOp):
        yield from _sentences(node.left)
        yield from _sentences(node.right)


def test_no_field_error_is_raised_with_an_english_sentence():
    found = [
        f"{place}: {sentence}" for place, node in _raising_calls() for sentence in _sentences(node)
    ]
    assert found == [], "use msg(code, ...) of backbone/messages.py"


def test_no_field_message_is_written_by_hand_in_an_errors_tree():
    """`errors["field"] = ["Some sentence."]` and `"message_en": "Some sentence."`."""
    found = []
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                targets = []
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                    base = node.targets[0].value
                    if getattr(base, "id", "") in ("errors", "problems", "bad"):
                        targets = [node.value]
                elif isinstance(node, ast.Dict):
                    targets = [
                        v
                        for k, v in zip(node.keys, node.values)
                        if isinstance(k, ast.Constant) and k.value in ("message_en", "message")
                    ]
                for value in targets:
                    for sentence in _sentences(value):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {sentence}")
    assert found == []


def _codes_used():
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) in ("msg", "template", "Text")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    yield node.args[0].value
                elif isinstance(node, ast.Constant) and node.value in FIELD_MESSAGES:
                    yield node.value


def test_every_code_used_is_in_the_catalogue_and_every_code_is_used():
    used = set(_codes_used())
    assert used - set(FIELD_MESSAGES) == set()
    assert set(FIELD_MESSAGES) - used == set()


@pytest.mark.parametrize("code", sorted(FIELD_MESSAGES))
def test_each_code_says_the_same_in_french_and_english(code):
    french, english = FIELD_MESSAGES[code]
    assert french != english
    assert placeholders(french) <= placeholders(english)
    assert french.strip() == french and french.endswith((".", ")"))
