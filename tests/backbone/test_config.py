"""The configuration, read and checked once when a process starts (backbone/config.py): a bad
value stops the process with one line, French then English, naming the variable; `maillage config`
shows the effective settings with every secret masked; production (MAILLAGE_ENV=production)
refuses the broker's guest account, default passwords and short secrets."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backbone import config

REPO = Path(__file__).resolve().parents[2]
MAILLAGE = str(Path(sys.executable).parent / "maillage")
NAMEKO = str(Path(sys.executable).parent / "nameko")
GOOD_SECRET = "k" * 40
PRODUCTION = {
    "MAILLAGE_ENV": "production",
    "AMQP_URI": "amqp://maillage-orders:Zq8v3LwT0pXy@rabbitmq:5672/",
    "GATEWAY_SECRET": GOOD_SECRET,
}


def _run(argv, env_changes: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in config.SETTINGS or key == "MAILLAGE_WEBHOOK_ALLOW_PRIVATE"
    }
    env.update({"MAILLAGE_DATA_DIR": str(tmp_path / "data"), **env_changes})
    return subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)


BAD_VALUES = [
    ("MAILLAGE_RPC_TIMEOUT", "five", "doit être un nombre"),
    ("MAILLAGE_DELIVERY_LIMIT", "0", "au moins 1"),
    ("MAILLAGE_DB_POOL_SIZE", "0", "au moins 1"),
    ("MAILLAGE_DB_POOL_OVERFLOW", "-1", "au moins 0"),
    ("MAILLAGE_WEBHOOK_WORKERS", "2.5", "nombre entier"),
    ("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "maybe", "1 ou 0"),
    ("MAILLAGE_LOG_FORMAT", "xml", "l'une de : json, text"),
    ("MAILLAGE_ENV", "staging", "l'une de : trial, production"),
    ("AMQP_URI", "http://rabbitmq:5672/", "amqp://"),
    ("ORDERS_DATABASE_URL", "mysql://db/orders", "postgresql://"),
    ("GATEWAY_ADDRESS", "8000", "hôte:port"),
    ("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8,the-proxy", "réseaux"),
    ("MAILLAGE_PARCEL_REMINDER_DAYS", "3,sept", "nombres entiers"),
    ("GATEWAY_PUBLIC_URL", "maillage.example.org", "https://"),
]


@pytest.mark.parametrize("name, bad, french", BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
def test_a_bad_value_stops_the_command_with_one_line_naming_the_variable(
    tmp_path, name, bad, french
):
    done = _run([MAILLAGE, "config"], {name: bad}, tmp_path)
    assert done.returncode == 78, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    (line,) = lines
    french_part, english_part = line.split(" / ")
    assert french_part.startswith(f"configuration : {name} ") and french in french_part, line
    assert english_part.startswith(f"configuration: {name} "), line


def test_a_bad_value_stops_a_nameko_service_before_it_starts(tmp_path):
    """deploy/nameko.yaml's logging set-up checks the configuration: the first code of ours a
    nameko process runs, before it imports the service or reaches the broker."""
    done = _run(
        [NAMEKO, "run", "--config", "deploy/nameko.yaml", "services.orders.service:OrdersService"],
        # nameko's and eventlet's deprecation warnings at import are theirs, not a config line
        {"MAILLAGE_RETRY_DELAY": "soon", "PYTHONWARNINGS": "ignore"},
        tmp_path,
    )
    assert done.returncode == 78, done.stderr[-2000:]
    assert done.stderr.strip().splitlines() == [
        "configuration : MAILLAGE_RETRY_DELAY doit être un nombre (reçu « soon ») / "
        "configuration: MAILLAGE_RETRY_DELAY must be a number (got 'soon')"
    ]


def test_the_effective_settings_are_printed_with_every_secret_masked(tmp_path):
    secrets = {
        "GATEWAY_SECRET": "gw-" + "s" * 40,
        "AMQP_URI": "amqp://maillage-orders:amqp-pass-1@rabbitmq:5672/,"
        "amqp://maillage-orders:amqp-pass-1@rabbitmq-2:5672/",
        "ORDERS_DATABASE_URL": "postgresql://maillage:pg-pass-2@postgres:5432/orders",
        "MAILLAGE_SMTP_URL": "smtp://mailer:smtp-pass-3@relay:587",
        "MAILLAGE_MAIL_FROM": "Maillage <conciergerie@example.org>",
        "MAILLAGE_SMS_API_KEY": "sms-key-4",
        "MAILLAGE_OPT_OUT_SECRET": "opt-out-5",
        "MAILLAGE_RABBIT_MANAGEMENT_PASSWORD": "mgmt-pass-6",
        "RABBITMQ_ORDERS_PASSWORD": "broker-pass-7",
    }
    done = _run([MAILLAGE, "config"], {**secrets, "MAILLAGE_RPC_TIMEOUT": "7.5"}, tmp_path)
    assert done.returncode == 0, done.stderr
    shown = {line.split()[0]: line.split()[-1] for line in done.stdout.splitlines() if line.strip()}
    assert set(shown) == set(config.SETTINGS)
    for secret in ("gw-", "amqp-pass-1", "pg-pass-2", "smtp-pass-3", "sms-key-4", "opt-out-5"):
        assert secret not in done.stdout + done.stderr, secret
    assert "mgmt-pass-6" not in done.stdout and "broker-pass-7" not in done.stdout
    assert shown["GATEWAY_SECRET"] == shown["MAILLAGE_SMS_API_KEY"] == config.MASK
    assert shown["AMQP_URI"] == (
        "amqp://maillage-orders:****@rabbitmq:5672/,amqp://maillage-orders:****@rabbitmq-2:5672/"
    )
    assert shown["ORDERS_DATABASE_URL"] == "postgresql://maillage:****@postgres:5432/orders"
    assert shown["MAILLAGE_RPC_TIMEOUT"] == "7.5" and shown["MAILLAGE_DELIVERY_LIMIT"] == "5"


@pytest.mark.parametrize(
    "changes, variable",
    [
        ({"AMQP_URI": "amqp://guest:guest@rabbitmq:5672/"}, "AMQP_URI"),
        ({"AMQP_URI": "amqp://rabbitmq:5672/"}, "AMQP_URI"),  # no user: guest/guest
        ({"AMQP_URI": f"{PRODUCTION['AMQP_URI']},amqp://guest:guest@r2/"}, "AMQP_URI"),
        ({"GATEWAY_SECRET": "s3cret"}, "GATEWAY_SECRET"),
        ({"GATEWAY_SECRET": "x" * 31}, "GATEWAY_SECRET"),
        (
            {"ORDERS_DATABASE_URL": "postgresql://maillage:postgres@pg/orders"},
            "ORDERS_DATABASE_URL",
        ),
        ({"MAILLAGE_OPT_OUT_SECRET": "short"}, "MAILLAGE_OPT_OUT_SECRET"),
        ({"MAILLAGE_PASSWORD_HASHING": "light"}, "MAILLAGE_PASSWORD_HASHING"),
    ],
    ids=[
        "guest",
        "no-user",
        "guest-node",
        "short",
        "31",
        "db-default",
        "opt-out-short",
        "light-hashing",
    ],
)
def test_production_refuses_default_passwords_and_short_secrets(tmp_path, changes, variable):
    done = _run([MAILLAGE, "config"], {**PRODUCTION, **changes}, tmp_path)
    assert done.returncode == 78, done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"configuration : {variable} "), line
    assert "production" in line


def test_production_starts_with_real_passwords_and_a_trial_with_the_defaults(tmp_path):
    assert _run([MAILLAGE, "config"], PRODUCTION, tmp_path).returncode == 0
    trial = _run([MAILLAGE, "config"], {"GATEWAY_SECRET": "s3cret"}, tmp_path)
    assert trial.returncode == 0, trial.stderr
    assert "amqp://guest:****@127.0.0.1:5672/" in trial.stdout


def test_passwords_are_hashed_at_argon2s_standard_cost_unless_the_tests_ask_for_light(tmp_path):
    """RFC 9106's second recommendation (argon2-cffi's defaults) wherever the setting is not given;
    the suite's own processes hash lightly (tests/conftest.py)."""
    show = [
        sys.executable,
        "-c",
        "from services.members import passwords as p; h = p._hasher; "
        "print(h.time_cost, h.memory_cost, h.parallelism, "
        "p.verify_password(p.hash_password('x'), 'x'))",
    ]
    assert _run(show, {}, tmp_path).stdout.split() == ["3", "65536", "4", "True"]
    light = _run(show, {"MAILLAGE_PASSWORD_HASHING": "light"}, tmp_path)
    assert light.stdout.split() == ["1", "1024", "1", "True"], light.stderr[-1000:]


