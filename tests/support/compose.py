"""docker-compose.yml and deploy/Dockerfile as the deploy tests read them, without a Docker
engine: compose's variable substitution, the containers that run our image, their commands and
environment, the Dockerfile's instructions."""

from __future__ import annotations

import http.server
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres-init.sql"
NAMEKO_YAML = ROOT / "deploy" / "nameko.yaml"
CODE_DIRS = ("backbone", "gateway", "maillage", "services")

SERVICES = ("members", "partners", "orders", "events")

# what the third-party images ship (their health checks cannot run here)
IMAGE_TOOLS = {
    "rabbitmq": {"rabbitmq-diagnostics", "rabbitmqctl"},
    "postgres": {"pg_isready", "psql"},
}

# variables the Python runtime and pip read, not the project
RUNTIME_VARIABLES = {
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PATH",
}
# read by a library at import, or by the interpreter, not by our code
LIBRARY_VARIABLES = {"EVENTLET_NO_GREENDNS", "PYTHONWARNINGS"}


# --- reading the files -----------------------------------------------------------------------


def interpolate(value: str, env: dict | None = None) -> str:
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$."""
    env = env or {}

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
        if op in (":-", "-"):
            current = env.get(name)
            return arg if current is None or (op == ":-" and current == "") else current
        if op in (":?", "?"):
            if not env.get(name):
                raise KeyError(f"{name}: {arg}")
            return env[name]
        return env.get(name, "")

    pattern = r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|-|:\?|\?)(?P<arg>[^}]*))?\}"
    return re.sub(pattern, replace, value)


def resolved(node, env=None):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [resolved(item, env) for item in node]
    if isinstance(node, dict):
        return {key: resolved(value, env) for key, value in node.items()}
    return node


# what an operator must set: compose refuses to start without each of them (${VAR:?message})
SECRETS = {
    "GATEWAY_SECRET": "s3cret",
    "POSTGRES_PASSWORD": "pg-pass",
    "MAILLAGE_DOMAIN": "maillage.example.org",
    "MAILLAGE_OPT_OUT_SECRET": "opt-out-s3cret",
    **{
        f"RABBITMQ_{role.upper()}_PASSWORD": f"{role}-pass"
        for role in (*SERVICES, "gateway", "operator", "feeds")
    },
}


# deploy/compose.cluster.yml's own: the Erlang cookie its three RabbitMQ nodes share
CLUSTER_SECRETS = {**SECRETS, "RABBITMQ_ERLANG_COOKIE": "cluster-c00kie"}
CLUSTER_FILE = ROOT / "deploy" / "compose.cluster.yml"


def merged(base, override):
    """Compose's merge of an override file (`-f base -f override`): mappings key by key,
    volumes by their mount point, other lists and values replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            if key == "volumes" and isinstance(value, list) and isinstance(base.get(key), list):
                targets = {v.split(":")[1]: v for v in base[key] + value}
                out[key] = list(targets.values())
            else:
                out[key] = merged(base[key], value) if key in base else value
        return out
    return override


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: (None if value is None else str(value)) for key, value in env.items()}


def project_services(compose) -> dict:
    """The containers that run our image (built from deploy/Dockerfile)."""
    return {
        name: svc
        for name, svc in compose["services"].items()
        if (svc.get("build") or {}).get("dockerfile") == "deploy/Dockerfile"
    }


def command_lines(service: dict) -> list[list[str]]:
    """The command(s) a container runs: `sh -c "a && b"` counts as a and b."""
    command = service.get("command")
    if command is None:
        return []
    if isinstance(command, str):
        command = shlex.split(command)
    if command[:2] in (["sh", "-c"], ["/bin/sh", "-c"], ["bash", "-c"]):
        return [shlex.split(part) for part in re.split(r"&&|\|\||;", command[2]) if part.strip()]
    return [command]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def dockerfile_env() -> dict:
    env = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def dockerfile_folders() -> tuple[set[str], set[str]]:
    """(folders its RUN lines make with `mkdir -p`, folders they `chown -R` to the service user)."""
    made, owned = set(), set()
    for keyword, rest in dockerfile_instructions():
        if keyword != "RUN":
            continue
        for command in re.split(r"&&|;", rest):
            words = shlex.split(command)
            if words[:2] == ["mkdir", "-p"]:
                made.update(words[2:])
            elif words[:2] == ["chown", "-R"] and words[2].split(":")[0] == "maillage":
                owned.update(words[3:])
    return made, owned


def dockerfile_healthcheck() -> list[str]:
    """The HEALTHCHECK's command as compose writes a `test:` (["CMD", ...])."""
    (rest,) = [rest for keyword, rest in dockerfile_instructions() if keyword == "HEALTHCHECK"]
    options, _, command = rest.partition("CMD ")
    assert options.strip().startswith("--") or not options.strip(), rest
    return ["CMD", *exec_form(command)]


def healthcheck_options() -> dict[str, str]:
    (rest,) = [rest for keyword, rest in dockerfile_instructions() if keyword == "HEALTHCHECK"]
    return dict(re.findall(r"--([a-z-]+)=(\S+)", rest.partition("CMD ")[0]))


class _Ready(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


def run_health_check(code: str, env: dict, port: int, status: int) -> subprocess.CompletedProcess:
    """A health check's `python -c` code, run as Docker runs it in a container whose process
    answers `status` on GET /readyz at `port` and 404 anywhere else: a local server on a free port
    stands in for that process (the port moved in the code and in the environment alike)."""
    handler = type("Handler", (_Ready,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = str(server.server_address[1])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")},
        **{k: (local if v == str(port) else v) for k, v in env.items() if v is not None},
    }
    try:
        return subprocess.run(
            [sys.executable, "-I", "-c", code.replace(f"127.0.0.1:{port}", f"127.0.0.1:{local}")],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.shutdown()
        server.server_close()


def exec_form(rest: str) -> list[str]:
    value = yaml.safe_load(rest)
    assert isinstance(value, list), f"use the exec (JSON) form: {rest}"
    return value
