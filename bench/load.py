"""The whole network under a realistic counter load, over HTTP (issue #8, "proof").

    .venv/bin/python bench/load.py                                   # SQLite, 20 users, 60 s
    .venv/bin/python bench/load.py --backend postgresql --users 20 --duration 60
    .venv/bin/python bench/load.py --duration 10 --users 5           # a quick look
    # the 200 orders/s target (20 users working without pause wait on each other's answers:
    # ~150 orders/s with the machine not yet full; 40 fill it)
    .venv/bin/python bench/load.py --backend postgresql --mix orders --users 40

Starts the network as `maillage run` does (four services, each with its outbox relay, the gateway)
in a private vhost, a temporary data folder and, with `--backend postgresql`, one fresh database per
service; loads the demo data (`maillage seed`); then N users work without pause (or, with `--think
S`, pausing S seconds on average between two actions, as a concierge serving people does) for
`--duration` seconds, each as the concierge of one of the demo villages, with this mix (weights):

    counter reads    search an inhabitant 20, today's counter 10, the village catalogue 10
    counter writes   an order 25, a parcel received 10, a help request 5, a registration 10
    hand-overs       an order made ready 25, an order collected 25, a parcel handed over with its
                     pickup code 12
    coordinator      dashboard reads 10 (every coordinator GET without path values found under
                     /api/network, /api/suggestions/overview, /api/time-bank, /api/skills-map,
                     or whose path says dashboard / figures)

Hand-overs move on what the run itself placed or received, oldest first, per village (thread-safe
queues): an order answered `confirmed` is queued to be made ready, then to be collected at the
counter; a parcel received, to be handed over with the pickup code its POST answered. An order whose
lines await a shared supplier stays `placed` (it cannot be made ready) and is not queued. A
hand-over drawn when no village has anything for it sends nothing and is not recorded: the user
draws again (so the other kinds keep their proportions). Their weights are at or a little above what
feeds them, so the queues stay short and, in steady state, about as many orders are collected as are
confirmed at placement and as many parcels handed over as received; the counter's day ("today") does
not grow all run long. Results files written before 2026-11-29 05:00 UTC were made without
hand-overs: their `today` figures are not comparable with later ones.

An operation whose route does not exist (yet) or cannot be prepared from the demo data is left out
and named in the report; a hand-over is checked on an order or parcel the check places or receives
first. `--mix orders` runs orders only, without hand-overs.

It prints and writes (bench/results/load-<backend>-<date>.md):
- throughput: requests/s in all, and accepted writes/s per kind;
- latency p50/p95/p99 per route (route template, not the URL);
- event propagation: for every event written during the run, from its outbox row (the moment the
  change was made) to its last consumer's inbox claim (the moment its effect is visible in every
  read model), p50/p95/p99 per event type; and how long after the load stopped every queue was
  empty (fully propagated);
- the event pipeline's rate (inbox claims per second during the run) beside the broker's raw limit
  for persistent confirmed messages, measured in the same run with plain pika
  (bench/throughput.py `raw_batched`), and their ratio;
- the resident memory (VmRSS from /proc) of every process, at rest (after the demo data) and
  after the load.

Asserts nothing: the targets of issue #8 are printed beside the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import warnings
from collections import Counter, defaultdict, deque
from dataclasses import replace
from json import dumps as json_dumps  # `json` is requests' argument name in LightSession.post
from json import loads as json_loads
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import throughput  # noqa: E402  (bench/throughput.py: vhost, databases, raw broker limit)

RESULTS = ROOT / "bench" / "results"
CONCIERGES = [
    "lucie@maillage.test",
    "karim@maillage.test",
    "jeanne@maillage.test",
    "paul@maillage.test",
]
COORDINATOR = "coordination@maillage.test"
PASSWORD = "maillage-demo"
DASHBOARD_PREFIXES = (
    "/api/network",
    "/api/suggestions/overview",
    "/api/time-bank",
    "/api/skills-map",
)
TARGETS = [
    ("counter routes p95 (20 users, PostgreSQL)", "< 100 ms"),
    ("orders accepted and fully propagated", ">= 200 orders/s for a minute"),
    ("event propagation p99", "< 250 ms"),
    ("event pipeline / raw broker limit", ">= 0.5"),
    ("whole network RSS at rest", "< 400 MB"),
    ("coordinator dashboard p95 on national-scale data", "< 500 ms (bench/national_data.py)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """user + system CPU time a process has used so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_process(network: Network) -> dict[str, float]:
    """CPU seconds so far of every process of the network, of PostgreSQL's and RabbitMQ's processes
    (summed per program) and of this load generator."""
    usage = {name: cpu_seconds(pid) for name, pid, _rss in network.memory()}
    for program, label in (("postgres", "PostgreSQL"), ("beam.smp", "RabbitMQ")):
        total = 0.0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() == program:
                        total += cpu_seconds(int(entry.name))
                except OSError:
                    continue
        usage[label] = total
    usage["load generator"] = sum(os.times()[:2])
    return usage


