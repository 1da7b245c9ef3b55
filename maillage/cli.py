"""`maillage`: the operators' command line.

maillage run                 the whole network on this machine, with demo data
maillage migrate [SERVICE]   apply database migrations
maillage topology            declare exchanges and every service's queues
maillage relay SERVICE...    run services' outbox relays (one process; a thread each)
maillage create-coordinator  create a coordinator account
maillage seed                load the demo data (idempotent)
maillage import-members FILE --village SLUG   import inhabitants from a CSV (all or nothing)
maillage announce-stops      members tells orders every village's truck stops again (after upgrade)
maillage dead-letters ...    list, show, replay, discard dead letters
maillage events-catalogue    write docs/events.md, docs/asyncapi.yaml and docs/events/*.schema.json
maillage broker-definitions  the broker's users and permissions (--apply: import them)
maillage backup DIR          databases, broker definitions and secrets into DIR
maillage restore DIR         put a backup back (checked first; --force over existing data)
maillage backup-schedule ROOT  a backup every BACKUP_INTERVAL_HOURS, the last BACKUP_KEEP kept
maillage config              the effective settings (secrets masked), and what is wrong with them
"""

from __future__ import annotations

import json
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from backbone import broker_management, config, logs


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def main(ctx, verbose):
    """Maillage operations."""
    if ctx.invoked_subcommand == "config":  # it shows the bad settings rather than stopping
        return
    # checks every setting first: a bad one stops the command with one line naming it
    logs.configure("DEBUG" if verbose else None)


def _fail(message: str):
    click.echo(message, err=True)
    sys.exit(1)


@contextmanager
def _running_services():
    """An RPC client to the running network; a service that does not answer is a clear error."""
    from nameko.exceptions import RpcTimeout, UnknownService

    from maillage.network import rpc_client

    try:
        with rpc_client() as rpc:
            yield rpc
    except UnknownService as exc:
        _fail(
            f"the {exc.args[0]} service is not answering: start the "
            "network (make run, or docker compose up)"
        )
    except RpcTimeout:
        _fail(
            "a service did not answer in time (MAILLAGE_RPC_TIMEOUT); "
            "is the network healthy? (GET /health)"
        )


def _wait_for_services(seconds: float) -> None:
    """Until every service answers its `health()` call, or `seconds` pass
    (then the seed says which)."""
    from nameko.exceptions import RpcTimeout, UnknownService

    from maillage.network import rpc_client

    deadline = time.monotonic() + seconds
    waiting = list(config.SERVICES)
    while waiting and time.monotonic() < deadline:
        try:
            with rpc_client(timeout=2) as rpc:
                waiting = [
                    name for name in waiting if getattr(rpc, name).health().get("database") != "ok"
                ]
        except (UnknownService, RpcTimeout, OSError):
            pass
        if waiting:
            time.sleep(0.5)


@main.command()
@click.argument("services", nargs=-1, type=click.Choice(config.SERVICES))
def migrate(services):
    """Apply the database migrations of SERVICES (all when none is named)."""
    from backbone import migrations

    for service in services or config.SERVICES:
        migrations.upgrade(service)
        click.echo(f"{service}: database at head")


@main.command()
def topology():
    """Declare the exchanges, the dead-letter queue and every service's queues."""
    from maillage.network import BrokerUnreachable, TopologyMismatch, check_broker, declare_topology

    retired: dict[str, int] = {}
    try:
        check_broker(config.amqp_uri())
        queues = declare_topology(retired=retired)
    except (BrokerUnreachable, TopologyMismatch) as exc:
        _fail(str(exc))
    for queue in queues:
        click.echo(f"queue {queue}")
    for queue, moved in retired.items():
        click.echo(f"queue {queue} retired: {moved} message(s) moved to the queue it shares now")


@main.command(hidden=True)
@click.pass_context
def prepare(ctx):
    """`topology`, then `migrate` of every service: what `maillage run` does before it starts its
    processes, in one process of its own (the two import much the same: ~0.65 CPU-s less than two
    processes, at every start of a network)."""
    ctx.invoke(topology)
    ctx.invoke(migrate, services=())


@main.command()
@click.argument("services", nargs=-1, required=True, type=click.Choice(config.SERVICES))
def relay(services):
    """Run the outbox relay of each SERVICE (publishes its committed events); several in one
    process, a thread each, on a small machine."""
    from backbone.relay import run_relays

    sys.exit(run_relays(list(dict.fromkeys(services))))


