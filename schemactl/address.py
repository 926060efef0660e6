"""Addresses: the path-like identity of one schema item, e.g. `objects/deals/attributes/stage`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["object", "list", "attribute", "option", "status", "webhook"]

# A parent kind's collection segment and the kind of item found under it.
_CHILD_SEGMENTS: dict[str, Kind] = {
    "attributes": "attribute",
    "options": "option",
    "statuses": "status",
}
_ROOT_SEGMENTS: dict[str, Kind] = {"objects": "object", "lists": "list", "webhooks": "webhook"}
# Titles and URLs may hold `/`, so for these kinds the last segment runs to the end of the text.
_VERBATIM_TAIL: frozenset[str] = frozenset({"options", "statuses", "webhooks"})


class AddressError(ValueError):
    """Text that is not a well-formed address."""


@dataclass(frozen=True, order=True)
class Address:
    """Identity of a schema item as (collection, name) pairs, from the workspace root down."""

    parts: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse `objects/x/attributes/y/options/Some / title`; a verbatim tail keeps its `/`."""
        if not isinstance(text, str) or not text:
            raise AddressError("an address cannot be empty")
        pairs: list[tuple[str, str]] = []
        rest = text
        while rest:
            collection, sep, rest = rest.partition("/")
            allowed = _ROOT_SEGMENTS if not pairs else _allowed_children(pairs[-1][0])
            if collection not in allowed:
                expected = ", ".join(sorted(allowed)) or "nothing"
                raise AddressError(
                    f"'{text}' is not a valid address: expected {expected} where '{collection}' is"
                )
            if not sep or not rest:
                raise AddressError(f"'{text}' is not a valid address: '{collection}' needs a name")
            if collection in _VERBATIM_TAIL:
                name, rest = rest, ""
            else:
                name, slash, rest = rest.partition("/")
                if not name or (slash and not rest):
                    raise AddressError(f"'{text}' is not a valid address: empty name")
            pairs.append((collection, name))
        return cls(tuple(pairs))

    @classmethod
    def object(cls, slug: str) -> Address:
        return cls((("objects", slug),))

    @classmethod
    def list(cls, slug: str) -> Address:
        return cls((("lists", slug),))

    @classmethod
    def webhook(cls, target_url: str) -> Address:
        return cls((("webhooks", target_url),))

    @classmethod
    def collection(cls, name: str) -> Address:
        """Everything in a root collection (`objects`, `lists`, `webhooks`), for selections:
        its empty name stands for any name, and no item's address has an empty name."""
        if name not in _ROOT_SEGMENTS:
            raise AddressError(f"'{name}' is not a collection: use objects, lists or webhooks")
        return cls(((name, ""),))

    def attribute(self, slug: str) -> Address:
        return self._child("attributes", slug)

    def option(self, title: str) -> Address:
        return self._child("options", title)

    def status(self, title: str) -> Address:
        return self._child("statuses", title)

    def _child(self, collection: str, name: str) -> Address:
        if collection not in _allowed_children(self.parts[-1][0]):
            raise AddressError(f"{self} cannot have {collection}")
        return Address((*self.parts, (collection, name)))

    @property
    def kind(self) -> Kind:
        collection = self.parts[-1][0]
        return _ROOT_SEGMENTS.get(collection) or _CHILD_SEGMENTS[collection]

    @property
    def name(self) -> str:
        return self.parts[-1][1]

    @property
    def parent(self) -> Address | None:
        return Address(self.parts[:-1]) if len(self.parts) > 1 else None

    def is_within(self, prefix: Address) -> bool:
        """True when this address is `prefix` or lies below it (segment-wise, never mid-name);
        a collection prefix (`Address.collection`) holds everything in it."""
        if len(prefix.parts) == 1 and prefix.parts[0][1] == "":
            return self.parts[0][0] == prefix.parts[0][0]
        return self.parts[: len(prefix.parts)] == prefix.parts

    def __str__(self) -> str:
        if len(self.parts) == 1 and self.parts[0][1] == "":
            return self.parts[0][0]
        return "/".join(f"{collection}/{name}" for collection, name in self.parts)

    def __repr__(self) -> str:
        return f"Address({str(self)!r})"


def _allowed_children(collection: str) -> dict[str, Kind]:
    if collection in ("objects", "lists"):
        return {"attributes": "attribute"}
    if collection == "attributes":
        return {"options": "option", "statuses": "status"}
    return {}
