"""CPU per log line through the processes' handler (backbone/logs.py): the privacy filter, the
worker's context, then the text or JSON formatter, written to /dev/null. A consumer writes one line
per event handled and the gateway one per request, so this is what each adds to them.

    .venv/bin/python bench/log_cost.py [-n 20000]

Prints microseconds per line for each format, and the privacy filter's share alone."""

from __future__ import annotations

import argparse
import logging
import os
import time

MESSAGE = "orders.on_member_registered: member.registered %s handled"
EVENT_ID = "8bfd0765-27cb-4479-926b-cd839bcaf888"


def per_line(logger: logging.Logger, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        logger.info(MESSAGE, EVENT_ID)
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000)
    n = parser.parse_args().n
    from backbone import logs
    from backbone.log_privacy import mask_contacts

    logs.bind(service="orders", correlation_id=EVENT_ID, event_id=EVENT_ID, village_id=EVENT_ID)
    print(f"load average {os.getloadavg()[0]:.1f}, {n} lines each")
    for kind in ("text", "json"):
        logger = logging.getLogger(f"bench.{kind}")
        logger.propagate, logger.level = False, logging.INFO
        handler = logs.console_handler()
        handler.setFormatter(logs.formatter(kind))
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
        logger.addHandler(handler)
        print(f"{kind:5} {per_line(logger, n):7.1f} µs per line")
    started = time.perf_counter()
    for _ in range(n):
        mask_contacts(MESSAGE % EVENT_ID)
    print(f"privacy filter's masking alone {(time.perf_counter() - started) / n * 1e6:7.1f} µs")


if __name__ == "__main__":
    main()
