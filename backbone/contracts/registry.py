"""The one registry of event contracts: (type, version) -> marshmallow schema."""

from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import EXCLUDE, Schema


@dataclass(frozen=True)
class Contract:
    type: str
    version: int
    schema: type[Schema]
    publisher: str
    description: str
    village_scoped: bool = True
    # one instance each, shared: building a marshmallow schema costs more than using it
    writer: Schema = field(init=False, repr=False, compare=False)
    reader: Schema = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "writer", self.schema())
        object.__setattr__(
            self, "reader", self.schema(unknown=EXCLUDE)
        )  # readers tolerate added fields


class ContractRegistry:
    def __init__(self):
        self._contracts: dict[tuple[str, int], Contract] = {}

    def register(
        self,
        type: str,
        version: int,
        *,
        publisher: str,
        description: str,
        village_scoped: bool = True,
    ):
        """Class decorator: `@registry.register("village.opened", 1, publisher="members", ...)`."""

        def decorate(schema_cls: type[Schema]) -> type[Schema]:
            key = (type, version)
            if key in self._contracts:
                raise ValueError(f"contract {type} v{version} is already registered")
            self._contracts[key] = Contract(
                type, version, schema_cls, publisher, description, village_scoped
            )
            return schema_cls

        return decorate

    def get(self, type: str, version: int) -> Contract | None:
        return self._contracts.get((type, version))

    def latest_version(self, type: str) -> int | None:
        return max((v for (t, v) in self._contracts if t == type), default=None)

    def all(self) -> list[Contract]:
        return sorted(self._contracts.values(), key=lambda c: (c.type, c.version))

    def types(self) -> set[str]:
        return {t for (t, _v) in self._contracts}


registry = ContractRegistry()
