"""Every setting the processes read from the environment, declared once: its type, default,
check and whether it is a secret; the same names locally and in docker-compose.

Each process checks them all when it starts (`check_or_exit`, called by the `maillage` command and
by deploy/nameko.yaml's logging set-up, the first code a nameko process runs): a bad value stops it
with one line per variable, in French and English, naming the variable. `maillage config` prints
the effective settings, secrets masked. The functions below (`amqp_uri()`, `rpc_timeout()`…) are
how the code reads a setting: parsed with environs, and kept per raw value, so that reading one
costs a dictionary look-up.

`MAILLAGE_ENV` says what the process is part of: `trial` (the default: `make run`, tests, a
developer's machine) or `production` (docker-compose.yml sets it). In production the process
refuses the broker's guest/guest account, a database password left at a well-known default, and
a `GATEWAY_SECRET` (or `MAILLAGE_OPT_OUT_SECRET`) shorter than 32 characters or missing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from environs import Env, EnvError

REPO_ROOT = Path(__file__).resolve().parent.parent

SERVICES = ("members", "partners", "orders", "events")

EVENTS_EXCHANGE = "maillage.events"
DEAD_LETTER_EXCHANGE = "maillage.dead-letter"
DEAD_LETTER_QUEUE = "maillage.dead-letters"
PARTNERS_EXCHANGE = "maillage.partners"
# set by `maillage run` for its processes: the file where it tells what it knows of them
SUPERVISOR_STATUS_ENV = "MAILLAGE_SUPERVISOR_STATUS"
# the port and address of a process's /livez, /readyz and /metrics (backbone/operations.py): 8080
# on every address in a container; `maillage run` gives each process its own port on 127.0.0.1
OPS_PORT_ENV = "MAILLAGE_OPS_PORT"
OPS_HOST_ENV = "MAILLAGE_OPS_HOST"

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
MIN_SECRET_LENGTH = 32
# passwords an operator may leave as the examples and images give them: refused in production
DEFAULT_PASSWORDS = frozenset(
    {"guest", "postgres", "password", "maillage", "changeme", "secret", "admin", "example"}
)
MASK = "****"


class ConfigError(Exception):
    """One bad setting: `line` names the variable, in French then English."""

    def __init__(self, name: str, french: str, english: str):
        super().__init__(f"{name}: {english}")
        self.name = name
        self.line = f"configuration : {name} {french} / configuration: {name} {english}"


# --- declarations -----------------------------------------------------------------------------

# (French, English) of what each kind expects, for the one-line error
_EXPECTED = {
    "str": ("un texte", "a text"),
    "int": ("un nombre entier", "a whole number"),
    "float": ("un nombre", "a number"),
    "bool": ("1 ou 0 (true/false, yes/no)", "1 or 0 (true/false, yes/no)"),
    "path": ("un chemin", "a path"),
    "list": ("une liste séparée par des virgules", "a comma-separated list"),
}


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # a key of _EXPECTED: the environs parser used
    default: Any
    help: str
    minimum: float | None = None
    secret: bool = False  # masked whole by `maillage config`
    has_password: bool = False  # a URL (or URLs) whose password is masked
    choices: tuple[str, ...] = ()
    check: Callable[[Any], tuple[str, str] | None] | None = None  # (French, English) problem
    subcast: type | None = None  # the items' type of a list


SETTINGS: dict[str, Setting] = {}


def _declare(*settings: Setting) -> None:
    for setting in settings:
        SETTINGS[setting.name] = setting


def _port(value: int) -> tuple[str, str] | None:
    if value > 65535:
        return ("doit être un port (1 à 65535)", "must be a port (1 to 65535)")
    return None


def _amqp_urls(value: str) -> tuple[str, str] | None:
    for url in split_urls(value):
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            return (
                "doit être une ou plusieurs adresses amqp:// ou amqps:// séparées par des virgules",
                "must be one or more amqp:// or amqps:// URLs separated by commas",
            )
    return None


def _database_url(value: str) -> tuple[str, str] | None:
    if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg2:")):
        return (
            "doit être une adresse sqlite:/// ou postgresql://",
            "must be a sqlite:/// or postgresql:// URL",
        )
    return None


def _host_port(value: str) -> tuple[str, str] | None:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return ("doit être de la forme hôte:port", "must be host:port")
    return None


def _http_url(value: str) -> tuple[str, str] | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ("doit être une adresse http:// ou https://", "must be an http:// or https:// URL")
    return None


def _http_urls(value: str) -> tuple[str, str] | None:
    urls = split_urls(value)
    if not urls or any(_http_url(url) for url in urls):
        return (
            "doit être une ou plusieurs adresses http:// ou https:// séparées par des virgules",
            "must be one or more http:// or https:// URLs separated by commas",
        )
    return None


def _networks(value: list) -> tuple[str, str] | None:
    import ipaddress

    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return (
                f"doit être une liste de réseaux (10.0.0.0/8,…) : « {item} » n'en est pas un",
                f"must be a list of networks (10.0.0.0/8,…): '{item}' is not one",
            )
    return None


def _positive_days(value: list) -> tuple[str, str] | None:
    if any(day <= 0 for day in value):
        return ("doit être une liste de jours (3,7)", "must be a list of days (3,7)")
    return None


_declare(
    Setting(
        "MAILLAGE_ENV",
        "str",
        "trial",
        "trial (make run, tests) or production (compose): production refuses default passwords "
        "and short secrets",
        choices=("trial", "production"),
    ),
    Setting(
        "AMQP_URI",
        "str",
        DEFAULT_AMQP_URI,
        "the broker; several nodes of a cluster separated by commas",
        has_password=True,
        check=_amqp_urls,
    ),
    Setting("MAILLAGE_DATA_DIR", "path", REPO_ROOT / "var" / "data", "SQLite files, local secrets"),
    *(
        Setting(
            f"{service.upper()}_DATABASE_URL",
            "str",
            None,
            f"the {service} service's database (default: a SQLite file in the data folder)",
            has_password=True,
            check=_database_url,
        )
        for service in SERVICES
    ),
    Setting(
        "MAILLAGE_LOG_LEVEL",
        "str",
        "INFO",
        "the lowest level logged",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    ),
    Setting(
        "MAILLAGE_LOG_FORMAT",
        "str",
        None,
        "json (one object per line) or text (for people); default json in production, text "
        "otherwise",
        choices=("json", "text"),
    ),
    Setting("MAILLAGE_MAX_WORKERS", "int", 10, "workers per nameko service", 1),
    Setting(
        "MAILLAGE_DB_POOL_SIZE",
        "int",
        10,
        "PostgreSQL connections a process keeps open between its units of work",
        1,
    ),
    Setting(
        "MAILLAGE_DB_POOL_OVERFLOW",
        "int",
        10,
        "PostgreSQL connections a process may open beyond those while busy, closed once returned",
        0,
    ),
    Setting(
        "MAILLAGE_OUTBOX_RELAY",
        "str",
        "in-process",
        "in-process (each service runs its relay) or separate (`maillage relay`)",
        choices=("in-process", "separate"),
    ),
    Setting("MAILLAGE_DELIVERY_LIMIT", "int", 5, "failures of a handler before dead-lettering", 1),
    Setting("MAILLAGE_RETRY_DELAY", "float", 0.5, "seconds before an event's first retry", 0),
    Setting("MAILLAGE_RPC_TIMEOUT", "float", 5.0, "seconds an RPC call may take", 0.01),
    Setting("MAILLAGE_WEBHOOK_MAX_ATTEMPTS", "int", 8, "attempts before a delivery is parked", 1),
    Setting("MAILLAGE_WEBHOOK_RETRY_BASE", "float", 30.0, "seconds before a second attempt", 0),
    Setting("MAILLAGE_WEBHOOK_RETRY_MAX", "float", 3600.0, "longest pause between attempts", 0),
    Setting("MAILLAGE_WEBHOOK_TIMEOUT", "float", 5.0, "seconds per wait on a webhook socket", 0.01),
    Setting("MAILLAGE_WEBHOOK_DEADLINE", "float", 15.0, "seconds for one webhook attempt", 0.01),
    Setting(
        "MAILLAGE_DELIVERY_POLL_SECONDS",
        "float",
        5.0,
        "longest wait of partners' sender between two looks (a commit wakes it sooner)",
        0.05,
    ),
    Setting("MAILLAGE_WEBHOOK_WORKERS", "int", 8, "deliveries sent at once", 1),
    Setting("MAILLAGE_WEBHOOK_PER_PARTNER", "int", 2, "deliveries sent at once to one partner", 1),
    Setting(
        "MAILLAGE_WEBHOOK_ALLOW_PRIVATE",
        "bool",
        False,
        "let webhooks reach private addresses (a developer's receiver)",
    ),
    Setting(
        "MAILLAGE_RABBIT_MANAGEMENT_URL",
        "str",
        None,
        "the broker's management API, each node's comma-separated (default: port 15672 of each "
        "AMQP_URI host)",
        check=_http_urls,
    ),
    Setting("MAILLAGE_RABBIT_MANAGEMENT_USER", "str", None, "default: AMQP_URI's user"),
    Setting(
        "MAILLAGE_RABBIT_MANAGEMENT_PASSWORD", "str", None, "the management user's", secret=True
    ),
    Setting("MAILLAGE_PARTNERS_VHOST", "str", None, "partners' feeds (default: AMQP_URI's vhost)"),
    Setting("MAILLAGE_FEED_MAX_LENGTH", "int", 10000, "messages a partner's feed queue keeps", 1),
    Setting("MAILLAGE_FEED_MAX_BYTES", "int", 50 * 1024 * 1024, "bytes a feed queue keeps", 1),
    Setting("MAILLAGE_GUEST_RETENTION_DAYS", "int", 30, "days an animation's guests are kept", 0),
    Setting("MAILLAGE_PUBLIC_CACHE_SECONDS", "float", 30.0, "seconds a public page is kept", 0),
    Setting("MAILLAGE_OUTBOX_RETENTION_DAYS", "int", 7, "days a published event row is kept", 0),
    Setting("MAILLAGE_DELIVERY_RETENTION_DAYS", "int", 30, "days a delivery keeps its body", 0),
    Setting("MAILLAGE_DEAD_LETTER_RETENTION_DAYS", "int", 30, "days a dead letter is kept", 0),
    Setting("MAILLAGE_NOTICES_OUTBOX", "path", None, "a trial run's notices file"),
    Setting(
        "MAILLAGE_NOTICE_POLL_SECONDS",
        "float",
        5.0,
        "longest wait of the notices' senders between two looks (a commit wakes them sooner)",
        0,
    ),
    Setting("MAILLAGE_NOTICE_MAX_ATTEMPTS", "int", 6, "failures before a notice is called", 1),
    Setting("MAILLAGE_NOTICE_RETRY_BASE", "float", 60.0, "first pause after a failed notice", 0),
    Setting(
        "MAILLAGE_PARCEL_REMINDER_DAYS",
        "list",
        [3, 7],
        "days after which a waiting parcel is recalled",
        subcast=int,
        check=_positive_days,
    ),
    Setting("MAILLAGE_TEMPLATES_DIR", "path", None, "notice templates replacing shipped ones"),
    Setting("MAILLAGE_SMTP_URL", "str", None, "e-mail over SMTP", has_password=True),
    Setting("MAILLAGE_MAIL_FROM", "str", None, "the e-mails' sender (required with SMTP)"),
    Setting("MAILLAGE_SMTP_CA_FILE", "path", None, "a CA bundle for the SMTP server"),
    Setting("MAILLAGE_SMTP_TIMEOUT", "float", 20.0, "seconds per SMTP exchange", 0.01),
    Setting("MAILLAGE_SMS_API_KEY", "str", None, "SMS through Brevo's API", secret=True),
    Setting("MAILLAGE_SMS_SENDER", "str", "Maillage", "the name shown on an SMS"),
    Setting(
        "MAILLAGE_SMS_BASE_URL", "str", "https://api.brevo.com", "the SMS API", check=_http_url
    ),
    Setting("MAILLAGE_SMS_TIMEOUT", "float", 10.0, "seconds per SMS request", 0.01),
    Setting(
        "MAILLAGE_PUBLIC_URL", "str", None, "public address for opt-out links", check=_http_url
    ),
    Setting("MAILLAGE_OPT_OUT_SECRET", "str", None, "signs opt-out links", secret=True),
    Setting(
        "MAILLAGE_LINK_ADDRESS_LIMIT", "int", None, "personal links asked per address an hour", 1
    ),
    Setting("MAILLAGE_SIGNIN_ADDRESS_LIMIT", "int", None, "failed sign-ins per address", 1),
    Setting("MAILLAGE_HASH_CONCURRENCY", "int", None, "passwords hashed at once", 1),
    Setting("MAILLAGE_HASH_QUEUE", "int", 4, "password hashings waiting at most", 0),
    Setting(
        "MAILLAGE_PASSWORD_HASHING",
        "str",
        "standard",
        "argon2's cost: standard (RFC 9106's second recommendation: 64 MiB, 3 passes) or light "
        "(the test suite's thousands of sign-ins: 1 MiB, 1 pass; refused in production)",
        choices=("standard", "light"),
    ),
    Setting(
        "GATEWAY_ADDRESS", "str", "127.0.0.1:8000", "where the gateway listens", check=_host_port
    ),
    Setting(
        "GATEWAY_SECRET",
        "str",
        None,
        "signs staff tokens (default outside production: a secret generated in the data folder)",
        secret=True,
    ),
    Setting("GATEWAY_TOKEN_TTL", "int", 8 * 3600, "seconds a staff token is valid", 1),
    Setting("GATEWAY_SESSION_CHECK_SECONDS", "float", 60.0, "seconds a session check is kept", 0),
    Setting(
        "GATEWAY_TRUSTED_PROXIES",
        "list",
        [],
        "reverse proxies whose X-Forwarded-For is believed",
        check=_networks,
    ),
    Setting(
        "GATEWAY_PUBLIC_URL",
        "str",
        None,
        "the address people reach the gateway at",
        check=_http_url,
    ),
    Setting("MAILLAGE_DEMO", "bool", False, "set by `maillage run` when it loads the demo data"),
    Setting("MAILLAGE_FAILPOINTS", "list", [], "crash points (reliability tests only)"),
    Setting(SUPERVISOR_STATUS_ENV, "path", None, "set by `maillage run`: its status file"),
    Setting(
        OPS_PORT_ENV,
        "int",
        None,
        "the port of the process's /livez, /readyz and /metrics (unset: not served)",
        1,
        check=_port,
    ),
    Setting(OPS_HOST_ENV, "str", "0.0.0.0", "the address /livez, /readyz and /metrics listen on"),
    Setting("BACKUP_INTERVAL_HOURS", "float", 24.0, "hours between scheduled backups", 0.01),
    Setting("BACKUP_KEEP", "int", 7, "scheduled backups kept", 1),
    Setting("MAILLAGE_PG_BIN", "path", None, "the folder of pg_dump/pg_restore (default: PATH)"),
    Setting(
        "MAILLAGE_PG_MAINTENANCE_DB", "str", "postgres", "the database a restore connects to first"
    ),
)
# the broker users' passwords, read by `maillage broker-definitions` only
BROKER_ROLES = ("members", "partners", "orders", "events", "gateway", "operator", "feeds")
_declare(
    *(
        Setting(f"RABBITMQ_{role.upper()}_PASSWORD", "str", None, "broker-definitions", secret=True)
        for role in BROKER_ROLES
    )
)


# --- reading ----------------------------------------------------------------------------------


class _Reader(Env):
    """environs reading one mapping (the process's environment, or one a check is given)."""

    def __init__(self, environ: Mapping[str, str]):
        super().__init__(eager=True)
        self._source = environ

    def _get_value(self, env_key, default):
        return self._source.get(env_key, default)


def raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable as set, None when unset or empty (compose writes `${X:-}` as empty)."""
    value = (os.environ if environ is None else environ).get(name)
    return value if value is not None and value.strip() != "" else None


def parse(setting: Setting, value: str | None) -> Any:
    """`value` (as `raw` gives it) made into the setting's type and checked; ConfigError if bad."""
    if value is None:
        return setting.default
    reader = _Reader({setting.name: value})
    try:
        if setting.kind == "list":
            parsed = reader.list(setting.name, subcast=setting.subcast)
            parsed = [item.strip() if isinstance(item, str) else item for item in parsed]
            parsed = [item for item in parsed if item != ""]
        else:
            parsed = getattr(reader, setting.kind)(setting.name)
    except EnvError:
        french, english = _EXPECTED[setting.kind]
        if setting.kind == "list" and setting.subcast is int:
            french, english = "une liste de nombres entiers (3,7)", "a list of whole numbers (3,7)"
        raise _problem(setting, value, f"doit être {french}", f"must be {english}") from None
    if setting.choices and parsed not in setting.choices:
        listed = ", ".join(setting.choices)
        raise _problem(
            setting, value, f"doit être l'une de : {listed}", f"must be one of: {listed}"
        )
    if setting.minimum is not None and parsed < setting.minimum:
        raise _problem(
            setting,
            value,
            f"doit valoir au moins {setting.minimum:g}",
            f"must be at least {setting.minimum:g}",
        )
    problem = setting.check(parsed) if setting.check else None
    if problem:
        raise _problem(setting, value, *problem)
    return parsed


def _problem(setting: Setting, value: str, french: str, english: str) -> ConfigError:
    if setting.secret or setting.has_password:  # never a secret in a log or a terminal
        return ConfigError(setting.name, french, english)
    return ConfigError(setting.name, f"{french} (reçu « {value} »)", f"{english} (got '{value}')")


def value_in(name: str, environ: Mapping[str, str]) -> Any:
    """The setting `name` as `environ` (a mapping a caller builds, e.g. in a test) sets it."""
    return parse(SETTINGS[name], raw(name, environ))


_parsed: dict[tuple[str, str | None], Any] = {}


def value(name: str) -> Any:
    """The setting `name` as this process's environment sets it now (kept per raw value)."""
    current = raw(name)
    key = (name, current)
    try:
        return _parsed[key]
    except KeyError:
        pass
    result = parse(SETTINGS[name], current)
    _parsed[key] = result
    return result


# --- checking at start ------------------------------------------------------------------------


def production(environ: Mapping[str, str] | None = None) -> bool:
    return parse(SETTINGS["MAILLAGE_ENV"], raw("MAILLAGE_ENV", environ)) == "production"


def problems(
    environ: Mapping[str, str] | None = None, required: tuple[str, ...] = ()
) -> list[ConfigError]:
    """Every bad setting of `environ` (the process's by default), then, in production, every
    default password, short secret, and secret of `required` missing (the gateway's process
    requires GATEWAY_SECRET: generated in a container's data folder, it would change with each
    new container and differ between replicas)."""
    environ = os.environ if environ is None else environ
    found, values = [], {}
    for setting in SETTINGS.values():
        try:
            values[setting.name] = parse(setting, raw(setting.name, environ))
        except ConfigError as exc:
            found.append(exc)
    if values.get("MAILLAGE_SMTP_URL") and not values.get("MAILLAGE_MAIL_FROM"):
        found.append(
            ConfigError(
                "MAILLAGE_MAIL_FROM",
                "manque : il est requis avec MAILLAGE_SMTP_URL",
                "is missing: it is required with MAILLAGE_SMTP_URL",
            )
        )
    if values.get("MAILLAGE_ENV") == "production":
        found.extend(_production_problems(values, required))
    return found


def _production_problems(values: dict, required: tuple[str, ...]) -> list[ConfigError]:
    found = []
    for url in split_urls(values.get("AMQP_URI") or ""):
        user, password = _credentials(url)
        if (user or "guest") == "guest" or (password or "guest") in DEFAULT_PASSWORDS:
            found.append(
                ConfigError(
                    "AMQP_URI",
                    "utilise le compte guest/guest ou un mot de passe par défaut, refusé en "
                    "production (MAILLAGE_ENV=production)",
                    "uses the guest/guest account or a default password, refused in production "
                    "(MAILLAGE_ENV=production)",
                )
            )
            break
    for name in [f"{s.upper()}_DATABASE_URL" for s in SERVICES] + ["MAILLAGE_SMTP_URL"]:
        url = values.get(name)
        password = _credentials(url)[1] if url else None
        if password is not None and password.lower() in DEFAULT_PASSWORDS | {""}:
            found.append(
                ConfigError(
                    name,
                    "a un mot de passe par défaut, refusé en production",
                    "has a default password, refused in production",
                )
            )
    if values.get("MAILLAGE_PASSWORD_HASHING") == "light":
        found.append(
            ConfigError(
                "MAILLAGE_PASSWORD_HASHING",
                "light ne sert qu'aux tests : refusé en production",
                "light is for the tests only: refused in production",
            )
        )
    management = values.get("MAILLAGE_RABBIT_MANAGEMENT_PASSWORD")
    if management and management.lower() in DEFAULT_PASSWORDS:
        found.append(
            ConfigError(
                "MAILLAGE_RABBIT_MANAGEMENT_PASSWORD",
                "est un mot de passe par défaut, refusé en production",
                "is a default password, refused in production",
            )
        )
    for name in ("GATEWAY_SECRET", "MAILLAGE_OPT_OUT_SECRET"):
        secret = values.get(name)
        if secret is None and name not in required:
            continue
        if secret is None or len(secret) < MIN_SECRET_LENGTH:
            found.append(
                ConfigError(
                    name,
                    f"doit compter au moins {MIN_SECRET_LENGTH} caractères en production "
                    "(openssl rand -hex 24)",
                    f"must be at least {MIN_SECRET_LENGTH} characters long in production "
                    "(openssl rand -hex 24)",
                )
            )
    return found


def check_or_exit(environ: Mapping[str, str] | None = None, required: tuple[str, ...] = ()) -> None:
    """Stops the process (status 78, EX_CONFIG) with one line per bad setting on stderr."""
    found = problems(environ, required)
    if found:
        for problem in found:
            print(problem.line, file=sys.stderr, flush=True)
        sys.exit(78)


def effective(environ: Mapping[str, str] | None = None) -> list[tuple[str, str, bool]]:
    """(name, value as shown, set in the environment) of every setting, secrets masked; a bad
    value is shown as such. What `maillage config` prints."""
    environ = os.environ if environ is None else environ
    rows = []
    for setting in SETTINGS.values():
        current = raw(setting.name, environ)
        try:
            shown = _shown(setting, parse(setting, current))
        except ConfigError:
            shown = "<invalide / invalid>"
        if current is not None and setting.secret:
            shown = MASK
        rows.append((setting.name, shown, current is not None))
    return rows


def _shown(setting: Setting, parsed: Any) -> str:
    if parsed is None:
        return "-"
    if setting.secret:
        return MASK
    if setting.has_password:
        return ",".join(mask_password(url) for url in split_urls(str(parsed)))
    if isinstance(parsed, list):
        return ",".join(str(item) for item in parsed)
    if isinstance(parsed, bool):
        return "1" if parsed else "0"
    return str(parsed)


def split_urls(value: str) -> list[str]:
    """`amqp://a,amqp://b` -> both (a broker cluster's nodes); `;` (kombu's own failover
    separator) is taken too."""
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def amqp_urls(value: str | None = None) -> list[str]:
    """Each node of AMQP_URI (or of `value`), in the order written."""
    return split_urls(value if value is not None else amqp_uri())


def kombu_amqp_uri(value: str | None = None) -> str:
    """AMQP_URI as kombu (hence nameko) reads several nodes: separated by `;`, kombu's failover
    syntax. A lost connection is taken up again on the next node, in turn (round-robin)."""
    return ";".join(amqp_urls(value))


def pika_parameters(value: str | None = None, **attributes) -> list:
    """pika's parameters of each node of AMQP_URI (or of `value`), `attributes` set on each: a
    `pika.BlockingConnection` given the list tries the nodes in turn."""
    import pika

    found = []
    for url in amqp_urls(value):
        params = pika.URLParameters(url)
        for name, setting in attributes.items():
            setattr(params, name, setting)
        found.append(params)
    return found


def _credentials(url: str) -> tuple[str | None, str | None]:
    parts = urlsplit(url)
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return user, password


def mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:{MASK}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


# --- what the code reads -----------------------------------------------------------------------


def amqp_uri() -> str:
    return value("AMQP_URI")


def is_production() -> bool:
    return value("MAILLAGE_ENV") == "production"


def log_level() -> str:
    return value("MAILLAGE_LOG_LEVEL")


def log_format() -> str:
    """json or text: json in production unless said otherwise (MAILLAGE_LOG_FORMAT)."""
    return value("MAILLAGE_LOG_FORMAT") or ("json" if is_production() else "text")


def data_dir() -> Path:
    path = Path(value("MAILLAGE_DATA_DIR"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL` (e.g. ORDERS_DATABASE_URL) or a SQLite file
    under the data folder."""
    explicit = value(f"{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    return f"sqlite:///{data_dir() / (service + '.db')}"


def outbox_relay() -> str:
    return value("MAILLAGE_OUTBOX_RELAY")


def delivery_limit() -> int:
    """How many times a handler may fail on one event before the consumer dead-letters it (at most
    topology.BROKER_DELIVERY_LIMIT, the broker's own safety net)."""
    return value("MAILLAGE_DELIVERY_LIMIT")


def retry_delay() -> float:
    """Seconds before a failed event is retried the first time (doubled at each attempt)."""
    return value("MAILLAGE_RETRY_DELAY")


def rpc_timeout() -> float:
    return value("MAILLAGE_RPC_TIMEOUT")


# --- partner subscriptions (services/partners/deliveries.py) ---------------------------------


def webhook_max_attempts() -> int:
    """Attempts at one delivery (webhook or AMQP feed) before it is parked with the last reason."""
    return value("MAILLAGE_WEBHOOK_MAX_ATTEMPTS")


def webhook_retry_base() -> float:
    """Seconds before the second attempt of a delivery, doubled each time up
    to webhook_retry_max()."""
    return value("MAILLAGE_WEBHOOK_RETRY_BASE")


def webhook_retry_max() -> float:
    return value("MAILLAGE_WEBHOOK_RETRY_MAX")


def webhook_timeout() -> float:
    return value("MAILLAGE_WEBHOOK_TIMEOUT")


def webhook_deadline() -> float:
    """Seconds one webhook attempt may take in all (resolving, connecting, sending, the answer):
    the socket timeout alone lets an endpoint that drips a byte now and then
    hold a sender forever."""
    return value("MAILLAGE_WEBHOOK_DEADLINE")


def delivery_poll_seconds() -> float:
    """The longest wait of partners' sender between two looks for due deliveries: a commit that
    made some due wakes it at once, a retry planned wakes it at its time; this catches the rest
    (rows another process wrote)."""
    return value("MAILLAGE_DELIVERY_POLL_SECONDS")


def webhook_workers() -> int:
    """Deliveries sent at once by one partners process (green threads)."""
    return value("MAILLAGE_WEBHOOK_WORKERS")


def webhook_per_partner() -> int:
    """Deliveries sent at once to one partner: a slow partner never takes every sender."""
    return value("MAILLAGE_WEBHOOK_PER_PARTNER")


def webhook_allow_private() -> bool:
    """Whether webhooks may reach private, loopback or link-local addresses (our own network).
    Off by default: a partner's URL must not become a way into the services; on for tests and a
    developer's receiver on this machine."""
    return value("MAILLAGE_WEBHOOK_ALLOW_PRIVATE")


def rabbit_management_urls() -> list[str]:
    """The broker's management HTTP API (partners' feed accounts, backups, broker definitions), on
    each node: MAILLAGE_RABBIT_MANAGEMENT_URL (a cluster's nodes comma-separated), by default port
    15672 of each host of AMQP_URI, in the order written. `backbone.broker_management` calls the
    first that answers."""
    explicit = value("MAILLAGE_RABBIT_MANAGEMENT_URL")
    if explicit:
        return [url.rstrip("/") for url in split_urls(explicit)]
    hosts = [urlsplit(url).hostname or "127.0.0.1" for url in split_urls(amqp_uri())]
    return [f"http://{host}:15672/api" for host in dict.fromkeys(hosts)]


def rabbit_management_auth(amqp_uri_: str | None = None) -> tuple[str, str]:
    """Who the partners service is on the management API when it makes a partner's broker user
    (only an administrator may): MAILLAGE_RABBIT_MANAGEMENT_USER and _PASSWORD, by default
    AMQP_URI's user (one user for everything in a local trial)."""
    user = value("MAILLAGE_RABBIT_MANAGEMENT_USER")
    if user:
        return user, value("MAILLAGE_RABBIT_MANAGEMENT_PASSWORD") or ""
    user, password = _credentials(split_urls(amqp_uri_ or amqp_uri())[0])
    return user or "guest", password or "guest"


def partners_vhost(amqp_uri_: str | None = None) -> str:
    """The vhost where partners' broker users and feed queues live (`/partners` in compose, fed by
    the broker's shovel from the services' `maillage.partners`); by default AMQP_URI's own vhost,
    for a local trial on one vhost without the shovel plugin."""
    explicit = value("MAILLAGE_PARTNERS_VHOST")
    if explicit:
        return explicit
    path = urlsplit(split_urls(amqp_uri_ or amqp_uri())[0]).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def feed_max_length() -> int:
    """Messages a partner's feed queue keeps; past it the oldest are dropped
    (never a refused publish)."""
    return value("MAILLAGE_FEED_MAX_LENGTH")


def feed_max_bytes() -> int:
    """Bytes of message bodies a partner's feed queue keeps; past it the oldest are dropped."""
    return value("MAILLAGE_FEED_MAX_BYTES")


def guest_retention_days() -> int:
    """Days after an animation ends before its guests' names and phones are erased (events)."""
    return value("MAILLAGE_GUEST_RETENTION_DAYS")


def public_page_cache_seconds() -> float:
    """Seconds the gateway keeps a public page (`/villages`, `/village/<slug>`) before building it
    again; 0 builds every request. The page already tells caches on the way a minute."""
    return value("MAILLAGE_PUBLIC_CACHE_SECONDS")


def outbox_retention_days() -> int:
    """Days a published outbox row (an event body, which may name a person) is kept before the
    daily purge deletes it (backbone/retention.py)."""
    return value("MAILLAGE_OUTBOX_RETENTION_DAYS")


def delivery_retention_days() -> int:
    """Days a settled partner delivery keeps its body (a copy of the event sent) before the daily
    purge empties it; the delivery's log line stays (partners, deliveries.py)."""
    return value("MAILLAGE_DELIVERY_RETENTION_DAYS")


def dead_letter_retention_days() -> int:
    """Days a dead letter (a whole event body, which may name a person) stays in the dead-letter
    queue for operators to replay before the daily purge removes it (backbone/dead_letters.py)."""
    return value("MAILLAGE_DEAD_LETTER_RETENTION_DAYS")


def notices_outbox() -> Path:
    """Where the members service's notice sender writes the SMS and e-mails it would send when no
    SMS or mail gateway is configured (a trial run): one JSON line per message."""
    return Path(value("MAILLAGE_NOTICES_OUTBOX") or data_dir() / "notices-outbox.jsonl")


def gateway_address() -> str:
    return value("GATEWAY_ADDRESS")


def gateway_public_url() -> str:
    """GATEWAY_PUBLIC_URL without its trailing slash; empty when unset."""
    return (value("GATEWAY_PUBLIC_URL") or "").strip().rstrip("/")


def public_url() -> str:
    """The network's public address (MAILLAGE_PUBLIC_URL, else GATEWAY_PUBLIC_URL)."""
    url = value("MAILLAGE_PUBLIC_URL") or gateway_public_url() or "http://localhost:8000"
    return url.strip().rstrip("/")


def demo_run() -> bool:
    return value("MAILLAGE_DEMO")


def supervisor_status() -> Path | None:
    return value(SUPERVISOR_STATUS_ENV)


def ops_port() -> int | None:
    """Where this process answers /livez, /readyz and /metrics (backbone/operations.py)."""
    return value(OPS_PORT_ENV)


def ops_host() -> str:
    return value(OPS_HOST_ENV)
