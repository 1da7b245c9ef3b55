"""The test suite's own layout: a test module never imports another test module nor a conftest.py
(what tests share is a fixture in a conftest.py or a helper in tests/support/), so each module
reads on its own and runs alone or on any xdist worker; and the tests sharing a network reach
xdist as one group, so that each such network is started once."""

import ast
import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _is_test_module(dotted: str) -> bool:
    parts = dotted.split(".")
    return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from tests.services import test_orders` names the module in the alias
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_no_module_of_the_suite_imports_a_test_module_or_a_conftest():
    offending = [
        f"{path.relative_to(TESTS.parent)}:{line}: {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in _imports(path)
        if _is_test_module(module)
    ]
    assert offending == [], "move what is shared to a conftest.py fixture or tests/support/"


@pytest.fixture(scope="module")
def _shared_by_this_module():
    """What a module's tests share, as the fuzzer's and the authorisation matrix's network."""
    return object()


def test_the_tests_sharing_a_module_fixture_reach_xdist_as_one_group(
    _shared_by_this_module, request
):
    """Under `make test`, xdist schedules by node id: a test's group (tests/conftest.py) must end
    it. With pytest 9.2, pytest-xdist 3.8 sets it where pytest no longer reads it (pytest-xdist
    #1386): nothing fails, but every worker would start its own copy of each shared network."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("groups are xdist's: this runs in make test's parallel pass")
    assert request.node.nodeid.endswith("@tests/test_suite_layout.py"), request.node.nodeid