def test_the_gateway_refuses_to_start_in_production_without_its_secret(tmp_path):
    production = {k: v for k, v in PRODUCTION.items() if k != "GATEWAY_SECRET"}
    done = _run(
        [NAMEKO, "run", "--config", "deploy/nameko.yaml", "gateway.service:GatewayService"],
        {**production, "PYTHONWARNINGS": "ignore"},
        tmp_path,
    )
    assert done.returncode == 78, done.stderr[-2000:]
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("configuration : GATEWAY_SECRET ")


def test_a_setting_is_read_again_when_the_environment_changes(monkeypatch):
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "2.5")
    assert config.rpc_timeout() == 2.5
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "")  # compose's `${X:-}`: unset
    assert config.rpc_timeout() == 5.0
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "soon")
    with pytest.raises(config.ConfigError, match="MAILLAGE_RPC_TIMEOUT"):
        config.rpc_timeout()


def test_the_management_api_and_partners_vhost_follow_the_first_broker_node(monkeypatch):
    monkeypatch.delenv("MAILLAGE_RABBIT_MANAGEMENT_URL", raising=False)
    monkeypatch.delenv("MAILLAGE_RABBIT_MANAGEMENT_USER", raising=False)
    monkeypatch.delenv("MAILLAGE_PARTNERS_VHOST", raising=False)
    monkeypatch.setenv("AMQP_URI", "amqp://ops:p%40ss@node-1:5672/net,amqp://ops:p%40ss@node-2/net")
    assert config.rabbit_management_urls() == ["http://node-1:15672/api", "http://node-2:15672/api"]
    assert config.rabbit_management_auth() == ("ops", "p@ss")
    assert config.partners_vhost() == "net"


