"""docker-compose.yml, deploy/Dockerfile and deploy/postgres-init.sql,
checked without a Docker engine.

What a container would run is checked against the code: every command names a real module or
`maillage` command, every environment variable set is one the code reads (and every one the code
needs is set), the database names agree, the health checks work. `docker compose config` (or
docker-compose 1.29) validates the file where the CLI is installed; it needs no engine.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from tests.support.compose import (
    CLUSTER_FILE,
    CLUSTER_SECRETS,
    CODE_DIRS,
    COMPOSE_FILE,
    IMAGE_TOOLS,
    INIT_SQL,
    LIBRARY_VARIABLES,
    NAMEKO_YAML,
    RUNTIME_VARIABLES,
    SECRETS,
    SERVICES,
    command_lines,
    dockerfile_env,
    dockerfile_folders,
    dockerfile_healthcheck,
    environment,
    merged,
    project_services,
    resolved,
    run_health_check,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def raw_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose(raw_compose) -> dict:
    """The file with anchors merged and ${...} replaced by their defaults
    (the secrets by SECRETS)."""
    return resolved(raw_compose, SECRETS)


# --- which environment variables the code reads ----------------------------------------------


def _name_pattern(node) -> str | None:
    """A regex for the variable name in `node`: a literal, or an f-string such as
    f"{service.upper()}_DATABASE_URL" (the braces match any name part)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            re.escape(part.value) if isinstance(part, ast.Constant) else "[A-Z0-9_]+"
            for part in node.values
        )
    return None


def _is_environ(node) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _python_reads(source: str, name: str) -> list[tuple[str, bool, str]]:
    """[(name pattern, required, where)] for os.environ[...], os.environ.get, os.getenv,
    `"X" in os.environ` and click's envvar= in one file (or one `python -c` code)."""
    reads = []
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if (
            isinstance(node, ast.Subscript)
            and _is_environ(node.value)
            and isinstance(node.ctx, ast.Load)
        ):
            pattern = _name_pattern(node.slice)
            if pattern:
                reads.append((pattern, True, where))
        elif isinstance(node, ast.Call):
            func = node.func
            is_get = (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "setdefault")
                and _is_environ(func.value)
            )
            is_getenv = (
                isinstance(func, ast.Attribute)
                and func.attr == "getenv"
                or isinstance(func, ast.Name)
                and func.id == "getenv"
            )
            if (is_get or is_getenv) and node.args:
                pattern = _name_pattern(node.args[0])
                if pattern:
                    reads.append((pattern, False, where))
            for keyword in node.keywords:
                if keyword.arg == "envvar":
                    values = (
                        keyword.value.elts
                        if isinstance(keyword.value, (ast.List, ast.Tuple))
                        else [keyword.value]
                    )
                    reads.extend((p, False, where) for p in map(_name_pattern, values) if p)
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            pattern = _name_pattern(node.left)
            if pattern:
                reads.append((pattern, False, where))
    return reads


def _nameko_yaml_reads() -> list[tuple[str, bool, str]]:
    """nameko's ${NAME} / ${NAME:default} placeholders: required when there is no default."""
    return [
        (re.escape(m.group(1)), m.group(2) is None, "deploy/nameko.yaml")
        for m in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:[^}]*)?\}", NAMEKO_YAML.read_text())
    ]


def _health_check_reads(compose) -> list[tuple[str, bool, str]]:
    """What the health checks' `python -c` code reads, the image's HEALTHCHECK included."""
    checks = {"deploy/Dockerfile HEALTHCHECK": dockerfile_healthcheck()}
    for name, svc in project_services(compose).items():
        checks[f"docker-compose.yml {name} healthcheck"] = (svc.get("healthcheck") or {}).get(
            "test"
        )
    reads = []
    for where, test in checks.items():
        if test and test[:3] == ["CMD", "python", "-c"]:
            reads.extend(_python_reads(test[3], where))
    return reads


def _declared_settings() -> list[tuple[str, bool, str]]:
    """Every variable backbone/config.py declares: what the processes read, through it (none is
    required there: each has a default, or production's check asks for it)."""
    from backbone import config

    return [(re.escape(name), False, "backbone/config.py") for name in config.SETTINGS]


