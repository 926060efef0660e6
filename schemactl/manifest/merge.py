"""Merge manifest files into one declaration set, remembering where each item was written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schemactl.address import Address
from schemactl.errors import Diagnostic, Location
from schemactl.manifest.yaml_loader import Document, KeyPath, format_key_path


@dataclass(frozen=True)
class Declared:
    """One declared item (object, list, attribute or webhook): its data and where it is written."""

    address: Address
    document: Document
    path: KeyPath
    data: dict[str, Any]

    def diagnostic(self, message: str, *sub: str | int, at_key: bool = False) -> Diagnostic:
        """A problem with this item, located at `sub` inside it (or at the item itself)."""
        path = (*self.path, *sub)
        return Diagnostic(
            self.document.location(path, at_key=at_key), message, format_key_path(path)
        )

    def where(self) -> str:
        """Where the item is declared: its key, or for a webhook its target_url."""
        if self.address.kind == "webhook":
            return str(self.document.location((*self.path, "target_url")))
        return str(self.document.location(self.path, at_key=True))

    def attributes(self) -> Iterator[Declared]:
        """This object's or list's declared attributes, in file order."""
        attributes = self.data.get("attributes")
        if not isinstance(attributes, dict):
            return
        for slug, data in attributes.items():
            if isinstance(data, dict):
                yield Declared(
                    self.address.attribute(str(slug)),
                    self.document,
                    (*self.path, "attributes", slug),
                    data,
                )


@dataclass
class Declarations:
    """Everything all manifest files declare, merged; the same address twice is a problem."""

    objects: dict[str, Declared] = field(default_factory=dict)
    lists: dict[str, Declared] = field(default_factory=dict)
    webhooks: dict[str, Declared] = field(default_factory=dict)
    # False when some manifest could not be loaded, so some declarations may be missing.
    complete: bool = True

    def parents(self) -> Iterator[Declared]:
        yield from self.objects.values()
        yield from self.lists.values()

    def locate(self, address: Address) -> Location | None:
        """Where the item at `address` (or its nearest declared ancestor) is written."""
        root_kind, root_name = address.parts[0]
        collection = {"objects": self.objects, "lists": self.lists, "webhooks": self.webhooks}
        declared = collection[root_kind].get(root_name)
        if declared is None:
            return None
        if len(address.parts) == 1:
            return declared.document.location(declared.path, at_key=root_kind != "webhooks")
        attribute_slug = address.parts[1][1]
        attribute = next(
            (a for a in declared.attributes() if a.address.name == attribute_slug), None
        )
        if attribute is None:
            return declared.document.location(declared.path, at_key=True)
        if len(address.parts) == 2:
            return attribute.document.location(attribute.path, at_key=True)
        collection_name, title = address.parts[2]
        items = attribute.data.get(collection_name)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if title in (item, item.get("title") if isinstance(item, dict) else None):
                return attribute.document.location((*attribute.path, collection_name, index))
        return attribute.document.location(attribute.path, at_key=True)


def merge(documents: list[Document]) -> tuple[Declarations, list[Diagnostic]]:
    """Merge documents in order; items of the wrong shape are left to the schema check."""
    merged = Declarations()
    problems: list[Diagnostic] = []
    for document in documents:
        data = document.data
        if not isinstance(data, dict):
            continue
        for collection, target, make_address in (
            ("objects", merged.objects, Address.object),
            ("lists", merged.lists, Address.list),
        ):
            items = data.get(collection)
            if not isinstance(items, dict):
                continue
            for slug, item in items.items():
                if not isinstance(item, dict):
                    item = {}
                declared = Declared(make_address(str(slug)), document, (collection, slug), item)
                _add(target, str(slug), declared, problems)
        webhooks = data.get("webhooks")
        if isinstance(webhooks, list):
            for index, item in enumerate(webhooks):
                if isinstance(item, dict) and isinstance(item.get("target_url"), str):
                    url = item["target_url"]
                    declared = Declared(Address.webhook(url), document, ("webhooks", index), item)
                    _add(merged.webhooks, url, declared, problems)
    return merged, problems


def _add(
    target: dict[str, Declared], key: str, declared: Declared, problems: list[Diagnostic]
) -> None:
    first = target.get(key)
    if first is None:
        target[key] = declared
        return
    sub = ("target_url",) if declared.address.kind == "webhook" else ()
    problems.append(
        declared.diagnostic(
            f"{declared.address} is declared twice; the first declaration is at {first.where()}",
            *sub,
            at_key=not sub,
        )
    )
