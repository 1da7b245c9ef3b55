"""Event payloads the backbone's tests build envelopes from."""

import uuid

# a `village.opened` payload
VILLAGE = {
    "village_id": str(uuid.uuid4()),
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "kind": "fixed",
    "population": 800,
}
