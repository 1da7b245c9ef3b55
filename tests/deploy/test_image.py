"""deploy/Dockerfile and its build context (the root .dockerignore), checked without a Docker
engine: a pinned base, the dependencies from the lock in a layer of their own before the code, a
non-root user owning its folders, a health check on /readyz, the PDF fonts in the package, and the
project installed from exactly what the context holds."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib

import pytest
from fontTools.ttLib import TTFont

from tests.support.compose import (
    NAMEKO_YAML,
    SERVICES,
    dockerfile_healthcheck,
    dockerfile_instructions,
    exec_form,
    healthcheck_options,
    run_health_check,
)
from tests.support.image import (
    DOCKERIGNORE,
    LOCK,
    ROOT,
    context_files,
    excluded,
    install_like_the_image,
    patterns,
)

PACKAGES = ("backbone", "services", "gateway", "maillage")
FONTS = ROOT / "gateway" / "console" / "fonts"


def _runs() -> list[str]:
    return [rest for keyword, rest in dockerfile_instructions() if keyword == "RUN"]


def _index(predicate) -> int:
    return next(
        i for i, instruction in enumerate(dockerfile_instructions()) if predicate(*instruction)
    )


# --- the Dockerfile --------------------------------------------------------------------------


def test_the_base_image_is_pinned_by_tag_and_digest():
    instructions = dockerfile_instructions()
    keyword, base = instructions[0]
    assert keyword == "FROM"
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", base), (
        f"FROM {base}: pin the tag and its digest (python:3.11-slim-bookworm@sha256:...)"
    )
    # how to refresh it is written beside it
    assert (
        "docker buildx imagetools inspect python:3.11-slim-bookworm"
        in (ROOT / "deploy" / "Dockerfile").read_text()
    )


def test_dependencies_are_installed_from_the_lock_before_the_code_is_copied():
    """A code change must not reinstall the dependencies: the lock is copied and installed, with
    its hashes, in layers that come before any COPY of the project's code."""
    instructions = dockerfile_instructions()
    lock_copy = _index(lambda k, rest: k == "COPY" and shlex.split(rest)[0] == LOCK.name)
    lock_path = shlex.split(instructions[lock_copy][1])[-1]
    lock_install = _index(lambda k, rest: k == "RUN" and f"--require-hashes -r {lock_path}" in rest)
    code_copies = [
        i
        for i, (k, rest) in enumerate(instructions)
        if k == "COPY" and shlex.split(rest)[0] in (*PACKAGES, "pyproject.toml")
    ]
    assert {shlex.split(instructions[i][1])[0] for i in code_copies} == {
        *PACKAGES,
        "pyproject.toml",
    }
    assert lock_copy < lock_install < min(code_copies), "the lock's layer comes first"
    project_install = _index(
        lambda k, rest: (
            k == "RUN" and re.search(r"pip install --no-deps --no-build-isolation", rest)
        )
    )
    assert project_install > max(code_copies)
    assert "pip check" in instructions[project_install][1], (
        "a dependency pyproject.toml names but the lock lacks must fail the build"
    )
    # nothing is installed but from the lock: no other `pip install` of a named package
    for run in _runs():
        for install in re.findall(r"pip install ([^&;]*)", run):
            assert "--require-hashes" in install or "--no-deps" in install, install


def test_the_image_runs_as_a_user_owning_its_folders():
    instructions = dockerfile_instructions()
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    last_run = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "RUN")
    assert _index(lambda k, _rest: k == "USER") > last_run
    runs = " ".join(_runs())
    assert re.search(r"useradd --system --uid (\d+)", runs).group(1) != "0"


def test_dockerfile_copies_what_the_commands_use():
    instructions = dockerfile_instructions()
    workdir = [rest for k, rest in instructions if k == "WORKDIR"][-1]
    copies = [shlex.split(rest) for k, rest in instructions if k == "COPY"]
    context = context_files()
    for *sources, _dest in copies:
        for source in sources:
            assert any(f == source or f.startswith(source + "/") for f in context), (
                f"COPY {source}: not in the build context (.dockerignore)"
            )
    # compose runs `nameko run --config deploy/nameko.yaml` from the working directory
    assert ["deploy/nameko.yaml", f"{workdir}/deploy/nameko.yaml"] in copies


def test_dockerfile_default_command_is_real():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for keyword in ("CMD", "ENTRYPOINT"):
        for _k, rest in (i for i in dockerfile_instructions() if i[0] == keyword):
            command = exec_form(rest)
            assert command[0] in {*scripts, "nameko", "python"}, command
            if command[0] == "maillage" and len(command) > 1 and not command[1].startswith("-"):
                from maillage.cli import main

                assert command[1] in main.commands, command


