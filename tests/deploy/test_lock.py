"""The lock files (`make lock` writes them from pyproject.toml with pip-compile): every dependency
pyproject.toml names is pinned there, with hashes, at a version it allows; the image's lock and the
tests' agree; `make install` installs them with uv, itself pinned with its hashes, and reinstalls
when a lock changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib

import pytest
from packaging.requirements import Requirement

from tests.support.image import INSTALLER_LOCK, LOCK, ROOT, TEST_LOCK, normalized, read_lock

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
TEST_EXTRAS = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]]


def _unpinned(requirements: list[Requirement], lock) -> list[str]:
    pins = read_lock(lock)
    problems = []
    for requirement in requirements:
        pin = pins.get(normalized(requirement.name))
        if pin is None:
            problems.append(f"{requirement} is not in {lock.name}")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{lock.name} pins {pin.name}=={pin.version}, not {requirement}")
    return problems


@pytest.mark.parametrize(
    "lock, requirements",
    [(LOCK, RUNTIME), (TEST_LOCK, RUNTIME + TEST_EXTRAS)],
    ids=[LOCK.name, TEST_LOCK.name],
)
def test_every_dependency_of_pyproject_is_pinned_in_the_lock(lock, requirements):
    problems = _unpinned(requirements, lock)
    assert not problems, "; ".join(problems) + ": run `make lock` (and commit the lock files)"


def test_a_dependency_missing_from_the_lock_is_named():
    """The check above can fail, and says which dependency and what to run."""
    problems = _unpinned([Requirement("no-such-dependency>=1"), Requirement("click<8")], LOCK)
    assert problems[0] == f"no-such-dependency>=1 is not in {LOCK.name}"
    assert problems[1].startswith(f"{LOCK.name} pins click==")


@pytest.mark.parametrize("lock", [LOCK, TEST_LOCK, INSTALLER_LOCK], ids=lambda p: p.name)
def test_every_pin_carries_its_hashes_and_no_machine_setting(lock):
    pins = read_lock(lock)  # refuses any line that is not name==version with sha256 hashes
    assert pins
    text = lock.read_text()
    for option in ("--index-url", "--extra-index-url", "--find-links", "file://", "-e "):
        assert option not in text, f"{lock.name} names {option}: it must work on any machine"
    assert "#    make lock" in text, f"{lock.name} was not written by `make lock`"


def test_the_tests_run_the_versions_the_image_runs():
    image, tests = read_lock(LOCK), read_lock(TEST_LOCK)
    differ = {
        name: (pin.version, tests[name].version if name in tests else None)
        for name, pin in image.items()
        if name not in tests or tests[name].version != pin.version
    }
    assert not differ, f"requirements.lock vs requirements-test.lock: {differ}: run `make lock`"


def test_the_image_builds_the_project_with_the_locks_setuptools():
    """deploy/Dockerfile installs the project with --no-build-isolation: the build backend comes
    from the lock and must be one pyproject.toml's build-system accepts (nameko needs <81)."""
    pins = read_lock(LOCK)
    for requirement in map(Requirement, PYPROJECT["build-system"]["requires"]):
        if normalized(requirement.name) == "wheel":
            continue  # setuptools builds wheels itself since 70.1
        pin = pins[normalized(requirement.name)]
        assert requirement.specifier.contains(pin.version), (requirement, pin)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_install_reinstalls_when_a_lock_or_pyproject_changes(tmp_path):
    """make's own judgement (`make -q`, nothing run): the stamp of an install is out of date once
    the lock or pyproject.toml is newer than it."""
    locks = (LOCK.name, TEST_LOCK.name, INSTALLER_LOCK.name)
    for name in ("Makefile", "pyproject.toml", *locks):
        shutil.copy(ROOT / name, tmp_path / name)
    stamp = tmp_path / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.touch()
    start = stamp.stat().st_mtime

    def at(name: str, seconds: int) -> None:
        os.utime(tmp_path / name, (start + seconds, start + seconds))

    def up_to_date() -> bool:
        return subprocess.run(["make", "-q", "install"], cwd=tmp_path).returncode == 0

    for name in ("Makefile", "pyproject.toml", *locks):
        at(name, 0)
    at(".venv/.installed", 10)
    assert up_to_date()
    at(TEST_LOCK.name, 20)
    assert not up_to_date(), "a new lock must reinstall"
    at(".venv/.installed", 30)
    assert up_to_date()
    at("pyproject.toml", 40)
    assert not up_to_date(), "a changed pyproject.toml must reinstall"
    at(".venv/.installed", 50)
    at(INSTALLER_LOCK.name, 60)
    assert not up_to_date(), "a new uv must reinstall"


def test_make_install_installs_from_the_lock_with_hashes():
    """pip installs uv from its lock, uv everything else from the tests' lock, both hash-checked."""
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r $(INSTALLER_LOCK)" in makefile
    assert "UV_INSTALL     := $(BIN)/uv pip install --quiet --python $(BIN)/python" in makefile
    assert "$(UV_INSTALL) --compile-bytecode --require-hashes -r $(TEST_LOCK)" in makefile
    assert "$(UV_INSTALL) --no-deps --no-build-isolation -e ." in makefile
    assert "pip check" in makefile and "make lock" in makefile


def test_the_installer_lock_pins_uv_alone():
    assert list(read_lock(INSTALLER_LOCK)) == ["uv"]