@main.command("create-coordinator")
@click.option("--email", required=True)
@click.option("--full-name", default="Coordination", show_default=True)
@click.password_option(help="At least 10 characters (asked when not given).")
def create_coordinator(email, full_name, password):
    """Create a coordinator account (the members service must be running)."""
    from backbone.errors import Conflict, InvalidInput

    try:
        with _running_services() as rpc:
            account = rpc.members.create_staff_account(
                {
                    "email": email,
                    "full_name": full_name,
                    "password": password,
                    "role": "coordinator",
                }
            )
    except InvalidInput as exc:
        _fail(
            "invalid: "
            + "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())
        )
    except Conflict:
        _fail(f"an account already exists for {email}")
    click.echo(f"coordinator created: {account['email']} ({account['id']})")


@main.command()
@click.option(
    "--wait",
    "wait_seconds",
    default=90.0,
    show_default=True,
    help="Seconds to wait for every service to answer (compose starts it once the gateway is up, "
    "which answers before every service does).",
)
def seed(wait_seconds):
    """Load the demo data through the running services (idempotent)."""
    from maillage import demo

    _wait_for_services(wait_seconds)
    with _running_services() as rpc:
        villages = demo.seed(rpc)
    click.echo(f"demo data present: {len(villages)} villages")


@main.command("import-members")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--village",
    "slug",
    required=True,
    help="Short name (slug) of the village, e.g. bourg-aux-chenes.",
)
def import_members(file, slug):
    """Import inhabitants from a CSV file as a spreadsheet exports it (French headers, `;` or `,`,
    UTF-8 or Windows-1252). All or nothing: any bad row and nothing is imported; the report says
    why, row by row, in French."""
    from backbone.errors import InvalidInput
    from backbone.formats import counted
    from gateway.i18n import import_problems
    from services.members.spreadsheet import decode_text

    text = decode_text(file.read())
    with _running_services() as rpc:
        village = next((v for v in rpc.members.list_villages(None) if v["slug"] == slug), None)
        if village is None:
            _fail(f"village inconnu : {slug}")
        try:
            report = rpc.members.import_members(village["id"], {"text": text})
        except InvalidInput as exc:
            _fail("fichier refusé : " + json.dumps(exc.errors_fr, ensure_ascii=False))
    problems = import_problems(report["problems"])
    if problems:
        for problem in problems:
            click.echo(
                f"ligne {problem['row']}, {problem['column']} : {problem['message']}", err=True
            )
        problems_count = counted(len(problems), "problème", "problèmes")
        _fail(f"rien n'a été importé : {problems_count} à corriger dans {file.name}")
    click.echo(f"{report['imported']} habitant·es importé·es dans {village['name']}")


@main.command("announce-stops")
def announce_stops():
    """Make members tell again every village's truck stops (`village.stops_changed`, through its
    outbox): once after upgrading a network that ran before orders learnt them, so that rounds can
    name them. Harmless to run again (orders keeps each village's newest list)."""
    from backbone.formats import counted

    with _running_services() as rpc:
        told = rpc.members.tell_every_village_stops()
    villages = counted(told["villages"], "village", "villages")
    click.echo(
        f"arrêts du camion annoncés de nouveau pour {villages} / "
        f"truck stops told again for {told['villages']} village(s)"
    )


@main.command("events-catalogue")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=str(config.REPO_ROOT / "docs"),
    show_default=True,
    help="Where events.md, asyncapi.yaml and events/<type>.v<version>.schema.json go.",
)
def events_catalogue(output_dir):
    """Write the event catalogue (Markdown), the partners' AsyncAPI 3.0 document and one JSON Schema
    per event they receive, from the contract registry."""
    from pathlib import Path

    from backbone.contracts.catalogue import render_markdown
    from maillage.network import consumers_by_event_type
    from services.partners import event_docs

    folder = Path(output_dir)
    schemas = folder / "events"
    schemas.mkdir(parents=True, exist_ok=True)
    (folder / "events.md").write_text(render_markdown(consumers_by_event_type()), "utf-8")
    (folder / "asyncapi.yaml").write_text(event_docs.asyncapi_yaml(), "utf-8")
    made = event_docs.event_schemas()
    for stale in schemas.glob("*.schema.json"):  # a version no longer published goes
        if stale.name not in made:
            stale.unlink()
    for name, schema in made.items():
        (schemas / name).write_text(event_docs.schema_json(schema), "utf-8")
    click.echo(
        f"written {folder / 'events.md'}, {folder / 'asyncapi.yaml'} and {len(made)} "
        f"JSON Schemas in {schemas}"
    )