# --- the network -----------------------------------------------------------------------------


class Network:
    """The whole network as processes, in its own vhost, data folder, port and databases."""

    def __init__(
        self,
        backend: str,
        work: Path,
        vhost: throughput.Vhost,
        replicas: dict[str, int] | None = None,
    ):
        self.backend, self.work, self.vhost = backend, work, vhost
        self.replicas = replicas or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.databases: list[str] = []
        self.runner = None

    def start(self) -> float:
        started = time.monotonic()
        os.environ.update(
            {
                "AMQP_URI": self.vhost.uri,
                "MAILLAGE_DATA_DIR": str(self.work / "data"),
                "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}",
                "GATEWAY_SECRET": "bench-" + self.vhost.name,
                "MAILLAGE_LOG_LEVEL": os.environ.get("MAILLAGE_LOG_LEVEL", "WARNING"),
            }
        )
        (self.work / "data").mkdir(parents=True, exist_ok=True)
        from backbone import config, migrations
        from maillage.network import declare_topology
        from maillage.runner import Network as Runner

        if self.backend == "postgresql":
            for service in config.SERVICES:
                url = throughput.create_pg_database(f"bench_{service}")
                self.databases.append(url)
                os.environ[f"{service.upper()}_DATABASE_URL"] = url
        for service in config.SERVICES:
            migrations.upgrade(service)
        declare_topology()
        self.runner = Runner(self.work / "log")
        for process in list(
            self.runner.processes
        ):  # competing consumers, as `docker compose up --scale`
            self.runner.processes += [
                replace(process, name=f"{process.name}-{n}", argv=list(process.argv))
                for n in range(2, self.replicas.get(process.name, 1) + 1)
            ]
        self.runner.start()
        self.runner.wait_healthy(self.base_url + "/health", 120)
        seeded = subprocess.run(
            [str(Path(sys.executable).parent / "maillage"), "seed"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if seeded.returncode != 0:
            raise RuntimeError(
                f"maillage seed failed:\n{seeded.stdout[-2000:]}{seeded.stderr[-2000:]}"
            )
        return time.monotonic() - started

    def memory(self) -> list[tuple[str, int, int | None]]:
        return [(p.name, p.popen.pid, rss_kib(p.popen.pid)) for p in self.runner.processes]

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        for url in self.databases:
            try:
                throughput.drop_pg_database(url)
            except Exception as exc:  # noqa: BLE001
                print(f"  could not drop {url}: {exc}", file=sys.stderr)

    def queues_empty(self) -> bool:
        response = requests.get(
            f"{throughput.RABBIT_MANAGEMENT}/queues/{self.vhost.name}",
            auth=throughput.RABBIT_AUTH,
            timeout=10,
        )
        queues = [q for q in response.json() if q["name"] != "maillage.dead-letters"]
        return all(q.get("messages", 0) == 0 for q in queues)


# --- the mix ---------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.accepted: Counter = Counter()

    def add(self, route: str, kind: str, seconds: float, status: int | str) -> None:
        with self.lock:
            self.latencies[route].append(seconds)
            self.statuses[route][status] += 1
            if isinstance(status, int) and 200 <= status < 300 and kind:
                self.accepted[kind] += 1


class Mix:
    """Prepares, from the demo data, what each operation needs; then runs one at random."""

    WEIGHTS = {
        "search": 20,
        "today": 10,
        "catalogue": 10,
        "order": 25,
        "parcel": 10,
        "help_request": 5,
        "registration": 10,
        "dashboard": 10,
        "ready": 25,
        "collect": 25,
        "parcel_hand_over": 12,
    }
    WRITES = {
        "order",
        "parcel",
        "help_request",
        "registration",
        "ready",
        "collect",
        "parcel_hand_over",
    }
    # an accepted write of the key is queued, in its village, for the hand-over of the value
    NEXT_STEP = {"order": "ready", "ready": "collect", "parcel": "parcel_hand_over"}
    FED_BY = {step: kind for kind, step in NEXT_STEP.items()}

    def __init__(self, base_url: str, only: tuple[str, ...] | None = None):
        self.base_url = base_url
        self.only = only
        self.paths = {
            (m.upper(), p)
            for p, ops in requests.get(base_url + "/api/openapi.json", timeout=10)
            .json()["paths"]
            .items()
            for m in ops
        }
        self.coordinator = self._login(COORDINATOR)
        self.villages = []
        for email in CONCIERGES:
            headers = self._login(email)
            village_id = requests.get(
                base_url + "/api/villages", headers=headers, timeout=10
            ).json()[0]["id"]
            self.villages.append(self._prepare(village_id, headers))
        self.dashboard = sorted(
            p
            for m, p in self.paths
            if m == "GET"
            and "{" not in p
            and (p.startswith(DASHBOARD_PREFIXES) or "dashboard" in p or "figures" in p)
        )
        self.left_out: dict[str, str] = {}
        self.lock = threading.Lock()
        self.awaiting_supplier = (
            0  # orders placed by the run that await a shared supplier (not queued)
        )
        self.queueing = set(
            self.NEXT_STEP
        )  # the kinds whose accepted writes are queued for a hand-over
        self._check()
        # queued only for the hand-overs that run (`--mix orders`: none); what the
        # check placed is not counted
        self.queueing = {kind for kind, step in self.NEXT_STEP.items() if step in self.kinds()}
        self.awaiting_supplier = 0
        self.numbers = itertools.count(1)

    def _login(self, email: str) -> dict:
        response = requests.post(
            self.base_url + "/api/auth/login",
            json={"email": email, "password": PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def _get(self, path: str, headers: dict):
        response = requests.get(self.base_url + path, headers=headers, timeout=15)
        return response.json() if response.status_code == 200 else None

    def _prepare(self, village_id: str, headers: dict) -> dict:
        members = self._get(f"/api/villages/{village_id}/members", headers) or []
        catalogue = (
            self._get(f"/api/villages/{village_id}/counter/catalogue?available=1", headers) or []
        )
        orderable = [i for i in catalogue if i.get("available") and i.get("next_delivery_date")]
        skills = self._get("/api/skills", headers) or []
        return {
            "id": village_id,
            "headers": headers,
            "members": [m["id"] for m in members],
            "names": [m["display_name"].split()[0][:3] for m in members],
            "items": orderable,
            "skills": [s.get("code") or s.get("skill") for s in skills],
            "queues": {step: deque() for step in self.FED_BY},
        }  # (id, pickup code) oldest first, per hand-over

    def _check(self) -> None:
        needs = {
            "search": ("GET", "/api/villages/{village_id}/members"),
            "today": ("GET", "/api/villages/{village_id}/counter/today"),
            "catalogue": ("GET", "/api/villages/{village_id}/counter/catalogue"),
            "order": ("POST", "/api/villages/{village_id}/orders"),
            "parcel": ("POST", "/api/villages/{village_id}/parcels"),
            "help_request": ("POST", "/api/villages/{village_id}/help-requests"),
            "registration": ("POST", "/api/villages/{village_id}/members"),
            "ready": ("POST", "/api/villages/{village_id}/orders/{order_id}/ready"),
            "collect": ("POST", "/api/villages/{village_id}/orders/{order_id}/collect"),
            "parcel_hand_over": ("POST", "/api/villages/{village_id}/parcels/{parcel_id}/handover"),
        }
        for kind, route in needs.items():
            if route not in self.paths:
                self.left_out[kind] = f"no route {route[0]} {route[1]}"
        if not any(v["members"] for v in self.villages):
            for kind in ("order", "parcel", "help_request", "search"):
                self.left_out.setdefault(kind, "no inhabitants in the demo villages")
        if not any(v["items"] and v["members"] for v in self.villages):
            self.left_out.setdefault("order", "no orderable catalogue item in the demo villages")
        if not any(v["skills"] for v in self.villages):
            self.left_out.setdefault("help_request", "no skills")
        if not self.dashboard:
            self.left_out["dashboard"] = "no coordinator dashboard route"
        # an operation that cannot succeed once on a fresh network is left out, with its answer
        # (a hand-over, on an order or parcel the check places or receives first)
        for kind in list(self.WEIGHTS):
            if self.FED_BY.get(kind) in self.left_out:
                self.left_out.setdefault(kind, f"needs {self.FED_BY[kind]}, left out")
            if kind in self.left_out:
                continue
            result = self._check_run(kind, 1)
            if result is None:
                self.left_out[kind] = (
                    f"nothing to hand over: {self.FED_BY[kind]} queued nothing in 8 tries"
                )
                continue
            route, status, body = result
            if not 200 <= status < 300:
                self.left_out[kind] = f"{route} answered {status}: {body[:200]}"

    def _check_run(self, kind: str, seed: int) -> tuple[str, int, str] | None:
        """`kind` once, for the check. A hand-over with nothing queued first runs what feeds it,
        with other draws up to 8 times (an order awaiting a shared supplier is not queued); None if
        that never queued anything."""
        for attempt in range(seed, seed + 8):
            result = self.run(kind, random.Random(attempt), session=requests)
            if result is not None:
                return result
            fed = self._check_run(self.FED_BY[kind], attempt)
            if fed is None or not 200 <= fed[1] < 300:
                return fed
        return None

    def kinds(self):
        return [
            k
            for k in self.WEIGHTS
            if k not in self.left_out and (self.only is None or k in self.only)
        ]

    def run(self, kind: str, rnd: random.Random, session) -> tuple[str, int, str] | None:
        """One operation: (route template, status, body); None, with nothing sent, for a hand-over
        when no village has anything queued for it."""
        if (
            kind in self.FED_BY
        ):  # a hand-over: the oldest the run left for it, in a village that has one
            waiting = [v for v in self.villages if v["queues"][kind]]
            if not waiting:
                return None
            village = rnd.choice(waiting)
            try:
                thing_id, code = village["queues"][kind].popleft()
            except IndexError:  # another user took the last one meanwhile
                return None
        else:
            candidates = [v for v in self.villages if v["members"]] or self.villages
            if kind == "order":
                candidates = [v for v in candidates if v["items"]] or candidates
            village = rnd.choice(candidates)
        vid, headers = village["id"], village["headers"]
        base = self.base_url
        n = next(self.numbers) if hasattr(self, "numbers") else 0
        if kind == "search":
            route = "GET /api/villages/{village_id}/members?q="
            response = session.get(
                f"{base}/api/villages/{vid}/members",
                params={"q": rnd.choice(village["names"])},
                headers=headers,
                timeout=30,
            )
        elif kind == "today":
            route = "GET /api/villages/{village_id}/counter/today"
            response = session.get(
                f"{base}/api/villages/{vid}/counter/today", headers=headers, timeout=30
            )
        elif kind == "catalogue":
            route = "GET /api/villages/{village_id}/counter/catalogue"
            response = session.get(
                f"{base}/api/villages/{vid}/counter/catalogue", headers=headers, timeout=30
            )
        elif kind == "order":
            route = "POST /api/villages/{village_id}/orders"
            item = rnd.choice(village["items"])
            response = session.post(
                f"{base}/api/villages/{vid}/orders",
                headers=headers,
                timeout=30,
                json={
                    "idempotency_key": str(uuid.uuid4()),
                    "member_id": rnd.choice(village["members"]),
                    "delivery_date": item["next_delivery_date"],
                    "fulfilment": "counter",
                    "lines": [{"item_id": item["item_id"], "quantity": rnd.randint(1, 3)}],
                },
            )
        elif kind == "parcel":
            route = "POST /api/villages/{village_id}/parcels"
            response = session.post(
                f"{base}/api/villages/{vid}/parcels",
                headers=headers,
                timeout=30,
                json={
                    "member_id": rnd.choice(village["members"]),
                    "sender_kind": "la_poste",
                    "place_kind": "shelf",
                    "place": f"B{rnd.randint(1, 9)}",
                    "description": "Colis",
                },
            )
        elif kind == "help_request":
            route = "POST /api/villages/{village_id}/help-requests"
            start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=rnd.randint(1, 20))).replace(
                minute=0, second=0, microsecond=0
            )
            response = session.post(
                f"{base}/api/villages/{vid}/help-requests",
                headers=headers,
                timeout=30,
                json={
                    "requester_member_id": rnd.choice(village["members"]),
                    "skill": rnd.choice(village["skills"]),
                    "place": "Chez la personne",
                    "starts_at": start.isoformat(),
                    "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
                },
            )
        elif kind == "registration":
            route = "POST /api/villages/{village_id}/members"
            response = session.post(
                f"{base}/api/villages/{vid}/members",
                headers=headers,
                timeout=30,
                json={
                    "first_name": "Banc",
                    "last_name": f"Charge{uuid.uuid4().hex[:8]}",
                    "phone": f"06 37 {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}",
                    "preferred_channel": "phone",
                    "confirm_duplicate": True,
                },
            )
        elif kind == "ready":
            route = "POST /api/villages/{village_id}/orders/{order_id}/ready"
            response = session.post(
                f"{base}/api/villages/{vid}/orders/{thing_id}/ready",
                headers=headers,
                timeout=30,
                json={},
            )
        elif kind == "collect":
            route = "POST /api/villages/{village_id}/orders/{order_id}/collect"
            response = session.post(
                f"{base}/api/villages/{vid}/orders/{thing_id}/collect",
                headers=headers,
                timeout=30,
                json={},
            )
        elif kind == "parcel_hand_over":
            route = "POST /api/villages/{village_id}/parcels/{parcel_id}/handover"
            response = session.post(
                f"{base}/api/villages/{vid}/parcels/{thing_id}/handover",
                headers=headers,
                timeout=30,
                json={"code": code},
            )
        else:
            path = rnd.choice(self.dashboard)
            route = f"GET {path}"
            response = session.get(base + path, headers=self.coordinator, timeout=30)
        if kind in self.queueing and 200 <= response.status_code < 300:
            answer = json_loads(response.text)
            if (
                kind == "order" and answer["status"] != "confirmed"
            ):  # awaits a shared supplier: cannot be made ready
                with self.lock:
                    self.awaiting_supplier += 1
            else:
                village["queues"][self.NEXT_STEP[kind]].append(
                    (answer["id"], answer.get("pickup_code"))
                )
        return route, response.status_code, response.text


class LightSession:
    """The part of requests.Session a user thread needs (get, post, one kept-alive connection), on
    http.client: the load generator shares the two cores with the network it measures, and requests
    costs about twice the CPU per call."""

    class Response:
        def __init__(self, status_code: int, text: str):
            self.status_code, self.text = status_code, text

    def __init__(self):
        self._connection = None
        self._address = None

    def get(self, url, params=None, headers=None, timeout=30):
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return self._request("GET", url, None, headers or {}, timeout)

    def post(self, url, json=None, headers=None, timeout=30):  # noqa: A002  (requests' name)
        body = json_dumps(json).encode()
        return self._request(
            "POST", url, body, {**(headers or {}), "Content-Type": "application/json"}, timeout
        )

    def _request(self, method, url, body, headers, timeout):
        parts = urllib.parse.urlsplit(url)
        if self._connection is None or self._address != parts.netloc:
            self._connection = http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=timeout
            )
            self._address = parts.netloc
        try:
            self._connection.request(
                method,
                parts.path + (f"?{parts.query}" if parts.query else ""),
                body=body,
                headers=headers,
            )
            response = self._connection.getresponse()
            return self.Response(response.status, response.read().decode())
        except (
            OSError,
            http.client.HTTPException,
        ) as exc:  # recorded as this error; a new connection next
            self._connection.close()
            self._connection = None
            raise requests.ConnectionError(str(exc)) from exc


def run_load(
    mix: Mix, users: int, duration: float, recorder: Recorder, seed: int = 8, think: float = 0.0
) -> float:
    """`users` threads working for `duration` seconds; with `think`, each pauses between two actions
    for a random time averaging `think` seconds (exponential: a concierge serving someone)."""
    kinds = mix.kinds()
    weights = [mix.WEIGHTS[k] for k in kinds]
    stop_at = time.monotonic() + duration

    def user(n: int) -> None:
        rnd = random.Random(seed * 1000 + n)
        session = LightSession()
        while time.monotonic() < stop_at:
            kind = rnd.choices(kinds, weights)[0]
            started = time.perf_counter()
            try:
                result = mix.run(kind, rnd, session)
            except requests.RequestException as exc:
                result = kind, type(exc).__name__, ""
            if (
                result is None
            ):  # a hand-over with nothing to hand over: nothing sent nor recorded, draw again
                continue
            route, status, _text = result
            recorder.add(
                route, kind if kind in mix.WRITES else "", time.perf_counter() - started, status
            )
            if think:
                time.sleep(min(rnd.expovariate(1 / think), max(0.0, stop_at - time.monotonic())))

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def start_profilers(
    py_spy: str, network: Network, work: Path, duration: float
) -> list[subprocess.Popen]:
    """py-spy on every process of the network for the load's duration (collapsed stacks, 100 Hz)."""
    folder = work / "profile"
    folder.mkdir(exist_ok=True)
    return [
        subprocess.Popen(
            [
                py_spy,
                "record",
                "--nonblocking",
                "--format",
                "raw",
                "--rate",
                "100",
                "--duration",
                str(int(duration)),
                "--pid",
                str(pid),
                "--output",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid, _rss in network.memory()
    ]


# --- events: outbox -> every consumer's inbox --------------------------------------------------


def event_delays(since: dt.datetime, until: dt.datetime):
    """{type: [seconds from outbox row to the last inbox claim]}, [seconds from outbox row to its
    publication by the relay], {consuming service: [seconds from outbox row to its inbox claim]},
    the inbox claims in the window, and the events no consumer claimed."""
    from sqlalchemy import select

    from backbone import config
    from backbone.db import Database
    from backbone.tables import InboxEntry, OutboxEvent

    written, claimed, published = {}, defaultdict(list), {}
    claimed_by = defaultdict(dict)  # consuming service -> {event_id: its inbox claim}
    claims_in_window = 0
    for service in config.SERVICES:
        database = Database(config.database_url(service), source="bench")
        try:
            with database.engine.connect() as conn:
                for event_id, type_, created, published_at in conn.execute(
                    select(
                        OutboxEvent.event_id,
                        OutboxEvent.type,
                        OutboxEvent.created_at,
                        OutboxEvent.published_at,
                    ).where(OutboxEvent.created_at >= since)
                ):
                    written[event_id] = (type_, created)
                    if published_at is not None:
                        published[event_id] = (published_at - created).total_seconds()
                for event_id, processed in conn.execute(
                    select(InboxEntry.event_id, InboxEntry.processed_at).where(
                        InboxEntry.processed_at >= since
                    )
                ):
                    claimed[event_id].append(processed)
                    claimed_by[service][event_id] = processed
                    if processed <= until:
                        claims_in_window += 1
        finally:
            database.dispose()
    delays, relayed, per_consumer = defaultdict(list), [], defaultdict(list)
    for service, claims in claimed_by.items():
        per_consumer[service] = [
            (processed - written[event_id][1]).total_seconds()
            for event_id, processed in claims.items()
            if event_id in written
        ]
    for event_id, (type_, created) in written.items():
        if claimed.get(event_id):
            delays[type_].append((max(claimed[event_id]) - created).total_seconds())
            if (
                event_id in published
            ):  # when the relay recorded the broker's confirm (after delivery, often)
                relayed.append(published[event_id])
    unconsumed = Counter(
        type_ for event_id, (type_, _c) in written.items() if event_id not in claimed
    )
    return delays, relayed, per_consumer, claims_in_window, unconsumed


# --- report ----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:,.0f}"


def report(
    args,
    started_at,
    startup,
    mix,
    recorder,
    elapsed,
    drained,
    delays,
    relayed,
    per_consumer,
    claims,
    unconsumed,
    raw,
    memory_rest,
    memory_after,
    cpu,
) -> str:
    pace = (
        f", pausing {args.think:g} s on average between actions"
        if args.think
        else ", without pause"
    )
    pace += "".join(f", {name} ×{count}" for name, count in args.replicas if count > 1)
    lines = [
        f"# Load: {args.backend}, {args.mix} mix, {args.users} users{pace}, "
        f"{args.duration:.0f} s — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} cores; other work on it may move the figures. Network up "
        f"with the demo data in {startup:.1f} s.",
        "",
    ]
    total = sum(len(v) for v in recorder.latencies.values())
    lines += [
        "## Throughput",
        "",
        f"- {total:,} requests in {elapsed:.1f} s: **{total / elapsed:,.1f} requests/s**",
    ]
    for kind in sorted(mix.WRITES):
        if kind in mix.kinds():
            lines.append(
                f"- {kind}: {recorder.accepted[kind]:,} accepted, "
                f"{recorder.accepted[kind] / elapsed:,.1f}/s"
            )
    if mix.queueing:
        queued = ", ".join(
            f"{step} {sum(len(v['queues'][step]) for v in mix.villages):,}" for step in mix.FED_BY
        )
        lines.append(
            f"- left for a hand-over when the load stopped: {queued}; orders awaiting a shared "
            f"supplier (not to be made ready at the counter): {mix.awaiting_supplier:,}"
        )
    for kind, why in sorted(mix.left_out.items()):
        lines.append(f"- left out: {kind} ({why})")
    lines += [
        "",
        "## Latency per route (ms)",
        "",
        "| route | n | p50 | p95 | p99 | answers |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for route in sorted(recorder.latencies):
        values = recorder.latencies[route]
        answers = ", ".join(
            f"{s}: {c}" for s, c in sorted(recorder.statuses[route].items(), key=str)
        )
        lines.append(
            f"| {route} | {len(values):,} | {ms(percentile(values, 0.5))} | "
            f"{ms(percentile(values, 0.95))} | {ms(percentile(values, 0.99))} | {answers} |"
        )
    everything = [d for values in delays.values() for d in values]
    lines += [
        "",
        "## Event propagation (outbox row → last consumer's inbox claim, ms)",
        "",
        "| event | n | p50 | p95 | p99 |",
        "|---|---:|---:|---:|---:|",
    ]

    def row(name, values):
        return (
            f"| {name} | {len(values):,} | {ms(percentile(values, 0.5))} | "
            f"{ms(percentile(values, 0.95))} | {ms(percentile(values, 0.99))} |"
        )

    lines += [row(type_, delays[type_]) for type_ in sorted(delays)]
    lines += [
        row("**all**", everything),
        row("(outbox row → its confirm recorded by the relay)", relayed),
    ]
    lines += [
        row(f"(outbox row → {service}'s inbox claim)", per_consumer[service])
        for service in sorted(per_consumer)
    ]
    if unconsumed:
        lines.append("")
        lines.append(
            "Written but claimed by no consumer (no subscriber, or a consumer that ignores it): "
            + ", ".join(f"{t} {c}" for t, c in sorted(unconsumed.items()))
        )
    lines.append("")
    lines.append(
        f"Every queue empty {drained:.1f} s after the load stopped."
        if drained is not None
        else "The queues were NOT empty 120 s after the load stopped."
    )
    pipeline = claims / elapsed
    lines += [
        "",
        "## Event pipeline and the broker's raw limit",
        "",
        f"- event pipeline during the run: {claims:,} inbox claims, **{pipeline:,.1f} events/s** "
        "(what the load offered, not the pipeline's ceiling; bench/throughput.py measures that)",
        f"- raw limit, plain pika, persistent messages, asynchronous confirms (N={args.raw_n:,}): "
        f"**{raw:,.0f} msg/s**",
        f"- ratio: {pipeline / raw:.3f}",
    ]
    lines += [
        "",
        "## Memory (VmRSS, MiB)",
        "",
        "| process | at rest | after the load |",
        "|---|---:|---:|",
    ]
    after = {name: kib for name, _pid, kib in memory_after}
    for name, _pid, kib in memory_rest:
        lines.append(
            f"| {name} | {(kib or 0) / 1024:,.1f} | {(after.get(name) or 0) / 1024:,.1f} |"
        )
    rest_total = sum(k or 0 for _n, _p, k in memory_rest) / 1024
    after_total = sum(k or 0 for _n, _p, k in memory_after) / 1024
    lines.append(f"| **whole network** | **{rest_total:,.1f}** | **{after_total:,.1f}** |")
    busy = sum(cpu.values())
    lines += [
        "",
        f"## CPU during the load ({os.cpu_count()} cores × {elapsed:.1f} s = "
        f"{os.cpu_count() * elapsed:.0f} CPU-seconds available)",
        "",
        "| process | CPU-seconds | share of the machine | ms per request |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        lines.append(
            f"| {name} | {seconds:,.1f} | {seconds / (os.cpu_count() * elapsed):.0%} | "
            f"{seconds * 1000 / max(total, 1):,.1f} |"
        )
    lines.append(
        f"| **all** | **{busy:,.1f}** | **{busy / (os.cpu_count() * elapsed):.0%}** | "
        f"**{busy * 1000 / max(total, 1):,.1f}** |"
    )
    lines += ["", "## Targets of issue #8", "", "| target | wanted |", "|---|---|"]
    lines += [f"| {name} | {wanted} |" for name, wanted in TARGETS]
    return "\n".join(lines) + "\n"


def replicas_arg(text: str) -> tuple[str, int]:
    """`orders=2` -> ("orders", 2)."""
    from backbone import config

    name, _, count = text.partition("=")
    if name not in (*config.SERVICES, "gateway") or not count.isdigit() or not 1 <= int(count) <= 8:
        raise argparse.ArgumentTypeError(
            f"expected SERVICE=N with SERVICE one of {', '.join(config.SERVICES)}, "
            f"gateway and N from 1 to 8, not {text!r}"
        )
    return name, int(count)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="each user pauses this long on average between two actions (default: no pause)",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--raw-n", type=int, default=5000, help="messages for the raw broker limit")
    parser.add_argument(
        "--mix",
        choices=("counter", "orders"),
        default="counter",
        help="counter: the realistic mix; orders: counter orders only (the 200 orders/s target)",
    )
    parser.add_argument(
        "--profile",
        metavar="PY_SPY",
        help="path to py-spy: sample every process during the load, write collapsed stacks "
        "and each process's hottest functions to the work folder (use with --keep)",
    )
    parser.add_argument(
        "--replicas",
        type=replicas_arg,
        action="append",
        default=[],
        metavar="SERVICE=N",
        help="run N processes of that service (or the gateway), competing on its queues "
        "(repeatable; default one each)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (logs, SQLite files)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only, write no file under bench/results"
    )
    args = parser.parse_args(argv)

    started_at = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="maillage-load-"))
    with throughput.Vhost() as vhost:
        network = Network(args.backend, work, vhost, dict(args.replicas))
        try:
            print(f"starting the network ({args.backend}) in {work} …", flush=True)
            startup = network.start()
            time.sleep(3)  # at rest: the demo data loaded, nothing asked
            memory_rest = network.memory()
            mix = Mix(network.base_url, only=("order",) if args.mix == "orders" else None)
            print(
                f"up in {startup:.1f} s; mix: {', '.join(mix.kinds())}"
                + (f"; left out: {', '.join(mix.left_out)}" if mix.left_out else ""),
                flush=True,
            )
            recorder = Recorder()
            since = dt.datetime.now(dt.UTC)
            print(f"{args.users} users for {args.duration:.0f} s …", flush=True)
            cpu_before = cpu_by_process(network)
            profilers = (
                start_profilers(args.profile, network, work, args.duration) if args.profile else []
            )
            elapsed = run_load(mix, args.users, args.duration, recorder, think=args.think)
            cpu_after = cpu_by_process(network)
            for profiler in profilers:
                profiler.wait(timeout=60)
            until = dt.datetime.now(dt.UTC)
            stopped = time.monotonic()
            drained = None
            while time.monotonic() - stopped < 120:
                if network.queues_empty():
                    drained = time.monotonic() - stopped
                    break
                time.sleep(0.2)
            memory_after = network.memory()
            delays, relayed, per_consumer, claims, unconsumed = event_delays(since, until)
            print("raw broker limit …", flush=True)
            raw = throughput.raw_batched(vhost.uri, args.raw_n)
            text = report(
                args,
                started_at,
                startup,
                mix,
                recorder,
                elapsed,
                drained,
                delays,
                relayed,
                per_consumer,
                claims,
                unconsumed,
                raw,
                memory_rest,
                memory_after,
                {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after},
            )
        finally:
            network.stop()
    name = (
        f"load-{args.backend}{'-orders' if args.mix == 'orders' else ''}"
        f"{'-think' if args.think else ''}"
        f"{''.join(f'-{name}x{count}' for name, count in args.replicas if count > 1)}"
    )
    return finish(text, name, started_at, args, work)


def finish(text: str, name: str, started_at, args, work: Path) -> int:
    """A benchmark's ending: the figures printed, written to bench/results/<name>-<date>.md unless
    --no-write, its work folder removed unless --keep."""
    print()
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{name}-{started_at:%Y-%m-%d-%H%M}.md"
        path.write_text(text)
        print(f"written to {path.relative_to(ROOT)}")
    if args.keep:
        print(f"work folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
