"""A national network for a benchmark: the network started on fresh PostgreSQL databases in a
private vhost, the demo data, then bench/national_data.py's villages, members, orders and parcels
written with COPY and rolled up. Used by bench/console_weight.py and bench/exports.py.

    with national_network(1000, members, orders, parcels) as (network, timings):
        ... network.base_url ...
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402
import national_data  # noqa: E402
import throughput  # noqa: E402


def add_size_arguments(parser, orders: int, members: int, parcels: int) -> None:
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--members", type=int, default=members)
    parser.add_argument("--orders", type=int, default=orders)
    parser.add_argument("--parcels", type=int, default=parcels)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-write", action="store_true", help="print only, no bench/results file")


@contextlib.contextmanager
def national_network(villages: int, members: int, orders: int, parcels: int):
    work = Path(tempfile.mkdtemp(prefix="maillage-national-"))
    with throughput.Vhost() as vhost:
        network = load.Network("postgresql", work, vhost)
        try:
            print(f"starting the network (PostgreSQL) in {work} …", flush=True)
            network.start()
            from backbone import config

            urls = {s: config.database_url(s) for s in config.SERVICES}
            print(
                f"writing {villages:,} villages, {members:,} members, {orders:,} orders, "
                f"{parcels:,} parcels …",
                flush=True,
            )
            size = SimpleNamespace(
                villages=villages, members=members, orders=orders, parcels=parcels
            )
            timings = national_data.generate(size, urls)
            yield network, timings
        finally:
            network.stop()
            shutil.rmtree(work, ignore_errors=True)
