"""The compose profile `monitoring` (deploy/monitoring/): Prometheus's scrape configuration, its
alert rules and the Grafana dashboard, read without Docker; and every metric they name is one the
code registers (backbone/metrics.py), the broker's own (`rabbitmq_*`) or Prometheus's `up`."""

import json
import re

import pytest
import yaml
from prometheus_client import REGISTRY

from backbone import config, topology
from tests.support.compose import COMPOSE_FILE, ROOT, SECRETS, resolved

MONITORING = ROOT / "deploy" / "monitoring"
EXPECTED_ALERTS = {
    "DeadLettersWaiting",  # dead letters > 0 (the broker's count of the queue)
    "EventsDeadLettered",  # ... and the consumers' count of what they moved there
    "OutboxStuck",  # outbox oldest > 60 s
    "HandlerQueueNotDraining",  # a handler's queue never empty for 10 minutes: a stalled consumer
    "PartnerDeliveriesParked",
    "ServiceNotReady",
    "ProcessDown",
}
DURATION = re.compile(r"^\d+[smhd]$")
METRIC_NAME = re.compile(r"\b((?:maillage|rabbitmq)_[a-z0-9_]+|up)\b(?!\s*\()")


@pytest.fixture
def compose() -> dict:
    return resolved(yaml.safe_load(COMPOSE_FILE.read_text()), SECRETS)


@pytest.fixture(scope="module")
def prometheus():
    return yaml.safe_load((MONITORING / "prometheus.yml").read_text())


@pytest.fixture(scope="module")
def rules():
    document = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard():
    return json.loads((MONITORING / "grafana" / "dashboards" / "maillage.json").read_text())


def test_the_broker_of_compose_has_its_prometheus_plugin():
    plugins = (ROOT / "deploy" / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_prometheus" in plugins and plugins.strip().endswith("].")


def test_the_monitoring_profile_runs_prometheus_and_grafana_on_these_files(compose):
    prometheus, grafana = compose["services"]["prometheus"], compose["services"]["grafana"]
    assert prometheus["profiles"] == ["monitoring"] and grafana["profiles"] == ["monitoring"]
    mounted = {volume.split(":")[0] for volume in prometheus["volumes"] + grafana["volumes"]}
    assert {
        "./deploy/monitoring/prometheus.yml",
        "./deploy/monitoring/alerts.yml",
        "./deploy/monitoring/grafana/provisioning",
        "./deploy/monitoring/grafana/dashboards",
    } <= mounted
    for path in mounted:
        if path.startswith("./"):
            assert (ROOT / path).exists(), path
    assert "ports" not in prometheus and "ports" not in grafana, "reached through a tunnel only"
    for name in ("members", "partners", "orders", "events"):
        assert compose["services"][name]["environment"]["MAILLAGE_OPS_PORT"] == "8080"


def test_the_gateways_figures_stay_off_the_internet():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "respond /metrics 404" in caddyfile
    assert caddyfile.index("respond /metrics 404") < caddyfile.index("reverse_proxy")


def test_prometheus_scrapes_the_gateway_every_service_and_the_broker(prometheus):
    assert prometheus["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["gateway"]["dns_sd_configs"][0]["port"] == 8000
    services = jobs["services"]["dns_sd_configs"][0]
    assert set(services["names"]) == {"members", "partners", "orders", "events"}
    assert services["port"] == 8080
    assert jobs["rabbitmq"]["static_configs"][0]["targets"] == ["rabbitmq:15692"]
    queues = jobs["rabbitmq-queues"]
    assert queues["metrics_path"] == "/metrics/detailed"
    assert queues["params"] == {"family": ["queue_coarse_metrics"]}


def test_the_alert_rules_are_well_formed_and_cover_what_the_operators_need(rules):
    assert {rule["alert"] for rule in rules} == EXPECTED_ALERTS
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        assert DURATION.match(rule.get("for", "0s")), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    by_name = {rule["alert"]: rule["expr"] for rule in rules}
    assert 'queue="maillage.dead-letters"' in by_name["DeadLettersWaiting"]
    assert by_name["OutboxStuck"].endswith("> 60")
    assert "maillage_partner_deliveries_parked" in by_name["PartnerDeliveriesParked"]
    assert "maillage_ready" in by_name["ServiceNotReady"]
    not_draining = by_name["HandlerQueueNotDraining"]
    assert "min_over_time(rabbitmq_detailed_queue_messages_ready" in not_draining
    pattern = re.search(r'queue=~"([^"]+)"', not_draining).group(1).replace("\\\\", "\\")
    handler_queues = {topology.handler_queue_name(s, "on_event") for s in config.SERVICES}
    assert all(re.fullmatch(pattern, name) for name in handler_queues), pattern
    assert not re.fullmatch(pattern, config.DEAD_LETTER_QUEUE), "dead letters have their alert"


def test_the_dashboard_is_provisioned_with_its_datasource(dashboard):
    provider = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "dashboards" / "maillage.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    source = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"][0]
    assert source["url"] == "http://prometheus:9090"
    assert dashboard["uid"] and dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == source["uid"], panel["title"]


def _registered_names(service_db) -> set[str]:
    """The sample names this code exposes: each family's, with the suffixes Prometheus shows
    (counters' _total, histograms' _bucket/_sum/_count), the figures read at scrape time included
    (a service database registered, a part attached)."""
    from backbone import metrics, operations
    from services.partners import deliveries

    database = service_db("partners")
    metrics.register_database("partners", database.engine, (deliveries.parked_gauges,))
    operations.PARTS.add("test-part", lambda: None)
    try:
        families = list(REGISTRY.collect())
    finally:
        operations.PARTS.remove("test-part")
        metrics.unregister_database("partners", database.engine)
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    names = set()
    for family in families:
        names.add(family.name)
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_metric_the_rules_and_the_dashboard_name_is_one_the_code_exposes(
    rules, dashboard, service_db
):
    expressions = [rule["expr"] for rule in rules] + [
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    ]
    named = {name for expr in expressions for name in METRIC_NAME.findall(expr)}
    ours = {name for name in named if name.startswith("maillage_")}
    assert ours, "the rules and the dashboard read our figures"
    missing = ours - _registered_names(service_db)
    assert not missing, f"named in deploy/monitoring but registered nowhere: {sorted(missing)}"
    assert named - ours <= {"up"} | {n for n in named if n.startswith("rabbitmq_detailed_queue")}
