"""The test suite's own layout: a test module never imports another test module nor a conftest.py
(what tests share is a fixture in a conftest.py or a helper in tests/support/), so each module
reads on its own and runs alone or on any xdist worker; and the tests sharing a network reach
xdist as one group, so that each such network is started once, or as one of the few groups of a
network each worker starts for itself (the e2e and browser networks); and a service a test starts
declares its handlers' queues unless the test is marked `no_event_consumers`."""

import ast
import collections
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy
from xdist.scheduler.loadgroup import LoadGroupScheduling

from services.members.service import MembersService
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT

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


# the xdist group each collected test is given (tests/conftest.py), one tab-separated line each
_PRINT_GROUPS = """
import sys, pytest
class Groups:
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            mark = item.get_closest_marker("xdist_group")
            print("GROUP", item.nodeid, mark.args[0] if mark else "", sep="\\t")
sys.exit(pytest.main(["--co", "-q", "-p", "no:cacheprovider", *sys.argv[1:]], plugins=[Groups()]))
"""


def _groups_collected(*arguments: str) -> dict[str, str]:
    """Node id -> xdist group ("" for none) of each test pytest collects with `arguments`."""
    collected = subprocess.run(
        [sys.executable, "-c", _PRINT_GROUPS, *arguments],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    return dict(
        line.split("\t")[1:] for line in collected.stdout.splitlines() if line.startswith("GROUP")
    )


def test_the_browser_modules_make_two_groups_and_the_e2e_modules_one():
    """Each group of a network a worker starts for itself is one more network started (~10 CPU-s,
    then ~26 ms a second while it runs): the browser modules make two groups, the e2e modules one,
    whatever their module fixtures, a module's tests in one group (they build on each other's
    data), the accessibility crawl's two long tests apart (`spread`)."""
    group_of = _groups_collected("tests/e2e", "tests/browser")
    groups_of_module = collections.defaultdict(set)  # of the tests on a network (not all are)
    for nodeid, group in group_of.items():
        if group:
            groups_of_module[nodeid.split("::")[0]].add(group)
    crawl = groups_of_module.pop("tests/browser/test_accessibility.py")
    on_network = collections.defaultdict(set)  # network -> its modules
    for module, groups in groups_of_module.items():
        on_network[min(groups).split("#")[0]].add(module)
    e2e = {g for gs in groups_of_module.values() for g in gs if g.startswith("tests::stack")}
    browser = {g for gs in groups_of_module.values() for g in gs if g.startswith("tests/browser")}
    assert browser == {"tests/browser::stack#0", "tests/browser::stack#1"} == crawl
    assert e2e == {"tests::stack#0"}
    assert len(on_network["tests/browser::stack"]) >= 15 and len(on_network["tests::stack"]) >= 15
    assert all(len(groups) == 1 for groups in groups_of_module.values()), groups_of_module


def test_the_alone_pass_runs_each_load_beside_the_others_in_turn():
    """The alone pass has three workers: the broker cluster's tests (three nodes of their own) on
    one, the faults under load on another (neither bounds a duration), every other alone test on
    the third, one after the other, the self-healing test first: the tests bounding a second or two
    come once the faults under load are over (they hold beside the cluster, not beside the
    parallel pass)."""
    collected = _groups_collected(
        "--suite-pass=alone", "tests/reliability", "tests/backbone/test_rpc.py"
    )
    modules_of = collections.defaultdict(set)
    for nodeid, group in collected.items():
        modules_of[group].add(nodeid.split("::")[0])
    cluster = "tests/reliability/test_broker_cluster.py"
    faults = "tests/reliability/test_faults_under_load.py"
    assert modules_of.pop(f"alone: beside {cluster}") == {cluster}
    assert modules_of.pop(f"alone: beside {faults}") == {faults}
    assert set(modules_of) == {"alone"}
    in_turn = [nodeid.split("::")[0] for nodeid, group in collected.items() if group == "alone"]
    assert in_turn[0] == "tests/reliability/test_self_healing.py", in_turn
    assert {"tests/backbone/test_rpc.py", "tests/reliability/test_outbox_relay.py"} <= set(in_turn)


def test_the_alone_pass_collects_only_the_modules_make_names_and_they_hold_every_alone_test():
    """`make test`'s alone pass collects the modules `make alone-tests` names (a grep for the
    marker), not the whole suite: the same tests, in the same groups, as from the whole suite."""
    named = subprocess.run(
        ["make", "-s", "alone-tests"], cwd=TESTS.parent, capture_output=True, text=True, timeout=60
    ).stdout.split()
    whole = _groups_collected("--suite-pass=alone")
    assert sorted({nodeid.split("::")[0] for nodeid in whole}) == named
    assert _groups_collected("--suite-pass=alone", *named) == whole


def _queues_of(amqp_uri: str) -> set[str]:
    vhost = amqp_uri.rsplit("/", 1)[1]
    answer = requests.get(f"{RABBIT_MANAGEMENT}/queues/{vhost}", auth=RABBIT_AUTH, timeout=10)
    answer.raise_for_status()
    return {queue["name"] for queue in answer.json()}


def _start_members(container_factory, nameko_config, service_db) -> None:
    service_db("members")
    container_factory(MembersService, nameko_config).start()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_service_a_test_starts_declares_its_handlers_queues(
    container_factory, nameko_config, service_db, amqp_uri
):
    _start_members(container_factory, nameko_config, service_db)
    handlers = {q for q in _queues_of(amqp_uri) if q.startswith("members.on_")}
    assert "members.on_help_request_completed" in handlers and len(handlers) >= 10, handlers


@pytest.mark.no_event_consumers
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_test_marked_no_event_consumers_starts_services_without_their_handlers(
    container_factory, nameko_config, service_db, amqp_uri
):
    """What the mark saves (tests/conftest.py): the handlers' quorum queues, never declared."""
    _start_members(container_factory, nameko_config, service_db)
    with ServiceRpcProxy("members", nameko_config, timeout=10) as members:
        assert members.list_villages() == [], "it still answers RPC"
    assert not {q for q in _queues_of(amqp_uri) if q.startswith("members.on_")}


def test_a_module_world_is_one_group_per_backend():
    """A module whose backend is module-scoped starts its world once per backend on a worker
    (tests/support/module_world.py): each backend's tests make one group, both may run at once;
    the module's tests that use no world go anywhere."""
    collected = _groups_collected("tests/services/test_members_people.py")
    module = "tests/services/test_members_people.py"
    groups = collections.Counter(collected.values())
    assert set(groups) == {"", f"{module}#sqlite", f"{module}#postgresql"}, groups
    assert groups[f"{module}#sqlite"] == groups[f"{module}#postgresql"] > 10, groups
    for nodeid, group in collected.items():
        if "[sqlite" in nodeid or "[postgresql" in nodeid:
            assert group == f"{module}#{'sqlite' if '[sqlite' in nodeid else 'postgresql'}"
            # what xdist reads of it: a group ending with `]` would be read as none, and each
            # worker that got one of its tests would make the world again
            assert LoadGroupScheduling._split_scope(None, f"{nodeid}@{group}") == group