@pytest.fixture(scope="module")
def code_reads(compose) -> list[tuple[str, bool, str]]:
    reads = _nameko_yaml_reads() + _health_check_reads(compose) + _declared_settings()
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            reads.extend(_python_reads(path.read_text(), str(path.relative_to(ROOT))))
    return reads


# --- the compose file ------------------------------------------------------------------------

EXPECTED_SERVICES = {
    "rabbitmq",
    "postgres",
    "broker-setup",
    "migrate",
    "seed",
    "gateway",
    "caddy",
    "backup",
    "prometheus",  # the monitoring profile (tests/deploy/test_monitoring.py)
    "grafana",
    *SERVICES,
}
THIRD_PARTY = {"rabbitmq", "postgres", "caddy", "prometheus", "grafana"}


def test_compose_file_parses_with_the_expected_containers(raw_compose, compose):
    assert isinstance(raw_compose, dict) and "services" in raw_compose
    assert set(compose["services"]) >= EXPECTED_SERVICES, (
        f"missing: {sorted(EXPECTED_SERVICES - set(compose['services']))}"
    )
    assert set(compose["volumes"]) >= {"rabbitmq-data", "postgres-data"}
    assert any(key.startswith("x-") for key in raw_compose), (
        "shared settings come from YAML anchors"
    )


