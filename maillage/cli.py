"""`maillage`: the operators' command line (migrate, relay, accounts, demo data, dead letters)."""
from __future__ import annotations

import logging
import sys

import click

from backbone import config


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose):
    """Maillage operations."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)


def _services(selected):
    return selected or config.SERVICES


@main.command()
@click.argument("services", nargs=-1, type=click.Choice(config.SERVICES))
def migrate(services):
    """Apply every service's database migrations (all services when none is named)."""
    from backbone import migrations

    for service in _services(services):
        migrations.upgrade(service)
        click.echo(f"{service}: database at head")


@main.command()
@click.argument("service", type=click.Choice(config.SERVICES))
def relay(service):
    """Run the outbox relay of SERVICE (publishes its committed events)."""
    from backbone.relay import OutboxRelay

    OutboxRelay(service).run()


if __name__ == "__main__":
    sys.exit(main())
