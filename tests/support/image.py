"""The image without a Docker engine: the build context as the root .dockerignore leaves it (the
rules of Docker's own matcher, moby/patternmatcher), the lock files, and the project installed from
that context the way deploy/Dockerfile installs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERIGNORE = ROOT / ".dockerignore"
LOCK = ROOT / "requirements.lock"
TEST_LOCK = ROOT / "requirements-test.lock"
INSTALLER_LOCK = ROOT / "requirements-installer.lock"  # uv, which installs TEST_LOCK


# --- .dockerignore ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    text: str
    exclusion: bool  # a `!` line: lets back in what an earlier line left out
    regex: re.Pattern


def _regex(pattern: str) -> re.Pattern:
    """Docker's translation: `**` any number of folders, `*` and `?` within one name."""
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out += "(.*/)?"
                i += 1
            else:
                out += ".*"
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(char)
        i += 1
    return re.compile(f"^{out}$")


def patterns(path: Path = DOCKERIGNORE) -> list[Pattern]:
    found = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        text = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        found.append(Pattern(text, exclusion, _regex(text)))
    return found


def excluded(relative: str, rules: list[Pattern]) -> bool:
    """Whether the file or folder at `relative` (posix, from the context's root) stays out of the
    context: the last line matching it, or one of its parent folders, decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    out = False
    for rule in rules:
        if rule.regex.match(relative) or any(rule.regex.match(c) for c in candidates[:-1]):
            out = not rule.exclusion
    return out


def context_files(root: Path = ROOT, rules: list[Pattern] | None = None) -> list[str]:
    """Every file the builder sends (posix paths from the root). Like Docker, it does not walk
    a folder left out unless a `!` line names something inside it."""
    rules = patterns() if rules is None else rules
    kept = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = [
            d
            for d in dirs
            if not excluded(prefix + d, rules)
            or any(r.exclusion and r.text.startswith(prefix + d + "/") for r in rules)
        ]
        kept += [prefix + f for f in files if not excluded(prefix + f, rules)]
    return sorted(kept)


def copy_context(destination: Path) -> Path:
    for relative in context_files():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
    return destination


def install_like_the_image(tmp_path: Path) -> Path:
    """`pip install --no-deps --no-build-isolation` of the build context, as deploy/Dockerfile does,
    into a folder of its own (the dependencies are this interpreter's, from the same lock)."""
    source = copy_context(tmp_path / "context")
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return site


# --- the lock files --------------------------------------------------------------------------


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: tuple[str, ...]


def read_lock(path: Path) -> dict[str, Pin]:
    """{normalized name: pin} of a pip-compile output; a line that is not `name==version` with its
    `--hash` options is an error (a lock that `pip install --require-hashes` would refuse)."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(
            r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)", line
        )
        assert match, f"{path.name}: not a pinned requirement with its hashes: {line[:120]}"
        name, version, hashes = match.groups()
        pins[normalized(name)] = Pin(name, version, tuple(re.findall(r"[0-9a-f]{64}", hashes)))
    return pins
