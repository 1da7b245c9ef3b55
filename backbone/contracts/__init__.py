"""Event contracts: the envelope and one marshmallow schema per (type, version).

Writers call `build_envelope`, readers call `parse_envelope`; both validate.
The event schemas themselves live in `backbone/contracts/events/`, one
module per publishing service.
"""

from backbone.contracts import events  # registers every contract
from backbone.contracts.envelope import (
    ContractError,
    EnvelopeSchema,
    build_envelope,
    parse_envelope,
)
from backbone.contracts.registry import registry
