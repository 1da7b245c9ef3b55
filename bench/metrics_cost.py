"""What the Prometheus metrics cost per request (issue 28).

    .venv/bin/python bench/metrics_cost.py                  # 300,000 calls, 3 x 2,000 requests
    .venv/bin/python bench/metrics_cost.py --calls 100000 --requests 1000 --rounds 5

Two measures, printed and written to bench/results/metrics-cost-<date>.md:

1. the instrumentation calls alone, timed in a loop: what the gateway adds to every request
   (`observe_http`: a counter and a histogram, found by their labels), what a service adds to an
   RPC call (a histogram) and to an event consumed (a counter);
2. whole requests: a gateway (nameko, in this process, on the broker at AMQP_URI, a vhost of its
   own) answering `GET /livez` (no service called: what is left is the HTTP path itself), one
   request after the other on a kept-alive connection, in rounds alternating with and without the
   request instrumentation (`backbone.metrics.observe_http` replaced by a no-op), so that the
   machine's load drifts over both alike. The difference of the medians is the cost per request
   as the client sees it; on a loaded machine it is within the noise, the loop's figure is the
   floor.

Asserts nothing."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backbone import metrics  # noqa: E402


def per_call(function, calls: int) -> float:
    """Microseconds per call, the best of three loops."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, time.perf_counter() - started)
    return best / calls * 1e6


def instrument_costs(calls: int) -> dict[str, float]:
    route = "/api/villages/<village_id>/orders"
    consumed = metrics.EVENTS_CONSUMED
    rpc = metrics.RPC_LATENCY
    return {
        "gateway request (observe_http: counter + histogram)": per_call(
            lambda: metrics.observe_http(route, "POST", 201, 0.012), calls
        ),
        "RPC call (histogram)": per_call(
            lambda: rpc.labels("orders", "place_order", "ok").observe(0.008), calls
        ),
        "event consumed (counter)": per_call(
            lambda: consumed.labels("partners.on_partner_event", "order.placed").inc(), calls
        ),
    }


def _vhost_api(method: str, vhost: str) -> None:
    management = os.environ.get("MAILLAGE_RABBIT_MANAGEMENT_URL", "http://127.0.0.1:15672/api")
    requests.request(method, f"{management}/vhosts/{vhost}", auth=("guest", "guest"), timeout=30)
    if method == "PUT":
        requests.put(
            f"{management}/permissions/{vhost}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            auth=("guest", "guest"),
            timeout=30,
        )


def request_costs(requests_per_round: int, rounds: int) -> dict[str, list[float]]:
    from nameko.containers import ServiceContainer

    from gateway.service import GatewayService

    vhost = f"bench-metrics-{uuid.uuid4().hex[:8]}"
    _vhost_api("PUT", vhost)
    port = _free_port()
    os.environ.setdefault("GATEWAY_SECRET", "bench-" + uuid.uuid4().hex)
    container = ServiceContainer(
        GatewayService,
        {
            "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "serializer": "json",
            "max_workers": 10,
        },
    )
    container.start()
    instrumented = metrics.observe_http
    timings: dict[str, list[float]] = {"with metrics": [], "without metrics": []}
    try:
        session = requests.Session()
        url = f"http://127.0.0.1:{port}/livez"
        for _ in range(200):  # warm up: connections, caches
            session.get(url, timeout=10)
        for _ in range(rounds):
            for label, observe in (
                ("with metrics", instrumented),
                ("without metrics", lambda *args: None),
            ):
                metrics.observe_http = observe
                started = time.perf_counter()
                for _ in range(requests_per_round):
                    assert session.get(url, timeout=10).status_code == 200
                timings[label].append((time.perf_counter() - started) / requests_per_round * 1e6)
    finally:
        metrics.observe_http = instrumented
        container.stop()
        _vhost_api("DELETE", vhost)
    return timings


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rounds(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    lines = [f"# Metrics' cost per request — {dt.datetime.now():%Y-%m-%d %H:%M}", ""]
    lines += [f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}.", ""]
    lines += ["## The instrumentation calls alone", "", "| what | µs per call |", "| --- | --- |"]
    for what, micros in instrument_costs(args.calls).items():
        lines.append(f"| {what} | {micros:.2f} |")
    timings = request_costs(args.requests, args.rounds)
    with_, without = (statistics.median(timings[k]) for k in ("with metrics", "without metrics"))
    lines += [
        "",
        f"## Whole requests: gateway `GET /livez`, {args.rounds} rounds x {args.requests}",
        "",
        "| | µs per request (median of rounds) | each round |",
        "| --- | --- | --- |",
        f"| with metrics | {with_:.0f} | {_rounds(timings['with metrics'])} |",
        f"| without metrics | {without:.0f} | {_rounds(timings['without metrics'])} |",
        f"| difference | {with_ - without:+.0f} ({(with_ - without) / without:+.1%}) | |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / f"metrics-cost-{dt.datetime.now():%Y-%m-%d-%H%M}.md"
    out.write_text(text)
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