@main.command("broker-definitions")
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Import them into the broker (management API, MAILLAGE_RABBIT_MANAGEMENT_URL) as "
    "RABBITMQ_OPERATOR_PASSWORD's user.",
)
@click.option("--output", type=click.File("w"), help="Write the definitions document (JSON) there.")
@click.option("--services-vhost", default="/", show_default=True)
@click.option("--partners-vhost", default="/partners", show_default=True)
def broker_definitions_command(apply_, output, services_vhost, partners_vhost):
    """The broker's users, vhosts, permissions, partners' shovel and queue limits (passwords from
    RABBITMQ_<ROLE>_PASSWORD); prints the permission matrix."""
    from maillage import broker_definitions as broker

    if apply_ or output:
        try:
            document = broker.definitions(
                broker.passwords_from_environment(),
                services_vhost=services_vhost,
                partners_vhost=partners_vhost,
                # AMQP_URI lists a cluster's nodes: its classic queues are mirrored
                cluster=len(config.amqp_urls()) > 1,
            )
        except ValueError as exc:
            _fail(f"broker definitions: {exc}")
        if output:
            json.dump(document, output, indent=2)
        if apply_:
            try:
                broker.apply(
                    document,
                    broker_management.management_url(),
                    (broker.username("operator"), broker.passwords_from_environment()["operator"]),
                )
            except Exception as exc:  # noqa: BLE001  unreachable or refused: say so and stop
                _fail(f"broker definitions not applied: {exc}")
            click.echo("broker definitions applied", err=True)
    click.echo(broker.matrix(services_vhost, partners_vhost))


@main.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory):
    """Back up every service database (pg_dump, or a consistent SQLite copy), the broker's
    definitions (users and partners' accounts, permissions, queues, policies) and the secrets into
    DIRECTORY (new or empty), with a manifest of checksums; files readable by their owner only."""
    from maillage import backup

    try:
        manifest = backup.backup(directory, report=click.echo)
    except backup.BackupError as exc:
        _fail(f"sauvegarde échouée / backup failed: {exc}")
    click.echo(
        f"sauvegarde complète / backup complete: {directory} ({len(manifest['files'])} files)"
    )


@main.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace databases that already hold data (their data is lost).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="pg_restore jobs per database.",
)
def restore_command(directory, force, jobs):
    """Put a backup back: checks the manifest and every checksum, refuses a database holding data
    unless --force, restores each database aside and swaps them in only once all are ready. Stop
    the services first (not the broker nor PostgreSQL)."""
    from maillage import backup

    try:
        backup.restore(directory, force=force, jobs=jobs, report=click.echo)
    except backup.BackupError as exc:
        _fail(f"restauration refusée / restore refused: {exc}")
    click.echo("restauration faite / restore done: start the services (maillage run, compose up)")


@main.command("backup-schedule")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
def backup_schedule(root):
    """Back up into ROOT/maillage-<UTC time> every BACKUP_INTERVAL_HOURS (default 24), keeping the
    BACKUP_KEEP (default 7) newest; runs until stopped (compose profile `backup`)."""
    from maillage import backup

    # checked with every setting when the command started (backbone/config.py)
    hours, keep = config.value("BACKUP_INTERVAL_HOURS"), config.value("BACKUP_KEEP")
    click.echo(f"une sauvegarde toutes les {hours:g} h, {keep} gardées / every {hours:g} h")
    backup.schedule(root, hours, keep, report=lambda line: click.echo(line, err=True))


@main.command("config")
def config_command():
    """Print the effective settings, secrets masked (`*` after a value set in the environment);
    then, on stderr, one line per bad setting (French / English), and exit 78 if there is one.
    Production (MAILLAGE_ENV=production) refuses default passwords and short secrets."""
    rows = config.effective()
    width = max(len(name) for name, _shown, _set in rows)
    for name, shown, is_set in rows:
        click.echo(f"{name:{width}} {'*' if is_set else ' '} {shown}")
    config.check_or_exit()


@main.group("dead-letters")
def dead_letters():
    """Messages that failed too often, broke their contract or had no subscriber."""


@dead_letters.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def dead_letters_list(as_json):
    from backbone.dead_letters import DeadLetterQueue

    letters = DeadLetterQueue().list()
    if as_json:
        for letter in letters:
            click.echo(json.dumps(letter.as_dict()))
        return
    if not letters:
        click.echo("no dead letters")
    for letter in letters:
        click.echo(
            f"{letter.event_id}  {letter.event_type or '?'}  from {letter.origin_queue or '-'}  "
            f"at {letter.dead_at or '?'}\n    {letter.reason}"
        )


