"""Every event contract, one module per publishing service. Importing this registers them all."""

from backbone.contracts.events import events, members, orders, partners, till
