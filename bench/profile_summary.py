"""Where a process's CPU goes, from the py-spy profiles `bench/load.py --profile` writes.

    .venv/bin/python bench/profile_summary.py /tmp/maillage-load-XXXX/profile
    .venv/bin/python bench/profile_summary.py /tmp/maillage-load-XXXX/profile --process orders \
        --under "place_order (services/orders/ordering.py)"

Each `<process>.txt` holds collapsed stacks (`frame;frame;... count`, py-spy's raw format, idle
samples left out): every sample is CPU spent by that process. For each process this prints

- *self time by library*: the library of the innermost frame (sqlalchemy, eventlet, kombu, …, or
  the project's package), i.e. whose code was running;
- *by entry point*: the outermost frame of the project's own code (a service method, an event
  consumer, the relay), or the library loop that ran without entering it (nameko, kombu, eventlet
  machinery: receiving, acknowledging, polling);
- with `--under FUNC`: the share of each direct child of FUNC (FUNC as py-spy prints it,
  `name (path)`, the line number left out; a prefix is enough).

Shares are of the process's samples; multiply by its CPU-seconds (load.py's CPU table) for time.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

PROJECT_PACKAGES = ("services", "backbone", "gateway", "maillage")
LIBRARIES = (
    "sqlalchemy",
    "psycopg2",
    "psycogreen",
    "kombu",
    "amqp",
    "nameko",
    "eventlet",
    "marshmallow",
    "werkzeug",
    "jinja2",
    "pika",
    "json",
    "greenlet",
    "logging",
    "socket",
    "uuid",
    "datetime",
)
NO_FRAME = "(no Python frame)"
LINE_NUMBER = re.compile(r" \((\S+?):\d+\)$")


def frames_of(stack: str) -> list[str]:
    """`name (path)` for each frame, outermost first, without line numbers."""
    return [LINE_NUMBER.sub(r" (\1)", frame) for frame in stack.split(";")]


def path_of(frame: str) -> str:
    found = re.search(r"\((\S+)\)$", frame)
    return found.group(1) if found else frame


def library_of(frame: str) -> str:
    if frame == NO_FRAME:
        return frame
    path = path_of(frame)
    top = path.split("/", 1)[0]
    if top in PROJECT_PACKAGES:
        return "/".join(path.split("/")[:2])  # e.g. services/orders, backbone/relay.py
    for library in LIBRARIES:
        if top in (library, library + ".py"):
            return library
    return "stdlib and other: " + top


def is_project(frame: str) -> bool:
    return path_of(frame).split("/", 1)[0] in PROJECT_PACKAGES


def read(path: Path) -> list[tuple[list[str], int]]:
    samples = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():  # an empty stack: the sample caught no Python frame (native code)
            samples.append((frames_of(stack) if stack else [NO_FRAME], int(count)))
    return samples


def summarise(samples, under: str | None = None, top: int = 12) -> list[str]:
    total = sum(count for _, count in samples) or 1
    by_library, by_entry, children = Counter(), Counter(), Counter()
    for frames, count in samples:
        by_library[library_of(frames[-1])] += count
        entry = next((f for f in frames if is_project(f)), None)
        by_entry[entry or f"({library_of(frames[min(2, len(frames) - 1)])} machinery)"] += count
        if under:
            at = next((i for i, f in enumerate(frames) if f.startswith(under)), None)
            if at is not None:
                children[frames[at + 1] if at + 1 < len(frames) else "(its own code)"] += count

    def table(counter):
        return [f"  {100 * n / total:5.1f} %  {name}" for name, n in counter.most_common(top)]

    lines = [
        f"{total:,} samples",
        "self time by library:",
        *table(by_library),
        "by entry point:",
        *table(by_entry),
    ]
    if under:
        inside = sum(children.values())
        lines += [f"under {under}: {100 * inside / total:.1f} % of the process", *table(children)]
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folder",
        type=Path,
        help="the profile folder (<work>/profile of bench/load.py --keep --profile)",
    )
    parser.add_argument(
        "--process", action="append", help="only this process (repeatable); default: all"
    )
    parser.add_argument("--under", help="also break down the children of this frame")
    parser.add_argument("--top", type=int, default=12, help="rows per table")
    args = parser.parse_args(argv)
    files = sorted(args.folder.glob("*.txt"))
    if args.process:
        files = [f for f in files if f.stem in args.process]
    if not files:
        parser.error(f"no <process>.txt profile in {args.folder}")
    for path in files:
        samples = read(path)
        if not samples:
            continue
        print(f"== {path.stem}")
        print("\n".join(summarise(samples, args.under, args.top)))
        print()


if __name__ == "__main__":
    main()