def test_a_clusters_nodes_reach_kombu_and_pika_each(monkeypatch):
    nodes = "amqp://u:p@node-1:5672/net, amqp://u:p@node-2:5673/net,amqp://u:p@node-3/net"
    monkeypatch.setenv("AMQP_URI", nodes)
    assert config.amqp_urls() == [
        "amqp://u:p@node-1:5672/net",
        "amqp://u:p@node-2:5673/net",
        "amqp://u:p@node-3/net",
    ]
    # kombu's failover form; `;` as AMQP_URI's separator is read the same way
    assert config.kombu_amqp_uri() == ";".join(config.amqp_urls())
    assert config.amqp_urls(config.kombu_amqp_uri()) == config.amqp_urls()
    params = config.pika_parameters(connection_attempts=1)
    assert [(p.host, p.port, p.virtual_host, p.connection_attempts) for p in params] == [
        ("node-1", 5672, "net", 1),
        ("node-2", 5673, "net", 1),
        ("node-3", 5672, "net", 1),
    ]
    assert config.problems({"AMQP_URI": nodes}) == []
    assert [p.name for p in config.problems({"AMQP_URI": nodes + ",http://node-4/"})] == [
        "AMQP_URI"
    ]


def test_every_nameko_process_hands_kombu_the_failover_form():
    from kombu import Connection
    from nameko.containers import get_container_cls

    from backbone.container import MaillageContainer
    from services.orders.service import OrdersService

    nameko_yaml = (config.REPO_ROOT / "deploy" / "nameko.yaml").read_text()
    settings = {"SERVICE_CONTAINER_CLS": "backbone.container.MaillageContainer"}
    assert "SERVICE_CONTAINER_CLS: backbone.container.MaillageContainer" in nameko_yaml
    assert get_container_cls(settings) is MaillageContainer
    shared = {**settings, "AMQP_URI": "amqp://u:p@node-1:5672/,amqp://u:p@node-2:5672/"}
    container = MaillageContainer(OrdersService, shared)
    assert container.config["AMQP_URI"] == "amqp://u:p@node-1:5672/;amqp://u:p@node-2:5672/"
    assert shared["AMQP_URI"] == container.config["AMQP_URI"], "the runner's one dictionary"
    connection = Connection(container.config["AMQP_URI"])
    assert [connection.hostname, *[Connection(a).hostname for a in connection.alt[1:]]] == [
        "node-1",
        "node-2",
    ]


def _os_environ_reads(path: Path) -> list[tuple[str, int]]:
    """(variable, line) of each `os.environ[...]` / `os.environ.get(...)` / `os.getenv(...)` read
    in one file (writes, and the whole environment handed to a child process, are not reads)."""

    def is_os_environ(node) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "environ"
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        )

    reads = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        name = None
        if isinstance(node, ast.Subscript) and is_os_environ(node.value):
            if isinstance(node.ctx, ast.Load):
                name = ast.unparse(node.slice)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                isinstance(func, ast.Attribute) and func.attr == "get" and is_os_environ(func.value)
            ) or (isinstance(func, ast.Attribute) and func.attr == "getenv"):
                name = ast.unparse(node.args[0])
        if name is not None:
            reads.append((name.strip("'\""), node.lineno))
    return reads


def test_every_setting_is_read_through_the_configuration_module():
    """One way to read a setting: backbone/config.py declares and reads them all, so that the
    check at start and `maillage config` know every one. Only the proxy variables every HTTP
    client honours are read where the webhooks are sent."""
    standard = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}
    direct = [
        f"{path.relative_to(REPO)}:{line} reads {name}"
        for directory in ("backbone", "gateway", "services", "maillage")
        for path in sorted((REPO / directory).rglob("*.py"))
        if path != REPO / "backbone" / "config.py"
        for name, line in _os_environ_reads(path)
        if name not in standard
    ]
    assert direct == []
