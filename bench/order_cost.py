"""What an order costs: Maillage beside the naive shape of nameko's example shop (issue #30).

    .venv/bin/python bench/order_cost.py                        # 40 clients, 60 s, 3 runs each
    .venv/bin/python bench/order_cost.py --clients 20 --duration 20 --runs 1   # a quick look

Starts two networks side by side on PostgreSQL, each in its own vhost and databases:
- the naive baseline (bench/naive: gateway POST /orders -> RPC products.get_products -> RPC
  orders.create_order, which commits then dispatches `order_created` without an outbox -> one
  handler in products);
- Maillage as `maillage run` starts it (bench/load.py's Network, demo data loaded), driven with the
  counter's order only (`POST /api/villages/{id}/orders`, a concierge's token, an idempotency key).

Then runs the same load against each in turn, alternating (naive, Maillage, naive, …): N clients
without pause for D seconds, one kept-alive HTTP connection each. For each run it counts the orders
answered 201 per second, their latency p50/p95/p99, and the CPU every process used from the start of
the load until every queue of its vhost is empty (the events consumed): the network's own processes,
the PostgreSQL backends connected to its databases, and RabbitMQ (the machine's broker, shared with
whatever else runs: noisy, given apart). CPU is read from /proc/<pid>/stat; a PostgreSQL backend
that ended during the run is missed (the pools keep theirs open).

Prints the side-by-side table (median orders/s over the runs, CPU ms per order pooled over the runs,
latencies pooled) with the ratios, and the load average before and after each run. Appends it, with
the date and the commit, to bench/results/order_cost.md (unless --no-write).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: the Maillage network, its order mix, /proc readings)
import throughput  # noqa: E402  (vhosts and databases)

RESULTS_FILE = ROOT / "bench" / "results" / "order_cost.md"
NAIVE_CONFIG = ROOT / "bench" / "naive" / "nameko.yaml"
NAIVE_SERVICES = (  # started in this order: the handler's queue exists before orders dispatch
    ("naive products", "bench.naive.products:ProductsService"),
    ("naive orders", "bench.naive.orders:OrdersService"),
    ("naive gateway", "bench.naive.gateway:GatewayService"),
)
PRODUCTS = 20
RABBIT = "RabbitMQ" if os.environ.get("BENCH_RABBIT_PID") else "RabbitMQ (shared)"


def pg_backends(databases: list[str]) -> dict[int, str]:
    """{pid: database} of the PostgreSQL backends connected to these databases."""
    import psycopg2

    names = [url.rsplit("/", 1)[1] for url in databases]
    conn = psycopg2.connect(throughput.PG_ADMIN_DSN)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY(%s)", (names,)
            )
            return dict(cursor.fetchall())
    finally:
        conn.close()


def rabbit_cpu() -> float:
    """CPU seconds of the broker: BENCH_RABBIT_PID's process (a node of the bench's own), else
    every RabbitMQ process of the machine (shared with whatever else runs)."""
    if os.environ.get("BENCH_RABBIT_PID"):
        return load.cpu_seconds(int(os.environ["BENCH_RABBIT_PID"]))
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "beam.smp":
                    total += load.cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def queues_empty(vhost: throughput.Vhost) -> bool:
    response = requests.get(
        f"{throughput.RABBIT_MANAGEMENT}/queues/{vhost.name}",
        auth=throughput.RABBIT_AUTH,
        timeout=10,
    )
    queues = [q for q in response.json() if q["name"] != "maillage.dead-letters"]
    return all(q.get("messages", 0) == 0 for q in queues)


# --- the two networks ----------------------------------------------------------------------------


class NaiveShop:
    """bench/naive as three nameko processes, in its own vhost and two PostgreSQL databases."""

    label = "naive"

    def __init__(self, work: Path, vhost: throughput.Vhost):
        self.work, self.vhost = work, vhost
        self.port = load.free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.databases: list[str] = []
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.product_ids: list[str] = []

    def start(self) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from bench.naive.models import Base, Order, OrderDetail, Product

        # psycopg2 (SQLAlchemy 2's postgresql:// means psycopg 3): green under eventlet
        products_url, orders_url = (
            "postgresql+psycopg2://" + throughput.create_pg_database(name).split("://", 1)[1]
            for name in ("naive_products", "naive_orders")
        )
        self.databases = [products_url, orders_url]
        for url, tables in (
            (products_url, [Product.__table__]),
            (orders_url, [Order.__table__, OrderDetail.__table__]),
        ):
            engine = create_engine(url)
            Base.metadata.create_all(engine, tables=tables)
            if url == products_url:
                with Session(engine) as session:
                    for n in range(PRODUCTS):
                        session.add(
                            Product(
                                id=f"p{n:03d}",
                                title=f"Produit {n}",
                                in_stock=10**9,
                                price_cents=100 + 10 * n,
                            )
                        )
                    session.commit()
            engine.dispose()
        self.product_ids = [f"p{n:03d}" for n in range(PRODUCTS)]
        env = {
            **os.environ,
            "AMQP_URI": self.vhost.uri,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.port}",
            "NAIVE_PRODUCTS_DATABASE_URL": products_url,
            "NAIVE_ORDERS_DATABASE_URL": orders_url,
            "PYTHONPATH": str(ROOT),
        }
        nameko = str(Path(sys.executable).parent / "nameko")
        (self.work / "naive").mkdir(parents=True, exist_ok=True)
        for name, target in NAIVE_SERVICES:
            log = open(self.work / "naive" / f"{name.split()[1]}.log", "wb")  # noqa: SIM115
            self.procs.append(
                (
                    name,
                    subprocess.Popen(
                        [nameko, "run", "--config", str(NAIVE_CONFIG), target],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
            time.sleep(2)  # its queues declared before the next one publishes to them
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited: see {self.work / 'naive'}")
            time.sleep(0.3)
        raise RuntimeError("the naive gateway did not answer in 60 s")

    def processes(self) -> list[tuple[str, int]]:
        return [(name, proc.pid) for name, proc in self.procs]

    def place(self, session, rnd: random.Random) -> int:
        details = [
            {"product_id": product, "quantity": rnd.randint(1, 3)}
            for product in rnd.sample(self.product_ids, 1)
        ]
        return session.post(self.base_url + "/orders", json={"order_details": details}).status_code

    def stop(self) -> None:
        for _name, proc in self.procs:
            proc.terminate()
        for _name, proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for url in self.databases:
            try:
                throughput.drop_pg_database(url)
            except Exception as exc:  # noqa: BLE001
                print(f"  could not drop {url}: {exc}", file=sys.stderr)


class Maillage:
    """The network as `maillage run` starts it (bench/load.py), placing counter orders."""

    label = "Maillage"

    def __init__(self, work: Path, vhost: throughput.Vhost):
        self.vhost = vhost
        self.network = load.Network("postgresql", work, vhost)
        self.mix = None

    def start(self) -> None:
        self.network.start()
        self.mix = load.Mix(self.network.base_url, only=("order",))
        if "order" in self.mix.left_out:
            raise RuntimeError(f"Maillage cannot place orders: {self.mix.left_out['order']}")

    @property
    def databases(self) -> list[str]:
        return self.network.databases

    def processes(self) -> list[tuple[str, int]]:
        return [(name, pid) for name, pid, _rss in self.network.memory()]

    def place(self, session, rnd: random.Random) -> int:
        return self.mix.run("order", rnd, session)[1]

    def stop(self) -> None:
        self.network.stop()


# --- one run -------------------------------------------------------------------------------------


def snapshot(shop) -> dict[str, float]:
    usage = {name: load.cpu_seconds(pid) for name, pid in shop.processes()}
    backends = pg_backends(shop.databases)
    usage["PostgreSQL backends"] = sum(load.cpu_seconds(pid) for pid in backends)
    usage[RABBIT] = rabbit_cpu()
    usage["load generator"] = sum(os.times()[:2])
    return usage


def run_once(shop, clients: int, duration: float, seed: int) -> dict:
    latencies: list[float] = []
    statuses: dict = defaultdict(int)
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(n: int) -> None:
        rnd = random.Random(seed * 1000 + n)
        session = load.LightSession()
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status = shop.place(session, rnd)
            except requests.RequestException as exc:
                status = type(exc).__name__
            took = time.perf_counter() - started
            with lock:
                statuses[status] += 1
                if status == 201:
                    latencies.append(took)

    loadavg_before = os.getloadavg()
    before = snapshot(shop)
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stopped, drained = time.monotonic(), None
    while time.monotonic() - stopped < 120:
        if queues_empty(shop.vhost):
            drained = time.monotonic() - stopped
            break
        time.sleep(0.2)
    after = snapshot(shop)
    return {
        "elapsed": elapsed,
        "orders": statuses.get(201, 0),
        "statuses": dict(statuses),
        "latencies": latencies,
        "cpu": {name: after[name] - before.get(name, 0.0) for name in after},
        "drained": drained,
        "loadavg": (loadavg_before[0], os.getloadavg()[0]),
    }


# --- report --------------------------------------------------------------------------------------


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"


def summary(runs: list[dict]) -> dict:
    orders = sum(r["orders"] for r in runs)
    cpu: dict[str, float] = defaultdict(float)
    for r in runs:
        for name, seconds in r["cpu"].items():
            cpu[name] += seconds
    latencies = [x for r in runs for x in r["latencies"]]
    return {
        "rate": statistics.median(r["orders"] / r["elapsed"] for r in runs),
        "orders": orders,
        "cpu_ms": {name: s * 1000 / max(orders, 1) for name, s in cpu.items()},
        "p50": load.percentile(latencies, 0.5) * 1000,
        "p95": load.percentile(latencies, 0.95) * 1000,
        "p99": load.percentile(latencies, 0.99) * 1000,
    }


def report(args, started_at, results: dict[str, list[dict]]) -> str:
    naive, maillage = summary(results["naive"]), summary(results["Maillage"])

    def services(s):  # the network's own processes and its PostgreSQL backends
        return sum(v for k, v in s["cpu_ms"].items() if k not in (RABBIT, "load generator"))

    def ratio(a, b):
        return f"{b / a:.2f}" if a else "-"

    rows = [
        ("orders/s (median of the runs)", naive["rate"], maillage["rate"], "{:,.1f}"),
        ("CPU ms per order, processes + PostgreSQL", services(naive), services(maillage), "{:.2f}"),
        (
            f"CPU ms per order, with {RABBIT}",
            services(naive) + naive["cpu_ms"][RABBIT],
            services(maillage) + maillage["cpu_ms"][RABBIT],
            "{:.2f}",
        ),
        ("latency p50, ms", naive["p50"], maillage["p50"], "{:,.0f}"),
        ("latency p95, ms", naive["p95"], maillage["p95"], "{:,.0f}"),
        ("latency p99, ms", naive["p99"], maillage["p99"], "{:,.0f}"),
    ]
    lines = [
        f"## {started_at:%Y-%m-%d %H:%M} UTC — commit {args.commit}, {args.clients} clients, "
        f"{args.duration:.0f} s, {args.runs} run(s) each, alternating, RabbitMQ at "
        f"{throughput.RABBIT_HOST}:{throughput.RABBIT_PORT}",
        "",
        "| | naive shape | Maillage | Maillage / naive |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {ratio(a, b)} |"
        for name, a, b, fmt in rows
    ]
    lines += [
        "",
        "CPU ms per order by process (pooled over the runs, until the queues drained):",
        "",
    ]
    lines += ["| process | naive | Maillage |", "|---|---:|---:|"]
    names = sorted(set(naive["cpu_ms"]) | set(maillage["cpu_ms"]))
    for name in names:
        a, b = naive["cpu_ms"].get(name), maillage["cpu_ms"].get(name)
        lines.append(
            f"| {name} | {'' if a is None else f'{a:.2f}'} | {'' if b is None else f'{b:.2f}'} |"
        )
    lines += ["", "Runs (in the order they ran):", ""]
    lines += [
        "| # | network | orders | orders/s | answers | drained after | load avg before → after |",
        "|---:|---|---:|---:|---|---:|---|",
    ]
    for n, (label, run) in enumerate(results["order"], 1):
        drained = "not in 120 s" if run["drained"] is None else f"{run['drained']:.1f} s"
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(run["statuses"].items(), key=str))
        lines.append(
            f"| {n} | {label} | {run['orders']:,} | {run['orders'] / run['elapsed']:,.1f} | "
            f"{answers} | {drained} | {run['loadavg'][0]:.2f} → {run['loadavg'][1]:.2f} |"
        )
    lines += [
        "",
        f"Machine: {os.cpu_count()} cores, shared with other work (the load average says how "
        "much); absolute figures move from run to run, the ratios measured side by side less.",
        "",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each network")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first")
    parser.add_argument("--only", choices=("naive", "Maillage"), help="run one network only")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    started_at = dt.datetime.now(dt.UTC)
    args.commit = commit()  # the code the processes start with, whatever is committed meanwhile
    work = Path(tempfile.mkdtemp(prefix="maillage-order-cost-"))
    results: dict = {"naive": [], "Maillage": [], "order": []}
    with throughput.Vhost() as naive_vhost, throughput.Vhost() as maillage_vhost:
        shops = []
        try:
            if args.only != "Maillage":
                shops.append(NaiveShop(work, naive_vhost))
            if args.only != "naive":
                shops.append(Maillage(work, maillage_vhost))
            for shop in shops:
                print(f"starting {shop.label} …", flush=True)
                shop.start()
                if args.warmup:
                    run_once(shop, args.clients, args.warmup, seed=0)
            for n in range(args.runs):
                for shop in shops:
                    run = run_once(shop, args.clients, args.duration, seed=n + 1)
                    results[shop.label].append(run)
                    results["order"].append((shop.label, run))
                    print(
                        f"  {shop.label}: {run['orders'] / run['elapsed']:,.1f} orders/s, "
                        f"load avg {run['loadavg'][0]:.2f} → {run['loadavg'][1]:.2f}",
                        flush=True,
                    )
        finally:
            for shop in shops:
                shop.stop()
            shutil.rmtree(work, ignore_errors=True)  # the processes' logs, the SQLite-less data
    if not results["naive"] or not results["Maillage"]:
        for label in ("naive", "Maillage"):
            for run in results[label]:
                print(label, {k: v for k, v in run.items() if k != "latencies"})
        return 0
    text = report(args, started_at, results)
    print()
    print(text)
    if not args.no_write:
        previous = (
            RESULTS_FILE.read_text()
            if RESULTS_FILE.exists()
            else (
                "# What an order costs: Maillage beside the naive shape (bench/order_cost.py)\n\n"
            )
        )
        RESULTS_FILE.write_text(previous + "\n" + text)
        print(f"appended to {RESULTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
