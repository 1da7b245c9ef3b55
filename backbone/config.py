"""Settings read from the environment, the same names locally and in docker-compose."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

SERVICES = ("members", "partners", "orders", "events")

EVENTS_EXCHANGE = "maillage.events"
DEAD_LETTER_EXCHANGE = "maillage.dead-letter"
DEAD_LETTER_QUEUE = "maillage.dead-letters"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def data_dir() -> Path:
    path = Path(os.environ.get("MAILLAGE_DATA_DIR", REPO_ROOT / "var" / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL` (e.g. ORDERS_DATABASE_URL) or a SQLite file under the data folder."""
    explicit = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    return f"sqlite:///{data_dir() / (service + '.db')}"


def delivery_limit() -> int:
    """How many times a handler may fail on one event before the consumer dead-letters it (at most
    topology.BROKER_DELIVERY_LIMIT, the broker's own safety net)."""
    return int(os.environ.get("MAILLAGE_DELIVERY_LIMIT", "5"))


def retry_delay() -> float:
    """Seconds before a failed event is retried the first time (doubled at each attempt)."""
    return float(os.environ.get("MAILLAGE_RETRY_DELAY", "0.5"))


def rpc_timeout() -> float:
    return float(os.environ.get("MAILLAGE_RPC_TIMEOUT", "5"))