def test_broker_and_database_have_health_checks_and_volumes(compose):
    rabbit, postgres = compose["services"]["rabbitmq"], compose["services"]["postgres"]
    assert re.fullmatch(r"rabbitmq:3\.(10|11|12|13)-management", rabbit["image"])
    assert rabbit["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
    assert any(v.endswith(":/var/lib/rabbitmq") for v in rabbit["volumes"])
    assert rabbit.get("hostname"), (
        "a fixed hostname keeps the node name, hence its data, across recreation"
    )
    assert postgres["image"] == "postgres:15"
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert any(
        v.startswith("./deploy/postgres-init.sql:/docker-entrypoint-initdb.d/")
        for v in postgres["volumes"]
    )


def test_every_project_container_runs_the_one_image(compose):
    project = project_services(compose)
    assert set(project) == EXPECTED_SERVICES - THIRD_PARTY
    assert len({svc["image"] for svc in project.values()}) == 1
    for name, svc in project.items():
        assert svc["build"]["context"] == "."
        assert "container_name" not in svc, f"{name}: a fixed container name forbids --scale"


def test_services_scale_and_start_after_migrations(compose):
    services = compose["services"]
    assert services["broker-setup"]["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    assert services["migrate"]["depends_on"] == {
        "broker-setup": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
    }
    for name in (*SERVICES, "gateway", "seed"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
    for name in SERVICES:
        assert not services[name].get("ports"), f"{name}: published ports forbid --scale"
        assert services[name]["restart"] == "unless-stopped"
    for one_shot in ("broker-setup", "migrate", "seed"):
        assert services[one_shot]["restart"] == "no"
    assert services["seed"]["depends_on"]["gateway"] == {"condition": "service_healthy"}


def test_gateway_listens_on_the_compose_network_behind_caddy(compose):
    gateway, caddy = compose["services"]["gateway"], compose["services"]["caddy"]
    env = environment(gateway)
    assert env["GATEWAY_ADDRESS"] == "0.0.0.0:8000"
    assert env["GATEWAY_PUBLIC_URL"] == f"https://{SECRETS['MAILLAGE_DOMAIN']}"
    assert env["GATEWAY_TRUSTED_PROXIES"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"^\s*reverse_proxy gateway:8000\s*$", caddyfile, re.M)
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert caddy["depends_on"] == {"gateway": {"condition": "service_healthy"}}


def test_no_port_is_published_but_the_proxys(compose):
    published = {
        name: svc["ports"] for name, svc in compose["services"].items() if svc.get("ports")
    }
    assert published == {"caddy": ["80:80", "443:443", "443:443/udp"]}


def _schema_errors(document: dict) -> list[str]:
    """The compose-spec's own JSON schema (the copy check-jsonschema vendors): what `docker compose
    config` checks before anything else."""
    schema = json.loads(
        files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def test_compose_files_follow_the_compose_spec_schema(raw_compose, compose):
    # as written (anchors merged by YAML) and as compose reads it (variables replaced)
    assert _schema_errors(raw_compose) == []
    assert _schema_errors(compose) == []
    for override in sorted((ROOT / "deploy").glob("compose*.yml")):
        document = resolved(yaml.safe_load(override.read_text()), CLUSTER_SECRETS)
        assert _schema_errors(document) == [], override.name


def test_the_schema_check_sees_a_mistake(compose):
    """The check can fail: a misspelt key, a healthcheck interval that is no duration."""
    broken = yaml.safe_load(yaml.safe_dump(compose))
    broken["services"]["orders"]["restarts"] = "always"
    broken["services"]["gateway"]["healthcheck"]["interval"] = 10
    errors = _schema_errors(broken)
    assert any(e.startswith("services/orders") and "restarts" in e for e in errors), errors
    assert any(e.startswith("services/gateway/healthcheck/interval") for e in errors), errors


def test_every_container_rotates_its_logs(compose):
    for name, svc in compose["services"].items():
        logging = svc.get("logging") or {}
        assert logging.get("driver") == "json-file", (
            f"{name}: no rotated log; give it `logging: *logging` (docker-compose.yml x-logging)"
        )
        options = logging.get("options") or {}
        assert re.fullmatch(r"\d+[kmg]", options.get("max-size", "")), name
        assert int(options.get("max-file", "0")) >= 2, name


def test_volumes_of_the_image_mount_on_folders_the_service_user_owns(compose):
    """A named volume starts as a copy of the image's folder, owner included; a mount point the
    image lacks would be root's, and the service user could not write there."""
    made, owned = dockerfile_folders()
    for name, svc in project_services(compose).items():
        for volume in svc.get("volumes") or []:
            source, target = (volume.split(":") + [""])[:2]
            if source.startswith((".", "/")):
                continue  # a bind mount: the host's folder, its owner the operator's choice
            assert target in made, f"{name}: {target} is not made by deploy/Dockerfile"
            assert any(target == o or target.startswith(o + "/") for o in owned), (
                f"{name}: {target} is not owned by the service user in the image"
            )


def _without(variable):
    return {k: v for k, v in SECRETS.items() if k != variable}


@pytest.mark.parametrize("variable", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(raw_compose, variable):
    with pytest.raises(KeyError, match=variable):
        resolved(raw_compose, _without(variable))


def test_no_secret_has_a_default():
    text = COMPOSE_FILE.read_text()
    for variable in SECRETS:
        assert not re.search(r"\$\{" + variable + r"(:?-)", text), f"{variable} has a default"


def test_every_container_is_on_the_broker_as_its_own_generated_user(compose):
    from maillage import broker_definitions

    users = {
        u["name"]
        for u in broker_definitions.definitions({role: "x" for role in broker_definitions.ROLES})[
            "users"
        ]
    }
    for name, svc in project_services(compose).items():
        amqp = urlsplit(environment(svc)["AMQP_URI"])
        role = name if name in (*SERVICES, "gateway") else "operator"
        assert amqp.username == broker_definitions.username(role) in users, name
        assert amqp.password == SECRETS[broker_definitions.password_variable(role)], name
    partners = environment(compose["services"]["partners"])
    assert partners["MAILLAGE_PARTNERS_VHOST"] == "/partners"
    assert partners["MAILLAGE_RABBIT_MANAGEMENT_USER"] == broker_definitions.username("feeds")
    assert partners["MAILLAGE_RABBIT_MANAGEMENT_PASSWORD"] == SECRETS["RABBITMQ_FEEDS_PASSWORD"]


def test_broker_setup_applies_the_generated_definitions_with_every_password(compose):
    from maillage import broker_definitions

    setup = compose["services"]["broker-setup"]
    assert command_lines(setup) == [["maillage", "broker-definitions", "--apply"]]
    env = environment(setup)
    assert broker_definitions.passwords_from_environment(env) == {
        role: SECRETS[broker_definitions.password_variable(role)]
        for role in broker_definitions.ROLES
    }
    rabbit = compose["services"]["rabbitmq"]
    assert environment(rabbit)["RABBITMQ_DEFAULT_USER"] == broker_definitions.username("operator")
    plugins = (ROOT / "deploy" / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_shovel" in plugins and "rabbitmq_management" in plugins
    assert "./deploy/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro" in rabbit["volumes"]


def test_the_backup_profile_backs_up_on_a_schedule_into_a_volume_of_its_own(compose):
    backup = compose["services"]["backup"]
    assert backup["profiles"] == ["backup"], "started only when asked: --profile backup"
    assert command_lines(backup) == [["maillage", "backup-schedule", "/app/var/backups"]]
    assert backup["volumes"] == ["backups:/app/var/backups"] and "backups" in compose["volumes"]
    env = environment(backup)
    assert float(env["BACKUP_INTERVAL_HOURS"]) > 0 and int(env["BACKUP_KEEP"]) >= 1
    # the secrets go into the backup; the partners' vhost holds the partners' broker accounts
    assert env["GATEWAY_SECRET"] == SECRETS["GATEWAY_SECRET"]
    assert env["MAILLAGE_OPT_OUT_SECRET"] == SECRETS["MAILLAGE_OPT_OUT_SECRET"]
    partners = environment(compose["services"]["partners"])
    assert env["MAILLAGE_PARTNERS_VHOST"] == partners["MAILLAGE_PARTNERS_VHOST"]
    assert env["MAILLAGE_RABBIT_MANAGEMENT_URL"] == partners["MAILLAGE_RABBIT_MANAGEMENT_URL"]


def test_the_image_has_pg_dump_of_the_servers_major_version_and_owns_the_backups_folder():
    """A new named volume takes the owner of the image's folder it is mounted on: created there
    and given to the image's user, the schedule can write its backups."""
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    server = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["postgres"]["image"]
    assert f"postgresql-client-{server.split(':')[1]}" in dockerfile
    (made,) = [line for line in dockerfile.splitlines() if "mkdir -p" in line]
    assert "/app/var/backups" in made and "chown -R maillage:maillage /app/var" in dockerfile


def test_migrate_migrates_then_declares_the_topology(compose):
    assert command_lines(compose["services"]["migrate"]) == [
        ["maillage", "migrate"],
        ["maillage", "topology"],
    ]


# --- commands name real things -----------------------------------------------------------------


def _nameko_commands(compose):
    for name, svc in sorted(project_services(compose).items()):
        for line in command_lines(svc):
            if line[0] == "nameko":
                yield name, line


def _maillage_commands(compose):
    for name, svc in sorted(project_services(compose).items()):
        for line in command_lines(svc):
            if line[0] == "maillage":
                yield name, line
    # the operators' commands the file's header documents (`docker compose run --rm X maillage ...`)
    for match in re.finditer(
        r"^#.*docker compose run (?:--?[\w-]+ )*[\w-]+ (maillage .*?)\s*$",
        COMPOSE_FILE.read_text(),
        re.M,
    ):
        yield "header comment", shlex.split(match.group(1))


def test_every_container_runs_a_command_the_image_has(compose):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for name, svc in project_services(compose).items():
        for line in command_lines(svc):
            assert line[0] in {*scripts, "nameko"}, (
                f"{name}: {line[0]} is not installed by the image"
            )


def test_nameko_commands_run_like_locally(compose):
    modules = {}
    for name, line in _nameko_commands(compose):
        assert line[:4] == ["nameko", "run", "--config", "deploy/nameko.yaml"], name
        modules[name] = line[4:]
    from maillage.network import GATEWAY_MODULE, SERVICE_MODULES

    assert modules == {**{s: [SERVICE_MODULES[s]] for s in SERVICES}, "gateway": [GATEWAY_MODULE]}


@pytest.mark.parametrize(
    "target",
    [f"services.{s}.service" for s in SERVICES] + ["gateway.service"],
    ids=lambda t: t.split(".")[-2] if t.startswith("services") else "gateway",
)
def test_nameko_target_exists_and_is_a_service(target):
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from maillage.network import GATEWAY_MODULE, SERVICE_MODULES

    full = next(
        t for t in [*SERVICE_MODULES.values(), GATEWAY_MODULE] if t.startswith(target + ":")
    )
    module, cls_name = full.split(":")
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        pytest.fail(
            f"docker-compose.yml runs `nameko run ... {full}` but it cannot be imported: {exc}"
        )
    cls = getattr(loaded, cls_name, None)
    # what `nameko run module:Class` needs: a class with a `name` whose methods carry entrypoints
    assert inspect.isclass(cls) and isinstance(getattr(cls, "name", None), str), full
    assert any(
        getattr(m, ENTRYPOINT_EXTENSIONS_ATTR, None)
        for _m, m in inspect.getmembers(cls, inspect.isfunction)
    ), full


def test_maillage_commands_exist_with_those_arguments(compose):
    import click

    from maillage.cli import main

    missing, bad = [], []
    for name, line in _maillage_commands(compose):
        command_name, args = line[1], line[2:]
        command = main.commands.get(command_name)
        if command is None:
            missing.append(f"`maillage {command_name}` (used by {name})")
            continue
        try:
            command.make_context(
                command_name, list(args), parent=click.Context(main, info_name="maillage")
            )
        except click.ClickException as exc:
            bad.append(f"`{' '.join(line)}` ({name}): {exc.format_message()}")
    assert not missing, "maillage/cli.py lacks: " + ", ".join(missing)
    assert not bad, "; ".join(bad)


def test_every_service_runs_its_relay_in_its_container(compose):
    """No relay container: each service container runs its outbox relay (OUTBOX_RELAY in-process,
    deploy/nameko.yaml), so a service never runs without one."""
    assert not [name for name in compose["services"] if "relay" in name]
    assert compose["services"]["orders"]["environment"]["MAILLAGE_OUTBOX_RELAY"] == "in-process"
    nameko_yaml = NAMEKO_YAML.read_text()
    assert "OUTBOX_RELAY: ${MAILLAGE_OUTBOX_RELAY:in-process}" in nameko_yaml
    from services.orders.service import OrdersService

    assert OrdersService.outbox_relay.service == "orders"


def test_green_dns_where_the_local_run_has_it(compose):
    """Compose and `maillage run` agree: eventlet's green DNS only in the services of GREEN_DNS."""
    from maillage.network import GREEN_DNS
    from maillage.runner import network_processes

    for name in SERVICES:
        wanted = "no" if name in GREEN_DNS else "yes"
        assert environment(compose["services"][name])["EVENTLET_NO_GREENDNS"] == wanted, name
    assert environment(compose["services"]["gateway"])["EVENTLET_NO_GREENDNS"] == "yes"
    assert {p.name for p in network_processes() if p.green_dns} == GREEN_DNS


# --- environment -----------------------------------------------------------------------------


def _set_variables(compose) -> dict[str, set[str]]:
    """{variable: containers setting it} over our containers, the image's ENV included."""
    image_env = set(dockerfile_env()) - RUNTIME_VARIABLES
    found: dict[str, set[str]] = {}
    for name, svc in project_services(compose).items():
        for variable in (set(environment(svc)) - LIBRARY_VARIABLES) | image_env:
            found.setdefault(variable, set()).add(name)
    return found


def test_every_variable_set_is_read_by_the_code(compose, code_reads):
    unread = sorted(
        variable
        for variable in _set_variables(compose)
        if not any(re.fullmatch(pattern, variable) for pattern, _req, _where in code_reads)
    )
    assert not unread, (
        f"set in docker-compose.yml or deploy/Dockerfile but read nowhere in "
        f"{', '.join(CODE_DIRS)} or deploy/nameko.yaml: {unread}"
    )


def test_every_variable_the_code_needs_is_set(compose, code_reads):
    project = project_services(compose)
    image_env = set(dockerfile_env())
    problems = []
    for pattern, required, where in code_reads:
        if not required:
            continue
        for name, svc in project.items():
            if not any(re.fullmatch(pattern, v) for v in set(environment(svc)) | image_env):
                problems.append(f"{pattern} ({where}) is not set for {name}")
    assert not problems, "; ".join(problems)


def test_each_service_database_url_is_set(compose):
    from backbone import config

    assert tuple(config.SERVICES) == SERVICES
    for name, svc in project_services(compose).items():
        env = environment(svc)
        for service in SERVICES:
            # config.database_url() falls back to a SQLite file inside the container otherwise
            assert env.get(f"{service.upper()}_DATABASE_URL", "").startswith("postgresql://"), (
                name,
                service,
            )
        assert env["AMQP_URI"].startswith("amqp://"), name


def test_shared_settings_agree_across_containers(compose):
    # the delivery limit is an argument of the quorum queues every container declares: a
    # container with another value would fail to declare them (PRECONDITION_FAILED)
    for variable in ("MAILLAGE_DELIVERY_LIMIT", "MAILLAGE_RPC_TIMEOUT"):
        values = {environment(svc).get(variable) for svc in project_services(compose).values()}
        assert len(values) == 1, (variable, values)


def test_credentials_match_the_broker_and_the_database(compose):
    rabbit_env = environment(compose["services"]["rabbitmq"])
    pg_env = environment(compose["services"]["postgres"])
    for name, svc in project_services(compose).items():
        env = environment(svc)
        amqp = urlsplit(env["AMQP_URI"])
        assert (amqp.hostname, amqp.port or 5672) == ("rabbitmq", 5672), name
        assert amqp.username != "guest", "RabbitMQ refuses guest from other hosts (containers)"
        if name not in (
            *SERVICES,
            "gateway",
        ):  # the one-shots are the operators, the broker's first user
            assert (amqp.username, amqp.password) == (
                rabbit_env["RABBITMQ_DEFAULT_USER"],
                rabbit_env["RABBITMQ_DEFAULT_PASS"],
            ), name
        for service in SERVICES:
            url = urlsplit(env[f"{service.upper()}_DATABASE_URL"])
            assert (url.hostname, url.port) == ("postgres", 5432), (name, service)
            assert (url.username, url.password) == (
                pg_env["POSTGRES_USER"],
                pg_env["POSTGRES_PASSWORD"],
            )


def test_init_script_creates_exactly_the_databases_the_urls_name(compose):
    created = set(
        re.findall(r"^\s*CREATE DATABASE\s+\"?(\w+)\"?\s*;", INIT_SQL.read_text(), re.I | re.M)
    )
    named = {
        urlsplit(value).path.lstrip("/")
        for svc in project_services(compose).values()
        for variable, value in environment(svc).items()
        if variable.endswith("_DATABASE_URL")
    }
    assert created == named == set(SERVICES)
    postgres_db = environment(compose["services"]["postgres"])["POSTGRES_DB"]
    assert postgres_db not in created, (
        "the image creates POSTGRES_DB itself; CREATE DATABASE would fail"
    )


# --- health checks ---------------------------------------------------------------------------


def test_health_check_commands_exist_in_their_images(compose):
    for name, svc in compose["services"].items():
        test = (svc.get("healthcheck") or {}).get("test")
        if not test:
            continue
        assert test[0] in ("CMD", "CMD-SHELL"), name
        program = test[1] if test[0] == "CMD" else shlex.split(test[1])[0]
        if name in project_services(compose):
            assert program == "python", f"{name}: only python is sure to be in python:3.11-slim"
        else:
            image = svc["image"].split(":")[0]
            assert program in IMAGE_TOOLS[image], (
                f"{name}: {program} is not shipped in {svc['image']}"
            )


LONG_RUNNING = (*SERVICES, "gateway")
ONE_SHOTS = ("broker-setup", "migrate", "seed")


def _serving_port(name: str, svc: dict) -> int:
    """Where the container's process answers /readyz: the gateway on its HTTP port, each service
    on MAILLAGE_OPS_PORT."""
    env = environment(svc)
    if name == "gateway":
        return int(env["GATEWAY_ADDRESS"].rsplit(":", 1)[1])
    return int(env["MAILLAGE_OPS_PORT"])


@pytest.mark.parametrize("name", LONG_RUNNING)
@pytest.mark.parametrize("status, healthy", [(200, True), (503, False)])
def test_each_long_running_container_is_healthy_when_its_process_is_ready(
    compose, name, status, healthy
):
    """Docker's check, run against a stand-in answering `status` on /readyz of the container's
    port and 404 anywhere else: the container is healthy by its readiness, never by /health (the
    gateway's would fail whenever one service is down and get it restarted for nothing)."""
    svc = compose["services"][name]
    test = svc["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], name
    result = run_health_check(test[3], environment(svc), _serving_port(name, svc), status)
    assert (result.returncode == 0) is healthy, result.stderr[-500:]


def test_the_services_check_is_the_images_own(compose):
    image_check = dockerfile_healthcheck()
    for name in SERVICES:
        assert compose["services"][name]["healthcheck"]["test"] == image_check, name


def test_one_shot_jobs_have_no_health_check(compose):
    for name in ONE_SHOTS:
        assert compose["services"][name]["healthcheck"] == {"disable": True}, name


def test_gateway_serves_health():
    sources = (
        " ".join(p.read_text() for p in (ROOT / "gateway").rglob("*.py"))
        if (ROOT / "gateway").is_dir()
        else ""
    )
    assert re.search(r"""["']/health["']""", sources), "gateway/ has no GET /health route yet"


# --- docker compose itself (no engine needed) ------------------------------------------------


def _compose_cli() -> list[str] | None:
    for candidate in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(candidate[0]) is None:
            continue
        probe = subprocess.run([*candidate, "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return candidate
    return None


def test_docker_compose_config_accepts_the_file():
    cli = _compose_cli()
    if cli is None:
        pytest.skip(
            "neither the `docker compose` plugin nor docker-compose is installed "
            "(apt-get install docker-compose gives 1.29, which validates without an engine)"
        )
    env = {**{k: v for k, v in os.environ.items() if k != "COMPOSE_FILE"}, **SECRETS}
    check = subprocess.run(
        [*cli, "-f", str(COMPOSE_FILE), "--profile", "demo", "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert check.returncode == 0, check.stderr
    listed = subprocess.run(
        [*cli, "-f", str(COMPOSE_FILE), "--profile", "demo", "config", "--services"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert set(listed.stdout.split()) == EXPECTED_SERVICES


def test_every_container_passes_the_production_check_with_secrets_of_the_documented_shape(
    raw_compose,
):
    """Compose runs in production (MAILLAGE_ENV): with secrets made as its header says
    (`openssl rand -hex 24`), every container's environment passes backbone/config.py's check at
    start, the gateway's own secret required; with the examples' short ones it would not."""
    from backbone import config

    strong = {name: f"{name.lower()}-{'0a1b2c' * 8}" for name in SECRETS}
    strong["MAILLAGE_DOMAIN"] = SECRETS["MAILLAGE_DOMAIN"]
    compose = resolved(raw_compose, strong)
    for name, svc in project_services(compose).items():
        env = {k: v for k, v in environment(svc).items() if v is not None}
        assert env["MAILLAGE_ENV"] == "production" and env["MAILLAGE_LOG_FORMAT"] == "json"
        required = ("GATEWAY_SECRET",) if name == "gateway" else ()
        assert [p.line for p in config.problems(env, required)] == [], name
    gateway = environment(resolved(raw_compose, SECRETS)["services"]["gateway"])
    assert [p.name for p in config.problems(gateway, ("GATEWAY_SECRET",))] == [
        "GATEWAY_SECRET",
        "MAILLAGE_OPT_OUT_SECRET",
    ]


# --- the RabbitMQ cluster (deploy/compose.cluster.yml) -----------------------------------------

CLUSTER_NODES = ("rabbitmq", "rabbitmq-2", "rabbitmq-3")


@pytest.fixture(scope="module")
def cluster(raw_compose) -> dict:
    """docker-compose.yml with deploy/compose.cluster.yml over it, as compose merges them."""
    return resolved(merged(raw_compose, yaml.safe_load(CLUSTER_FILE.read_text())), CLUSTER_SECRETS)


def test_the_cluster_follows_the_compose_spec_schema(cluster):
    assert _schema_errors(cluster) == []


def test_the_cluster_has_three_nodes_that_find_each_other(cluster):
    conf = (ROOT / "deploy" / "rabbitmq" / "cluster" / "cluster.conf").read_text()
    assert "cluster_formation.peer_discovery_backend = classic_config" in conf
    listed = re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = (\S+)$", conf, re.M)
    assert listed == [f"rabbit@{name}" for name in CLUSTER_NODES]
    single = cluster["services"]["rabbitmq"]
    for name in CLUSTER_NODES:
        node = cluster["services"][name]
        assert node["image"] == single["image"], name
        assert node.get("hostname") == name, "the node's name (rabbit@<hostname>) is listed"
        assert environment(node)["RABBITMQ_ERLANG_COOKIE"] == "cluster-c00kie", name
        assert environment(node)["RABBITMQ_DEFAULT_USER"] == "maillage-operator", name
        mounts = set(node["volumes"])
        assert "./deploy/rabbitmq/cluster/cluster.conf:/etc/rabbitmq/conf.d/30-cluster.conf:ro" in (
            mounts
        ), name
        assert (
            "./deploy/rabbitmq/cluster/advanced.config:/etc/rabbitmq/advanced.config:ro" in mounts
        )
        assert "./deploy/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro" in mounts
        assert node["healthcheck"]["test"] == single["healthcheck"]["test"], name
    data = [
        next(v for v in cluster["services"][n]["volumes"] if v.endswith(":/var/lib/rabbitmq"))
        for n in CLUSTER_NODES
    ]
    assert len(set(data)) == 3, f"each node its own data: {data}"
    for volume in data:
        assert volume.split(":")[0] in cluster["volumes"], volume
    setup = cluster["services"]["broker-setup"]["depends_on"]
    assert {n: setup[n]["condition"] for n in CLUSTER_NODES} == dict.fromkeys(
        CLUSTER_NODES, "service_healthy"
    ), "the definitions (and the cluster's policy) once the three nodes run"


def test_quorum_queues_are_replicated_on_the_three_nodes():
    advanced = (ROOT / "deploy" / "rabbitmq" / "cluster" / "advanced.config").read_text()
    assert re.search(r"\{rabbit,\s*\[\{quorum_cluster_size,\s*3\}\]\}", advanced), advanced


def test_every_container_lists_the_three_nodes_as_its_own_user(compose, cluster):
    from backbone import config

    for name, svc in project_services(cluster).items():
        nodes = config.amqp_urls(environment(svc)["AMQP_URI"])
        single = urlsplit(environment(project_services(compose)[name])["AMQP_URI"])
        assert [urlsplit(n).hostname for n in nodes] == list(CLUSTER_NODES), name
        for node in nodes:
            parts = urlsplit(node)
            assert (parts.username, parts.password, parts.port, parts.path) == (
                single.username,
                single.password,
                single.port,
                single.path,
            ), name
        management = environment(svc).get("MAILLAGE_RABBIT_MANAGEMENT_URL")
        if management:  # who calls the management API calls the first node that answers
            hosts = [urlsplit(url).hostname for url in config.split_urls(management)]
            assert hosts == list(CLUSTER_NODES), name
    strong = {name: f"{name.lower()}-{'0a1b2c' * 8}" for name in CLUSTER_SECRETS}
    strong["MAILLAGE_DOMAIN"] = SECRETS["MAILLAGE_DOMAIN"]
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    production = resolved(merged(raw, yaml.safe_load(CLUSTER_FILE.read_text())), strong)
    for name, svc in project_services(production).items():
        env = {k: v for k, v in environment(svc).items() if v is not None}
        required = ("GATEWAY_SECRET",) if name == "gateway" else ()
        assert [p.line for p in config.problems(env, required)] == [], name


def test_broker_setup_mirrors_the_classic_queues_on_a_cluster():
    from maillage import broker_definitions

    passwords = {role: "x" for role in broker_definitions.ROLES}
    single = broker_definitions.definitions(passwords)["policies"]
    clustered = broker_definitions.definitions(passwords, cluster=True)["policies"]
    assert broker_definitions.CLUSTER_POLICY_NAME not in {p["name"] for p in single}
    by_name = {p["name"]: p for p in clustered}
    rpc = by_name[broker_definitions.CLUSTER_POLICY_NAME]
    assert rpc["pattern"] == "^rpc-" and rpc["definition"]["ha-mode"] == "all"
    outbound = by_name["maillage-partners-outbound"]["definition"]
    assert outbound["ha-mode"] == "all" and outbound["overflow"] == "reject-publish"


def test_docker_compose_config_accepts_the_cluster():
    cli = _compose_cli()
    if cli is None:
        pytest.skip("neither the `docker compose` plugin nor docker-compose is installed")
    env = {**{k: v for k, v in os.environ.items() if k != "COMPOSE_FILE"}, **CLUSTER_SECRETS}
    files_ = ["-f", str(COMPOSE_FILE), "-f", str(CLUSTER_FILE)]
    listed = subprocess.run(
        [*cli, *files_, "config", "--services"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    assert set(CLUSTER_NODES) <= set(listed.stdout.split())