@pytest.mark.parametrize("status, healthy", [(200, True), (503, False)])
def test_the_image_health_check_asks_the_service_readiness(status, healthy):
    test = dockerfile_healthcheck()
    assert test[:3] == ["CMD", "python", "-c"], "the slim image has no curl"
    result = run_health_check(test[3], {"MAILLAGE_OPS_PORT": "8080"}, 8080, status)
    assert (result.returncode == 0) is healthy, result.stderr[-500:]
    options = healthcheck_options()
    assert {"interval", "timeout", "start-period", "retries"} <= set(options), options


# --- the build context -----------------------------------------------------------------------


def test_one_ignore_file_for_every_builder():
    """BuildKit reads deploy/Dockerfile.dockerignore instead of the root file when it exists, the
    classic builder and docker-compose 1.29 only the root one: one file, at the root."""
    assert DOCKERIGNORE.is_file()
    assert not list((ROOT / "deploy").glob("*.dockerignore"))


# local state and secrets, and what the image does not need
LEFT_OUT = [
    ".venv/bin/python",
    ".venv/lib/python3.11/site-packages/nameko/__init__.py",
    "var/gateway.secret",
    "var/data/members.db",
    "var/notices/outbox.jsonl",
    ".git/config",
    "node_modules/axe-core/axe.min.js",
    "bench/results/load-2026-12-01.md",
    ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/CACHEDIR.TAG",
    ".env",
    "deploy/.env",
    "services/orders/.env.local",
    "backbone/__pycache__/config.cpython-311.pyc",
    "services/orders/var/orders.db",
    "maillage.egg-info/PKG-INFO",
    "build/lib/backbone/config.py",
    "tests/conftest.py",
    "docker-compose.yml",
]


@pytest.mark.parametrize("path", LEFT_OUT)
def test_local_state_and_secrets_stay_out_of_the_build_context(path):
    assert excluded(path, patterns()), f"{path} would be sent to the Docker builder"


def test_the_context_holds_what_the_image_copies():
    rules = patterns()
    for path in ("pyproject.toml", LOCK.name, "deploy/nameko.yaml"):
        assert not excluded(path, rules), path
    tracked = subprocess.run(
        ["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "git lists no file of the packages"
    missing = [path for path in tracked if excluded(path, rules)]
    assert not missing, f"left out of the build context: {missing[:10]}"


def test_the_context_of_this_working_tree_holds_nothing_git_ignores():
    """The working tree as it is (a .venv, var/ with databases and the gateway secret, caches):
    none of what git ignores, nothing outside the packages, reaches the builder."""
    context = context_files()
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=ROOT,
        input="\n".join(context),
        capture_output=True,
        text=True,
    ).stdout.split()
    assert not ignored, f"sent to the builder although git ignores them: {ignored[:10]}"
    tops = {path.split("/")[0] for path in context}
    assert tops <= {*PACKAGES, "pyproject.toml", LOCK.name, "deploy"}, tops
    assert [p for p in context if p.startswith("deploy/")] == ["deploy/nameko.yaml"]
    size = sum((ROOT / path).stat().st_size for path in context)
    assert size < 20 * 1024 * 1024, f"a {size / 1e6:.0f} MB build context"


# --- the fonts of the PDF report -------------------------------------------------------------


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_the_pdf_fonts_ship_with_the_package_and_have_french_and_the_euro(name):
    font = TTFont(FONTS / name)
    cmap = font.getBestCmap()
    for char in "œŒ€«»\u202f\u00a0éèêàçÉÀ—…’":
        assert ord(char) in cmap, f"{name} has no glyph for {char!r}"
    licence = (FONTS / "LICENSE").read_text()
    assert "Bitstream" in licence and "DejaVu" in licence


def test_installed_package_migrates_without_the_source_tree(tmp_path):
    """What the image does: `pip install .` of the build context into site-packages, then run from
    a folder holding only deploy/nameko.yaml. The migrations and the fonts must be in the package
    and found from there."""
    site = install_like_the_image(tmp_path)
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"):
        assert (site / "gateway" / "console" / "fonts" / name).is_file(), name
    app = tmp_path / "app"
    (app / "deploy").mkdir(parents=True)
    (app / "deploy" / "nameko.yaml").write_bytes(NAMEKO_YAML.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(site), "MAILLAGE_DATA_DIR": str(tmp_path / "data")}
    env.pop("AMQP_URI", None)
    script = (
        "import backbone.config as c, services.orders.service, maillage.cli as m, sys;"
        "from gateway.console import report_pdf; print(c.REPO_ROOT);"
        "assert report_pdf.FONTS.is_relative_to(c.REPO_ROOT), report_pdf.FONTS;"
        "sys.argv = ['maillage', 'migrate']; m.main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[0] == str(site), (
        "the code ran from the source tree, not the package"
    )
    for service in SERVICES:
        assert (tmp_path / "data" / f"{service}.db").stat().st_size > 0
        assert f"{service}: database at head" in result.stdout