@dead_letters.command("show")
@click.argument("event_id")
def dead_letters_show(event_id):
    from backbone.dead_letters import DeadLetterQueue

    letter = DeadLetterQueue().show(event_id)
    if letter is None:
        _fail(f"no dead letter with event id {event_id}")
    click.echo(
        json.dumps(letter.as_dict(with_body=True), indent=2, ensure_ascii=False, default=str)
    )


@dead_letters.command("replay")
@click.argument("event_id")
@click.option("--queue", help="Only the copy that failed in this queue.")
def dead_letters_replay(event_id, queue):
    """Send a dead letter back to the queue where it failed (once its cause is fixed)."""
    from backbone.dead_letters import DeadLetterQueue

    count = DeadLetterQueue().replay(event_id, queue)
    if not count:
        _fail(f"no dead letter with event id {event_id}")
    click.echo(f"replayed {count}")


@dead_letters.command("discard")
@click.argument("event_id")
@click.option("--queue", help="Only the copy that failed in this queue.")
@click.confirmation_option(prompt="Discard this dead letter for good?")
def dead_letters_discard(event_id, queue):
    from backbone.dead_letters import DeadLetterQueue

    count = DeadLetterQueue().discard(event_id, queue)
    if not count:
        _fail(f"no dead letter with event id {event_id}")
    click.echo(f"discarded {count}")


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load the demo data.")
@click.option(
    "--timeout", default=90.0, show_default=True, help="Seconds to wait for a healthy network."
)
@click.option(
    "--compact",
    is_flag=True,
    help="One process instead of five (services with their relays, "
    "gateway): a small machine's shape, about half the memory.",
)
def run(demo, timeout, compact):
    """Run the whole network here: services, relays, gateway (and demo data) until Ctrl-C; a
    process that exits is started again (with growing pauses while it keeps dying)."""
    from maillage import demo as demo_data
    from maillage.runner import Network

    started = time.monotonic()
    # the set-up steps run in a process of their own: what they import (Alembic, every model, the
    # RPC client) goes with it, and this process, up as long as the network, stays small;
    # `prepare` is topology first (it says how to get a broker if none), then migrate
    failed = _step(["prepare"])
    if failed:
        _fail(failed)
    address = _gateway_address()
    if (
        demo
    ):  # the gateway's sign-in page then lists the demo accounts (gateway/console/session_pages.py)
        import os

        os.environ["MAILLAGE_DEMO"] = "1"
    network = Network(
        config.data_dir().parent / "log",
        compact=compact,
        report=lambda line: click.echo(f"{time.strftime('%H:%M:%S')} supervisor: {line}", err=True),
    )
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    network.start()
    try:
        network.wait_healthy(f"http://{address}/health", timeout)
        if demo:
            failed = _step(["seed"])
            if failed:
                raise RuntimeError(failed)
        click.echo(f"\nMaillage is up at http://{address}/ ({time.monotonic() - started:.1f}s)")
        click.echo(f"  consoles: http://{address}/console  (concierges' counter, coordination)")
        click.echo(f"  API docs: http://{address}/api/docs    health: http://{address}/health")
        click.echo(f"  logs: {network.log_dir}")
        if demo:
            click.echo(f"  demo accounts (password '{demo_data.DEMO_PASSWORD}'):")
            for email, where in demo_data.demo_accounts():
                click.echo(f"    {email:32} {where}")
        click.echo("Ctrl-C stops everything; a process that exits meanwhile is started again.")
        while not stop["now"]:
            network.supervise()
            time.sleep(0.5)
    except RuntimeError as exc:
        click.echo(str(exc), err=True)
        network.stop()
        sys.exit(1)
    network.stop()
    click.echo("stopped")


def _step(args: list[str]) -> str | None:
    """Runs `maillage ARGS` in a process of its own; None when it succeeded, else what it said."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "maillage.cli", *args], capture_output=True, text=True
    )
    if done.returncode == 0:
        return None
    return (
        done.stdout + done.stderr
    ).strip() or f"maillage {' '.join(args)} failed ({done.returncode})"


def _gateway_address() -> str:
    address = config.gateway_address()
    return address.replace("0.0.0.0", "127.0.0.1")


if __name__ == "__main__":
    sys.exit(main())
