"""compare(): desired and live models in, changes and unmanaged items out. No I/O.

The matrix at the top crosses every action with every kind of item it applies to; the tests
after it pin renames, changes Attio cannot make, system attributes, reading back, fingerprints
and the normalisations that make a model read back after apply compare equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from schemactl import model as m
from schemactl.address import Address
from schemactl.plan.changes import Change, Unmanaged
from schemactl.plan.compare import ABSENT, Problem, PrunePolicy, compare, fingerprint
from schemactl.plan.fields import fields_of

A = Address.parse
KEEP = PrunePolicy()
PRUNE = PrunePolicy(archive=True)
PRUNE_ALL = PrunePolicy(archive=True, delete_webhooks=True)
URL = "https://hooks.example.com/attio"
NOT_THERE = "not in the workspace"
DIFFER = "fields differ"
ARCHIVED = "archived in the workspace"
PRUNING = "not in the manifests (pruning)"

# --- building models ----------------------------------------------------------------------


def attribute(slug: str, type: str = "text", **fields) -> m.Attribute:
    """An attribute as the manifests build it: the title defaults from the slug."""
    fields.setdefault("title", slug.replace("_", " ").capitalize())
    return m.Attribute(api_slug=slug, type=type, **fields)


def live(item, **fields):
    """The live twin of a desired item, as the codec decodes it: an id, no renamed_from."""
    name = getattr(item, "api_slug", None) or getattr(item, "title", None) or item.target_url
    defaults = {"id": f"id-{name}"}
    if hasattr(item, "renamed_from"):
        defaults["renamed_from"] = None
    return replace(item, **{**defaults, **fields})


def system(slug: str, type: str = "text", **fields) -> m.Attribute:
    """A live system attribute (on every object, custom ones included)."""
    return live(attribute(slug, type, is_system=True, **fields))


RECORD_ID = system("record_id", is_unique=True)
CREATED_AT = system("created_at", "timestamp")


def projects(*attributes: m.Attribute, **fields) -> m.Object:
    return m.Object("projects", "Project", "Projects", attributes=attributes, **fields)


def live_projects(*attributes: m.Attribute, **fields) -> m.Object:
    return live(projects(RECORD_ID, CREATED_AT, *attributes), **fields)


def companies(*attributes: m.Attribute) -> m.Object:
    """A standard object as the manifests declare it: no nouns, only the attributes listed."""
    return m.Object("companies", None, None, attributes=attributes, is_standard=True)


COMPANY_NAME = system("name")


def live_companies(*attributes: m.Attribute) -> m.Object:
    return m.Object(
        "companies",
        "Company",
        "Companies",
        attributes=(RECORD_ID, COMPANY_NAME, *attributes),
        is_standard=True,
        id="id-companies",
    )


def deals(*attributes: m.Attribute) -> m.Object:
    return m.Object("deals", None, None, attributes=attributes, is_standard=True)


def live_deals(*attributes: m.Attribute) -> m.Object:
    return m.Object(
        "deals", "Deal", "Deals", attributes=(RECORD_ID, *attributes), is_standard=True, id="d"
    )


def stage(*statuses: m.Status) -> m.Attribute:
    """deals.stage as the manifests declare it: a system attribute managed for its statuses."""
    return attribute("stage", "status", is_system=True, statuses=statuses)


def live_stage(*statuses: m.Status) -> m.Attribute:
    return system("stage", "status", statuses=statuses)


def categories(*options: m.SelectOption) -> m.Attribute:
    """companies.categories: a system select attribute managed for its options."""
    return attribute("categories", "select", is_multiselect=True, is_system=True, options=options)


def live_categories(*options: m.SelectOption) -> m.Attribute:
    return system("categories", "select", is_multiselect=True, options=options)


def key_accounts(*attributes: m.Attribute, **fields) -> m.List:
    fields.setdefault("parent_object", "companies")
    return m.List("key_accounts", "Key Accounts", attributes=attributes, **fields)


def webhook(*event_types: str, url: str = URL) -> m.Webhook:
    return m.Webhook(url, tuple(m.Subscription(e) for e in event_types))


def ws(*items) -> m.Workspace:
    return m.Workspace(
        objects=tuple(i for i in items if isinstance(i, m.Object)),
        lists=tuple(i for i in items if isinstance(i, m.List)),
        webhooks=tuple(i for i in items if isinstance(i, m.Webhook)),
    )


def change(address: str, action: str, before, after, reason: str, **extra) -> Change:
    """The change compare should produce: the items' managed fields on each side."""
    return Change(
        address=A(address),
        action=action,  # type: ignore[arg-type]
        before=None if before is None else fields_of(before),
        after=None if after is None else fields_of(after),
        reason=reason,
        **extra,
    )


def attribute_steps(address: str, what: str) -> tuple[str, ...]:
    return (
        f"Declare a new attribute (a new api_slug) with the {what} you want.",
        "Apply, then migrate the data from the old attribute to the new one.",
        f"Remove {address} from the manifests and prune it (apply --prune) to archive it.",
        "Optionally rename the new attribute to the old slug with renamed_from.",
    )


def list_steps(old_slug: str, new_parent: str) -> tuple[str, ...]:
    return (
        f"Create a new list with parent_object {new_parent} under a new api_slug.",
        "Move the entries you need into it.",
        f"Stop declaring lists/{old_slug}; lists cannot be deleted through the API, so remove "
        "it in Attio's UI if you no longer need it.",
    )


# --- the matrix ---------------------------------------------------------------------------


@dataclass
class Case:
    desired: m.Workspace
    live: m.Workspace
    changes: list[Change]
    unmanaged: list[Unmanaged] = field(default_factory=list)
    prune: PrunePolicy = KEEP


MATRIX: dict[tuple[str, str], Callable[[], Case]] = {}


def cell(kind: str, action: str):
    def register(build: Callable[[], Case]) -> Callable[[], Case]:
        MATRIX[(kind, action)] = build
        return build

    return register


# "prune" is an undeclared live item with pruning allowed: attributes, options and statuses are
# archived, webhooks deleted, and custom objects and lists (which the API cannot remove) stay
# listed as unmanaged.
ATTRIBUTE_ACTIONS = {
    "create",
    "update",
    "rename",
    "prune",
    "unarchive",
    "manual",
    "unmanaged",
    "no-op",
}
# Options and statuses have no type to change; an option has nothing but its title.
STATUS_ACTIONS = ATTRIBUTE_ACTIONS - {"manual"}
OPTION_ACTIONS = STATUS_ACTIONS - {"update"}
EXPECTED_CELLS = {
    "custom object": {"create", "update", "rename", "prune", "unmanaged", "no-op"},
    "standard object's custom attribute": ATTRIBUTE_ACTIONS,
    "system attribute's status": STATUS_ACTIONS,
    "system attribute's option": OPTION_ACTIONS,
    "object attribute": ATTRIBUTE_ACTIONS,
    "list": {"create", "update", "rename", "prune", "manual", "unmanaged", "no-op"},
    "list attribute": ATTRIBUTE_ACTIONS,
    "select option": OPTION_ACTIONS,
    "status": STATUS_ACTIONS,
    "webhook": {"create", "update", "prune", "prune without delete_webhooks", "unmanaged", "no-op"},
}

# --- custom object

BUDGET = attribute("budget", "number")


@cell("custom object", "create")
def _() -> Case:
    return Case(
        ws(projects(BUDGET)),
        ws(live_companies()),
        [
            change("objects/projects", "create", None, projects(BUDGET), NOT_THERE),
            change("objects/projects/attributes/budget", "create", None, BUDGET, NOT_THERE),
        ],
    )


@cell("custom object", "update")
def _() -> Case:
    current = live_projects(live(BUDGET), singular_noun="Proj")
    return Case(
        ws(projects(BUDGET)),
        ws(current),
        [change("objects/projects", "update", current, projects(BUDGET), DIFFER)],
    )


@cell("custom object", "rename")
def _() -> Case:
    old = live(m.Object("initiatives", "Project", "Projects", (RECORD_ID, live(BUDGET))))
    declared = projects(BUDGET, renamed_from="initiatives")
    return Case(
        ws(declared),
        ws(old),
        [
            change(
                "objects/projects",
                "rename",
                old,
                declared,
                "renamed_from initiatives",
                renamed_from=A("objects/initiatives"),
            )
        ],
    )


@cell("custom object", "prune")
def _() -> Case:
    return Case(
        ws(),
        ws(live_projects(live(BUDGET)), live_companies()),
        [],
        [
            Unmanaged(
                A("objects/projects"),
                "custom object not in the manifests; objects cannot be archived through the API",
            )
        ],
        prune=PRUNE_ALL,
    )


@cell("custom object", "unmanaged")
def _() -> Case:
    return Case(
        ws(),
        ws(live_projects(live(BUDGET)), live_companies()),
        [],
        [
            Unmanaged(
                A("objects/projects"),
                "custom object not in the manifests; objects cannot be archived through the API",
            )
        ],
    )


@cell("custom object", "no-op")
def _() -> Case:
    return Case(ws(projects(BUDGET)), ws(live_projects(live(BUDGET)), live_companies()), [])


# --- a standard object's custom attribute

TIER = attribute("tier", "select", options=(m.SelectOption("Gold"), m.SelectOption("Silver")))
LIVE_TIER = live(TIER, options=(live(m.SelectOption("Gold")), live(m.SelectOption("Silver"))))
LEGACY_SCORE = live(attribute("legacy_score", "number"))


@cell("standard object's custom attribute", "create")
def _() -> Case:
    return Case(
        ws(companies(TIER)),
        ws(live_companies()),
        [
            change("objects/companies/attributes/tier", "create", None, TIER, NOT_THERE),
            change(
                "objects/companies/attributes/tier/options/Gold",
                "create",
                None,
                TIER.options[0],
                NOT_THERE,
            ),
            change(
                "objects/companies/attributes/tier/options/Silver",
                "create",
                None,
                TIER.options[1],
                NOT_THERE,
            ),
        ],
    )


@cell("standard object's custom attribute", "update")
def _() -> Case:
    current = replace(LIVE_TIER, title="Level", is_required=True)
    return Case(
        ws(companies(TIER)),
        ws(live_companies(current)),
        [change("objects/companies/attributes/tier", "update", current, TIER, DIFFER)],
    )


@cell("standard object's custom attribute", "rename")
def _() -> Case:
    old = replace(LIVE_TIER, api_slug="level")
    declared = replace(TIER, renamed_from="level")
    return Case(
        ws(companies(declared)),
        ws(live_companies(old)),
        [
            change(
                "objects/companies/attributes/tier",
                "rename",
                old,
                declared,
                "renamed_from level",
                renamed_from=A("objects/companies/attributes/level"),
            )
        ],
    )


@cell("standard object's custom attribute", "prune")
def _() -> Case:
    return Case(
        ws(companies(TIER)),
        ws(live_companies(LIVE_TIER, LEGACY_SCORE)),
        [
            change(
                "objects/companies/attributes/legacy_score",
                "archive",
                LEGACY_SCORE,
                None,
                PRUNING,
                destructive=True,
            )
        ],
        prune=PRUNE,
    )


@cell("standard object's custom attribute", "unarchive")
def _() -> Case:
    current = replace(LIVE_TIER, is_archived=True)
    return Case(
        ws(companies(TIER)),
        ws(live_companies(current)),
        [change("objects/companies/attributes/tier", "unarchive", current, TIER, ARCHIVED)],
    )


@cell("standard object's custom attribute", "manual")
def _() -> Case:
    current = live(attribute("tier", "text"))
    address = "objects/companies/attributes/tier"
    return Case(
        ws(companies(TIER)),
        ws(live_companies(current)),
        [
            change(
                address,
                "manual",
                current,
                TIER,
                "type cannot be changed in place",
                steps=attribute_steps(address, "type"),
            )
        ],
    )


@cell("standard object's custom attribute", "unmanaged")
def _() -> Case:
    return Case(
        ws(companies(TIER)),
        ws(live_companies(LIVE_TIER, LEGACY_SCORE)),
        [],
        [
            Unmanaged(
                A("objects/companies/attributes/legacy_score"), "attribute not in the manifests"
            )
        ],
    )


@cell("standard object's custom attribute", "no-op")
def _() -> Case:
    return Case(ws(companies(TIER)), ws(live_companies(LIVE_TIER)), [])


# --- a system attribute's statuses (deals.stage)

LEAD, WON, LOST = m.Status("Lead"), m.Status("Won", True, "P2W"), m.Status("Lost")
STAGE_PATH = "objects/deals/attributes/stage/statuses"


@cell("system attribute's status", "create")
def _() -> Case:
    return Case(
        ws(deals(stage(LEAD, WON))),
        ws(live_deals(live_stage(live(LEAD)))),
        [change(f"{STAGE_PATH}/Won", "create", None, WON, NOT_THERE)],
    )


@cell("system attribute's status", "update")
def _() -> Case:
    current = live(WON, celebration_enabled=False)
    return Case(
        ws(deals(stage(LEAD, WON))),
        ws(live_deals(live_stage(live(LEAD), current))),
        [change(f"{STAGE_PATH}/Won", "update", current, WON, DIFFER)],
    )


@cell("system attribute's status", "rename")
def _() -> Case:
    old = live(WON, title="Closed won")
    declared = replace(WON, renamed_from="Closed won")
    return Case(
        ws(deals(stage(LEAD, declared))),
        ws(live_deals(live_stage(live(LEAD), old))),
        [
            change(
                f"{STAGE_PATH}/Won",
                "rename",
                old,
                declared,
                "renamed_from Closed won",
                renamed_from=A(f"{STAGE_PATH}/Closed won"),
            )
        ],
    )


@cell("system attribute's status", "prune")
def _() -> Case:
    return Case(
        ws(deals(stage(LEAD, WON))),
        ws(live_deals(live_stage(live(LEAD), live(WON), live(LOST)))),
        [change(f"{STAGE_PATH}/Lost", "archive", live(LOST), None, PRUNING, destructive=True)],
        prune=PRUNE,
    )


@cell("system attribute's status", "unarchive")
def _() -> Case:
    current = live(WON, is_archived=True)
    return Case(
        ws(deals(stage(LEAD, WON))),
        ws(live_deals(live_stage(live(LEAD), current))),
        [change(f"{STAGE_PATH}/Won", "unarchive", current, WON, ARCHIVED)],
    )


@cell("system attribute's status", "unmanaged")
def _() -> Case:
    return Case(
        ws(deals(stage(LEAD, WON))),
        ws(live_deals(live_stage(live(LEAD), live(WON), live(LOST)))),
        [],
        [Unmanaged(A(f"{STAGE_PATH}/Lost"), "status not in the manifests")],
    )


@cell("system attribute's status", "no-op")
def _() -> Case:
    return Case(ws(deals(stage(LEAD, WON))), ws(live_deals(live_stage(live(LEAD), live(WON)))), [])


# --- a system attribute's options (companies.categories)

SAAS, B2B, RETAIL = m.SelectOption("SaaS"), m.SelectOption("B2B"), m.SelectOption("Retail")
CATEGORIES_PATH = "objects/companies/attributes/categories/options"


@cell("system attribute's option", "create")
def _() -> Case:
    return Case(
        ws(companies(categories(SAAS, B2B))),
        ws(live_companies(live_categories(live(SAAS)))),
        [change(f"{CATEGORIES_PATH}/B2B", "create", None, B2B, NOT_THERE)],
    )


@cell("system attribute's option", "rename")
def _() -> Case:
    old = live(m.SelectOption("Software"))
    declared = replace(SAAS, renamed_from="Software")
    return Case(
        ws(companies(categories(declared))),
        ws(live_companies(live_categories(old))),
        [
            change(
                f"{CATEGORIES_PATH}/SaaS",
                "rename",
                old,
                declared,
                "renamed_from Software",
                renamed_from=A(f"{CATEGORIES_PATH}/Software"),
            )
        ],
    )


@cell("system attribute's option", "prune")
def _() -> Case:
    return Case(
        ws(companies(categories(SAAS))),
        ws(live_companies(live_categories(live(SAAS), live(RETAIL)))),
        [
            change(
                f"{CATEGORIES_PATH}/Retail",
                "archive",
                live(RETAIL),
                None,
                PRUNING,
                destructive=True,
            )
        ],
        prune=PRUNE,
    )


@cell("system attribute's option", "unarchive")
def _() -> Case:
    current = live(SAAS, is_archived=True)
    return Case(
        ws(companies(categories(SAAS))),
        ws(live_companies(live_categories(current))),
        [change(f"{CATEGORIES_PATH}/SaaS", "unarchive", current, SAAS, ARCHIVED)],
    )


@cell("system attribute's option", "unmanaged")
def _() -> Case:
    return Case(
        ws(companies(categories(SAAS))),
        ws(live_companies(live_categories(live(SAAS), live(RETAIL)))),
        [],
        [Unmanaged(A(f"{CATEGORIES_PATH}/Retail"), "option not in the manifests")],
    )


@cell("system attribute's option", "no-op")
def _() -> Case:
    return Case(
        ws(companies(categories(SAAS, B2B))),
        ws(live_companies(live_categories(live(B2B), live(SAAS)))),
        [],
    )


# --- an attribute of a custom object

NOTES = live(attribute("notes"))


@cell("object attribute", "create")
def _() -> Case:
    return Case(
        ws(projects(BUDGET)),
        ws(live_projects()),
        [change("objects/projects/attributes/budget", "create", None, BUDGET, NOT_THERE)],
    )


@cell("object attribute", "update")
def _() -> Case:
    current = live(BUDGET, description="Money", is_unique=True)
    return Case(
        ws(projects(BUDGET)),
        ws(live_projects(current)),
        [change("objects/projects/attributes/budget", "update", current, BUDGET, DIFFER)],
    )


@cell("object attribute", "rename")
def _() -> Case:
    old = live(BUDGET, api_slug="cost")
    declared = replace(BUDGET, renamed_from="cost")
    return Case(
        ws(projects(declared)),
        ws(live_projects(old)),
        [
            change(
                "objects/projects/attributes/budget",
                "rename",
                old,
                declared,
                "renamed_from cost",
                renamed_from=A("objects/projects/attributes/cost"),
            )
        ],
    )


@cell("object attribute", "prune")
def _() -> Case:
    return Case(
        ws(projects(BUDGET)),
        ws(live_projects(live(BUDGET), NOTES)),
        [
            change(
                "objects/projects/attributes/notes",
                "archive",
                NOTES,
                None,
                PRUNING,
                destructive=True,
            )
        ],
        prune=PRUNE,
    )


@cell("object attribute", "unarchive")
def _() -> Case:
    current = live(BUDGET, is_archived=True)
    return Case(
        ws(projects(BUDGET)),
        ws(live_projects(current)),
        [change("objects/projects/attributes/budget", "unarchive", current, BUDGET, ARCHIVED)],
    )


@cell("object attribute", "manual")
def _() -> Case:
    current = live(BUDGET, type="currency")
    address = "objects/projects/attributes/budget"
    return Case(
        ws(projects(BUDGET)),
        ws(live_projects(current)),
        [
            change(
                address,
                "manual",
                current,
                BUDGET,
                "type cannot be changed in place",
                steps=attribute_steps(address, "type"),
            )
        ],
    )


@cell("object attribute", "unmanaged")
def _() -> Case:
    return Case(
        ws(projects(BUDGET)),
        ws(live_projects(live(BUDGET), NOTES)),
        [],
        [Unmanaged(A("objects/projects/attributes/notes"), "attribute not in the manifests")],
    )


@cell("object attribute", "no-op")
def _() -> Case:
    return Case(ws(projects(BUDGET)), ws(live_projects(live(BUDGET))), [])


# --- a list

PRIORITY = attribute("priority", "select")
LIST_ENTRY_ID = system("entry_id")


def live_key_accounts(*attributes: m.Attribute, **fields) -> m.List:
    return live(key_accounts(LIST_ENTRY_ID, *attributes), **fields)


@cell("list", "create")
def _() -> Case:
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(live_companies()),
        [
            change("lists/key_accounts", "create", None, key_accounts(PRIORITY), NOT_THERE),
            change("lists/key_accounts/attributes/priority", "create", None, PRIORITY, NOT_THERE),
        ],
    )


@cell("list", "update")
def _() -> Case:
    current = live_key_accounts(live(PRIORITY), name="Big accounts", workspace_access="read-only")
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(current),
        [change("lists/key_accounts", "update", current, key_accounts(PRIORITY), DIFFER)],
    )


@cell("list", "rename")
def _() -> Case:
    old = live_key_accounts(live(PRIORITY), api_slug="big_accounts")
    declared = key_accounts(PRIORITY, renamed_from="big_accounts")
    return Case(
        ws(declared),
        ws(old),
        [
            change(
                "lists/key_accounts",
                "rename",
                old,
                declared,
                "renamed_from big_accounts",
                renamed_from=A("lists/big_accounts"),
            )
        ],
    )


@cell("list", "prune")
def _() -> Case:
    return Case(
        ws(),
        ws(live_key_accounts(live(PRIORITY))),
        [],
        [
            Unmanaged(
                A("lists/key_accounts"),
                "list not in the manifests; lists cannot be deleted through the API",
            )
        ],
        prune=PRUNE_ALL,
    )


@cell("list", "manual")
def _() -> Case:
    # The name differs too, and an attribute is missing: nothing but the manual change is planned.
    current = live_key_accounts(name="Accounts", parent_object="people")
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(current),
        [
            change(
                "lists/key_accounts",
                "manual",
                current,
                key_accounts(PRIORITY),
                "a list's parent object cannot be changed through the API (people -> companies)",
                steps=list_steps("key_accounts", "companies"),
            )
        ],
    )


@cell("list", "unmanaged")
def _() -> Case:
    return Case(
        ws(),
        ws(live_key_accounts(live(PRIORITY))),
        [],
        [
            Unmanaged(
                A("lists/key_accounts"),
                "list not in the manifests; lists cannot be deleted through the API",
            )
        ],
    )


@cell("list", "no-op")
def _() -> Case:
    return Case(ws(key_accounts(PRIORITY)), ws(live_key_accounts(live(PRIORITY))), [])


# --- an attribute of a list

RATING = live(attribute("rating", "rating"))


@cell("list attribute", "create")
def _() -> Case:
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(live_key_accounts()),
        [change("lists/key_accounts/attributes/priority", "create", None, PRIORITY, NOT_THERE)],
    )


@cell("list attribute", "update")
def _() -> Case:
    current = live(PRIORITY, title="Urgency")
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(live_key_accounts(current)),
        [change("lists/key_accounts/attributes/priority", "update", current, PRIORITY, DIFFER)],
    )


@cell("list attribute", "rename")
def _() -> Case:
    old = live(PRIORITY, api_slug="urgency")
    declared = replace(PRIORITY, renamed_from="urgency")
    return Case(
        ws(key_accounts(declared)),
        ws(live_key_accounts(old)),
        [
            change(
                "lists/key_accounts/attributes/priority",
                "rename",
                old,
                declared,
                "renamed_from urgency",
                renamed_from=A("lists/key_accounts/attributes/urgency"),
            )
        ],
    )


@cell("list attribute", "prune")
def _() -> Case:
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(live_key_accounts(live(PRIORITY), RATING)),
        [
            change(
                "lists/key_accounts/attributes/rating",
                "archive",
                RATING,
                None,
                PRUNING,
                destructive=True,
            )
        ],
        prune=PRUNE,
    )


@cell("list attribute", "unarchive")
def _() -> Case:
    current = live(PRIORITY, is_archived=True)
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(live_key_accounts(current)),
        [
            change(
                "lists/key_accounts/attributes/priority", "unarchive", current, PRIORITY, ARCHIVED
            )
        ],
    )


@cell("list attribute", "manual")
def _() -> Case:
    current = live(PRIORITY, is_multiselect=True)
    address = "lists/key_accounts/attributes/priority"
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(live_key_accounts(current)),
        [
            change(
                address,
                "manual",
                current,
                PRIORITY,
                "is_multiselect cannot be changed in place",
                steps=attribute_steps(address, "is_multiselect"),
            )
        ],
    )


@cell("list attribute", "unmanaged")
def _() -> Case:
    return Case(
        ws(key_accounts(PRIORITY)),
        ws(live_key_accounts(live(PRIORITY), RATING)),
        [],
        [Unmanaged(A("lists/key_accounts/attributes/rating"), "attribute not in the manifests")],
    )


@cell("list attribute", "no-op")
def _() -> Case:
    return Case(ws(key_accounts(PRIORITY)), ws(live_key_accounts(live(PRIORITY))), [])


# --- a select option of a custom attribute

ENTERPRISE, SMB, LEGACY = m.SelectOption("Enterprise"), m.SelectOption("SMB"), m.SelectOption("Old")
TAGS_PATH = "objects/projects/attributes/tags/options"


def tags(*options: m.SelectOption) -> m.Attribute:
    return attribute("tags", "select", is_multiselect=True, options=options)


def live_tags(*options: m.SelectOption) -> m.Attribute:
    return live(tags(*options))


@cell("select option", "create")
def _() -> Case:
    return Case(
        ws(projects(tags(ENTERPRISE, SMB))),
        ws(live_projects(live_tags(live(ENTERPRISE)))),
        [change(f"{TAGS_PATH}/SMB", "create", None, SMB, NOT_THERE)],
    )


@cell("select option", "rename")
def _() -> Case:
    old = live(m.SelectOption("Small business"))
    declared = replace(SMB, renamed_from="Small business")
    return Case(
        ws(projects(tags(ENTERPRISE, declared))),
        ws(live_projects(live_tags(live(ENTERPRISE), old))),
        [
            change(
                f"{TAGS_PATH}/SMB",
                "rename",
                old,
                declared,
                "renamed_from Small business",
                renamed_from=A(f"{TAGS_PATH}/Small business"),
            )
        ],
    )


@cell("select option", "prune")
def _() -> Case:
    return Case(
        ws(projects(tags(ENTERPRISE))),
        ws(live_projects(live_tags(live(ENTERPRISE), live(LEGACY)))),
        [change(f"{TAGS_PATH}/Old", "archive", live(LEGACY), None, PRUNING, destructive=True)],
        prune=PRUNE,
    )


@cell("select option", "unarchive")
def _() -> Case:
    current = live(SMB, is_archived=True)
    return Case(
        ws(projects(tags(ENTERPRISE, SMB))),
        ws(live_projects(live_tags(live(ENTERPRISE), current))),
        [change(f"{TAGS_PATH}/SMB", "unarchive", current, SMB, ARCHIVED)],
    )


@cell("select option", "unmanaged")
def _() -> Case:
    return Case(
        ws(projects(tags(ENTERPRISE))),
        ws(live_projects(live_tags(live(ENTERPRISE), live(LEGACY)))),
        [],
        [Unmanaged(A(f"{TAGS_PATH}/Old"), "option not in the manifests")],
    )


@cell("select option", "no-op")
def _() -> Case:
    return Case(
        ws(projects(tags(ENTERPRISE, SMB))),
        ws(live_projects(live_tags(live(SMB), live(ENTERPRISE)))),
        [],
    )


# --- a status of a custom status attribute

PLANNED, ACTIVE, DONE = m.Status("Planned"), m.Status("Active", False, "P14D"), m.Status("Done")
PROJECT_STAGE_PATH = "objects/projects/attributes/stage/statuses"


def project_stage(*statuses: m.Status) -> m.Attribute:
    return attribute("stage", "status", statuses=statuses)


def live_project_stage(*statuses: m.Status) -> m.Attribute:
    return live(project_stage(*statuses))


@cell("status", "create")
def _() -> Case:
    return Case(
        ws(projects(project_stage(PLANNED, ACTIVE))),
        ws(live_projects(live_project_stage(live(PLANNED)))),
        [change(f"{PROJECT_STAGE_PATH}/Active", "create", None, ACTIVE, NOT_THERE)],
    )


@cell("status", "update")
def _() -> Case:
    current = live(ACTIVE, target_time_in_status="P0Y0M7DT0H0M0S")
    return Case(
        ws(projects(project_stage(PLANNED, ACTIVE))),
        ws(live_projects(live_project_stage(live(PLANNED), current))),
        [change(f"{PROJECT_STAGE_PATH}/Active", "update", current, ACTIVE, DIFFER)],
    )


@cell("status", "rename")
def _() -> Case:
    old = live(ACTIVE, title="In progress")
    declared = replace(ACTIVE, renamed_from="In progress")
    return Case(
        ws(projects(project_stage(PLANNED, declared))),
        ws(live_projects(live_project_stage(live(PLANNED), old))),
        [
            change(
                f"{PROJECT_STAGE_PATH}/Active",
                "rename",
                old,
                declared,
                "renamed_from In progress",
                renamed_from=A(f"{PROJECT_STAGE_PATH}/In progress"),
            )
        ],
    )


@cell("status", "prune")
def _() -> Case:
    return Case(
        ws(projects(project_stage(PLANNED))),
        ws(live_projects(live_project_stage(live(PLANNED), live(DONE)))),
        [
            change(
                f"{PROJECT_STAGE_PATH}/Done", "archive", live(DONE), None, PRUNING, destructive=True
            )
        ],
        prune=PRUNE,
    )


@cell("status", "unarchive")
def _() -> Case:
    current = live(DONE, is_archived=True)
    return Case(
        ws(projects(project_stage(PLANNED, DONE))),
        ws(live_projects(live_project_stage(live(PLANNED), current))),
        [change(f"{PROJECT_STAGE_PATH}/Done", "unarchive", current, DONE, ARCHIVED)],
    )


@cell("status", "unmanaged")
def _() -> Case:
    return Case(
        ws(projects(project_stage(PLANNED))),
        ws(live_projects(live_project_stage(live(PLANNED), live(DONE)))),
        [],
        [Unmanaged(A(f"{PROJECT_STAGE_PATH}/Done"), "status not in the manifests")],
    )


@cell("status", "no-op")
def _() -> Case:
    return Case(
        ws(projects(project_stage(PLANNED, ACTIVE))),
        ws(live_projects(live_project_stage(live(PLANNED), live(ACTIVE)))),
        [],
    )


# --- a webhook

HOOK = webhook("record.created", "record.updated")
OTHER_URL = "https://hooks.example.com/old"


@cell("webhook", "create")
def _() -> Case:
    return Case(ws(HOOK), ws(), [change(f"webhooks/{URL}", "create", None, HOOK, NOT_THERE)])


@cell("webhook", "update")
def _() -> Case:
    current = live(webhook("record.created"), status="active")
    return Case(
        ws(HOOK),
        ws(current),
        [change(f"webhooks/{URL}", "update", current, HOOK, "subscriptions differ")],
    )


@cell("webhook", "prune")
def _() -> Case:
    old = live(webhook("record.deleted", url=OTHER_URL))
    return Case(
        ws(HOOK),
        ws(live(HOOK), old),
        [change(f"webhooks/{OTHER_URL}", "delete", old, None, PRUNING, destructive=True)],
        prune=PRUNE_ALL,
    )


@cell("webhook", "prune without delete_webhooks")
def _() -> Case:
    return Case(
        ws(HOOK),
        ws(live(HOOK), live(webhook("record.deleted", url=OTHER_URL))),
        [],
        [Unmanaged(A(f"webhooks/{OTHER_URL}"), "webhook not in the manifests")],
        prune=PRUNE,
    )


@cell("webhook", "unmanaged")
def _() -> Case:
    return Case(
        ws(HOOK),
        ws(live(HOOK), live(webhook("record.deleted", url=OTHER_URL))),
        [],
        [Unmanaged(A(f"webhooks/{OTHER_URL}"), "webhook not in the manifests")],
    )


@cell("webhook", "no-op")
def _() -> Case:
    return Case(ws(HOOK), ws(live(HOOK, status="active")), [])


def test_the_matrix_covers_every_action_on_every_kind_it_applies_to():
    cells: dict[str, set[str]] = {}
    for kind, action in MATRIX:
        cells.setdefault(kind, set()).add(action)
    assert cells == EXPECTED_CELLS


@pytest.mark.parametrize(("kind", "action"), list(MATRIX), ids=[f"{k}: {a}" for k, a in MATRIX])
def test_compare_matrix(kind, action):
    case = MATRIX[(kind, action)]()
    result = compare(case.desired, case.live, case.prune)
    assert result.problems == []
    assert result.changes == case.changes
    assert result.unmanaged == case.unmanaged


def test_archives_and_deletes_are_destructive_and_nothing_else_is():
    for build in MATRIX.values():
        case = build()
        for found in compare(case.desired, case.live, case.prune).changes:
            assert found.destructive is (found.action in ("archive", "delete")), found


def test_an_update_changes_only_the_fields_that_differ():
    current = live(BUDGET, description="Money", is_unique=True)
    (found,) = compare(ws(projects(BUDGET)), ws(live_projects(current)), KEEP).changes
    assert found.changed_fields == ["description", "is_unique"]
    assert found.before == {
        "api_slug": "budget",
        "title": "Budget",
        "description": "Money",
        "type": "number",
        "is_required": False,
        "is_unique": True,
        "is_multiselect": False,
        "default_value": None,
        "currency": None,
        "allowed_objects": [],
        "relationship": None,
    }
    assert found.after == {**found.before, "description": None, "is_unique": False}


def test_a_standard_objects_nouns_are_not_managed():
    result = compare(ws(companies(TIER)), ws(live_companies(LIVE_TIER)), PRUNE_ALL)
    assert (result.changes, result.unmanaged, result.problems) == ([], [], [])


def test_undeclared_standard_objects_are_ignored_entirely():
    people = m.Object(
        "people",
        "Person",
        "People",
        (system("name", "personal-name"), live(attribute("nickname"))),
        is_standard=True,
        id="p",
    )
    result = compare(ws(), ws(people, live_companies(LEGACY_SCORE)), PRUNE_ALL)
    assert (result.changes, result.unmanaged, result.problems) == ([], [], [])


def test_system_attributes_are_never_unmanaged_or_pruned():
    live_model = ws(live_projects(), live_companies(), live_key_accounts())
    desired = ws(projects(), companies(), key_accounts())
    result = compare(desired, live_model, PRUNE_ALL)
    assert (result.changes, result.unmanaged, result.problems) == ([], [], [])


def test_archived_undeclared_items_are_not_listed_even_when_pruning():
    archived_attribute = live(attribute("old_notes"), is_archived=True)
    archived_option = live(LEGACY, is_archived=True)
    archived_status = live(DONE, is_archived=True)
    live_model = ws(
        live_projects(
            archived_attribute,
            live_tags(live(ENTERPRISE), archived_option),
            live_project_stage(live(PLANNED), archived_status),
        )
    )
    desired = ws(projects(tags(ENTERPRISE), project_stage(PLANNED)))
    for prune in (KEEP, PRUNE_ALL):
        result = compare(desired, live_model, prune)
        assert (result.changes, result.unmanaged) == ([], [])


def test_undeclared_attributes_of_a_declared_object_are_listed_in_live_order():
    first, second = live(attribute("zeta")), live(attribute("alpha"))
    result = compare(ws(projects()), ws(live_projects(first, second)), KEEP)
    assert result.unmanaged == [
        Unmanaged(A("objects/projects/attributes/zeta"), "attribute not in the manifests"),
        Unmanaged(A("objects/projects/attributes/alpha"), "attribute not in the manifests"),
    ]


# --- renames ------------------------------------------------------------------------------


def test_a_rename_carries_the_other_field_changes_in_after():
    old = live(BUDGET, api_slug="cost", title="Cost", is_required=True)
    declared = replace(BUDGET, renamed_from="cost")
    (found,) = compare(ws(projects(declared)), ws(live_projects(old)), KEEP).changes
    assert found == change(
        "objects/projects/attributes/budget",
        "rename",
        old,
        declared,
        "renamed_from cost",
        renamed_from=A("objects/projects/attributes/cost"),
    )
    assert found.changed_fields == ["api_slug", "title", "is_required"]
    assert found.after["api_slug"] == "budget"
    assert found.before["api_slug"] == "cost"


def test_a_renamed_attributes_choices_are_compared_at_its_new_address():
    old = live(tags(ENTERPRISE), api_slug="labels", options=(live(ENTERPRISE), live(LEGACY)))
    declared = replace(tags(ENTERPRISE, SMB), renamed_from="labels")
    result = compare(ws(projects(declared)), ws(live_projects(old)), KEEP)
    assert result.changes == [
        change(
            "objects/projects/attributes/tags",
            "rename",
            old,
            declared,
            "renamed_from labels",
            renamed_from=A("objects/projects/attributes/labels"),
        ),
        change(f"{TAGS_PATH}/SMB", "create", None, SMB, NOT_THERE),
    ]
    assert result.unmanaged == [Unmanaged(A(f"{TAGS_PATH}/Old"), "option not in the manifests")]


def test_an_already_renamed_attribute_is_not_renamed_again():
    declared = replace(BUDGET, renamed_from="cost")
    result = compare(ws(projects(declared)), ws(live_projects(live(BUDGET))), PRUNE)
    assert (result.changes, result.unmanaged) == ([], [])


def test_when_both_old_and_new_exist_the_new_one_is_compared_and_the_old_left_alone():
    declared = replace(BUDGET, renamed_from="cost")
    old = live(BUDGET, api_slug="cost")
    result = compare(ws(projects(declared)), ws(live_projects(live(BUDGET), old)), KEEP)
    assert result.changes == []
    assert result.unmanaged == [
        Unmanaged(A("objects/projects/attributes/cost"), "attribute not in the manifests")
    ]


@pytest.mark.parametrize(
    ("desired", "address", "item", "reason"),
    [
        (
            ws(projects(replace(BUDGET, renamed_from="cost"))),
            "objects/projects/attributes/budget",
            replace(BUDGET, renamed_from="cost"),
            "not in the workspace; renamed_from cost was not found, so it is created",
        ),
        (
            ws(projects(tags(replace(SMB, renamed_from="Small")))),
            f"{TAGS_PATH}/SMB",
            replace(SMB, renamed_from="Small"),
            "not in the workspace; renamed_from Small was not found, so it is created",
        ),
        (
            ws(projects(project_stage(replace(DONE, renamed_from="Finished")))),
            f"{PROJECT_STAGE_PATH}/Done",
            replace(DONE, renamed_from="Finished"),
            "not in the workspace; renamed_from Finished was not found, so it is created",
        ),
    ],
    ids=["attribute", "option", "status"],
)
def test_a_rename_with_neither_old_nor_new_live_is_a_create_with_a_note(
    desired, address, item, reason
):
    live_model = ws(live_projects(live_tags(), live_project_stage()))
    assert compare(desired, live_model, KEEP).changes == [
        change(address, "create", None, item, reason)
    ]


@pytest.mark.parametrize(
    ("declared", "address", "reason"),
    [
        (
            projects(renamed_from="initiatives"),
            "objects/projects",
            "not in the workspace; renamed_from initiatives was not found either, so it is created",
        ),
        (
            key_accounts(renamed_from="big_accounts"),
            "lists/key_accounts",
            "not in the workspace; renamed_from big_accounts was not found either, "
            "so it is created",
        ),
    ],
    ids=["object", "list"],
)
def test_a_renamed_object_or_list_with_neither_live_is_created_with_a_note(
    declared, address, reason
):
    result = compare(ws(declared), ws(), KEEP)
    assert result.changes == [change(address, "create", None, declared, reason)]


def test_renaming_an_archived_attribute_restores_it():
    old = live(BUDGET, api_slug="cost", is_archived=True)
    declared = replace(BUDGET, renamed_from="cost")
    result = compare(ws(projects(declared)), ws(live_projects(old)), PRUNE)
    assert result.changes == [
        change(
            "objects/projects/attributes/budget",
            "rename",
            old,
            declared,
            "renamed_from cost (it is archived; the rename restores it)",
            renamed_from=A("objects/projects/attributes/cost"),
        )
    ]
    assert result.fingerprints["objects/projects/attributes/cost"] == fingerprint(old)
    assert result.unmanaged == []


ARCHIVED_SMALL = live(SMB, title="Small", is_archived=True)
ARCHIVED_FINISHED = live(DONE, title="Finished", is_archived=True)


@pytest.mark.parametrize(
    ("declared_attribute", "live_attribute", "address", "declared", "old"),
    [
        (
            tags(replace(SMB, renamed_from="Small")),
            live_tags(ARCHIVED_SMALL),
            f"{TAGS_PATH}/SMB",
            replace(SMB, renamed_from="Small"),
            ARCHIVED_SMALL,
        ),
        (
            project_stage(replace(DONE, renamed_from="Finished")),
            live_project_stage(ARCHIVED_FINISHED),
            f"{PROJECT_STAGE_PATH}/Done",
            replace(DONE, renamed_from="Finished"),
            ARCHIVED_FINISHED,
        ),
    ],
    ids=["option", "status"],
)
def test_renaming_an_archived_option_or_status_restores_it(
    declared_attribute, live_attribute, address, declared, old
):
    result = compare(ws(projects(declared_attribute)), ws(live_projects(live_attribute)), PRUNE)
    assert result.changes == [
        change(
            address,
            "rename",
            old,
            declared,
            f"renamed_from {old.title} (it is archived; the rename restores it)",
            renamed_from=A(address.rsplit("/", 1)[0] + f"/{old.title}"),
        )
    ]
    assert result.unmanaged == []


def test_a_renamed_objects_attributes_are_compared_at_its_new_address():
    old = live(
        m.Object("initiatives", "Project", "Projects"),
        attributes=(RECORD_ID, live(BUDGET, title="Cost"), NOTES),
    )
    declared = projects(BUDGET, renamed_from="initiatives")
    result = compare(ws(declared), ws(old), KEEP)
    assert result.changes == [
        change(
            "objects/projects",
            "rename",
            old,
            declared,
            "renamed_from initiatives",
            renamed_from=A("objects/initiatives"),
        ),
        change("objects/projects/attributes/budget", "update", old.attributes[1], BUDGET, DIFFER),
    ]
    assert result.unmanaged == [
        Unmanaged(A("objects/projects/attributes/notes"), "attribute not in the manifests")
    ]


def test_a_renamed_list_is_not_also_unmanaged():
    old = live_key_accounts(api_slug="big_accounts")
    result = compare(ws(key_accounts(renamed_from="big_accounts")), ws(old), KEEP)
    assert [c.action for c in result.changes] == ["rename"]
    assert result.unmanaged == []


# --- what Attio cannot change in place ----------------------------------------------------


@pytest.mark.parametrize(
    ("current", "what"),
    [
        (live(tags(), type="status"), "type"),
        (live(tags(), is_multiselect=False), "is_multiselect"),
        (live(tags(), type="text", is_multiselect=False), "type, is_multiselect"),
    ],
    ids=["type", "is_multiselect", "both"],
)
def test_type_or_multiselect_changes_are_manual_and_nothing_else_happens(current, what):
    # Title and options differ too, and the attribute is archived: still only the manual change.
    current = replace(current, title="Labels", is_archived=True, options=(live(LEGACY),))
    declared = tags(ENTERPRISE, SMB)
    address = "objects/projects/attributes/tags"
    result = compare(ws(projects(declared)), ws(live_projects(current)), PRUNE_ALL)
    assert result.changes == [
        change(
            address,
            "manual",
            current,
            declared,
            f"{what} cannot be changed in place",
            steps=attribute_steps(address, what),
        )
    ]
    assert result.unmanaged == []


def test_a_relationship_change_is_manual():
    declared = attribute(
        "account",
        "record-reference",
        allowed_objects=("companies",),
        relationship=m.Relationship("companies", "Projects", "projects", True),
    )
    current = live(declared, relationship=m.Relationship("companies", "Work", "work", True))
    address = "objects/projects/attributes/account"
    result = compare(ws(projects(declared)), ws(live_projects(current)), KEEP)
    assert result.changes == [
        change(
            address,
            "manual",
            current,
            declared,
            "relationship cannot be changed in place",
            steps=attribute_steps(address, "relationship"),
        )
    ]


def test_adding_a_relationship_to_a_plain_record_reference_is_manual():
    declared = attribute(
        "account",
        "record-reference",
        allowed_objects=("companies",),
        relationship=m.Relationship("companies", "Projects", "projects", True),
    )
    current = live(declared, relationship=None)
    (found,) = compare(ws(projects(declared)), ws(live_projects(current)), KEEP).changes
    assert (found.action, found.reason) == ("manual", "relationship cannot be changed in place")


def test_a_list_parent_change_is_manual_and_its_attributes_are_not_compared():
    current = live_key_accounts(live(PRIORITY, title="Urgency"), RATING, parent_object="people")
    declared = key_accounts(PRIORITY)
    result = compare(ws(declared), ws(current), PRUNE_ALL)
    assert result.changes == [
        change(
            "lists/key_accounts",
            "manual",
            current,
            declared,
            "a list's parent object cannot be changed through the API (people -> companies)",
            steps=list_steps("key_accounts", "companies"),
        )
    ]
    assert result.unmanaged == []


def test_a_manual_change_over_a_renamed_attribute_fingerprints_the_old_address():
    old = live(BUDGET, api_slug="cost", type="text")
    declared = replace(BUDGET, renamed_from="cost")
    address = "objects/projects/attributes/budget"
    result = compare(ws(projects(declared)), ws(live_projects(old)), KEEP)
    assert result.changes == [
        change(
            address,
            "manual",
            old,
            declared,
            "type cannot be changed in place",
            steps=attribute_steps(address, "type"),
            renamed_from=A("objects/projects/attributes/cost"),
        )
    ]
    assert result.fingerprints == {
        address: ABSENT,
        "objects/projects/attributes/cost": fingerprint(old),
    }
    assert result.unmanaged == []


def test_a_manual_change_over_a_renamed_list_fingerprints_the_old_address():
    old = live_key_accounts(api_slug="big_accounts", parent_object="people")
    declared = key_accounts(renamed_from="big_accounts")
    result = compare(ws(declared), ws(old), KEEP)
    assert result.changes == [
        change(
            "lists/key_accounts",
            "manual",
            old,
            declared,
            "a list's parent object cannot be changed through the API (people -> companies)",
            steps=list_steps("big_accounts", "companies"),
            renamed_from=A("lists/big_accounts"),
        )
    ]
    assert result.fingerprints == {
        "lists/key_accounts": ABSENT,
        "lists/big_accounts": fingerprint(old),
    }
    assert result.unmanaged == []


# --- system attributes and standard objects -----------------------------------------------


def test_a_custom_attribute_whose_slug_is_a_live_system_attribute_is_a_problem():
    # Attio added a system attribute schemactl's table does not know yet.
    declared = attribute("region", "select", options=(m.SelectOption("EU"),))
    result = compare(ws(companies(declared)), ws(live_companies(system("region", "select"))), KEEP)
    assert result.problems == [
        Problem(
            A("objects/companies/attributes/region"),
            "objects/companies/attributes/region is a system attribute in this workspace: only "
            "its options or statuses can be managed; choose another api_slug for a custom "
            "attribute",
        )
    ]
    assert result.changes == []


def test_declaring_a_custom_objects_system_attribute_is_a_problem():
    result = compare(ws(projects(attribute("created_at", "date"))), ws(live_projects()), KEEP)
    assert [p.address for p in result.problems] == [A("objects/projects/attributes/created_at")]
    assert result.changes == []


def test_a_declared_system_attribute_missing_live_is_a_problem():
    result = compare(ws(deals(stage(LEAD))), ws(live_deals()), KEEP)
    assert result.problems == [
        Problem(
            A("objects/deals/attributes/stage"),
            "objects/deals/attributes/stage is not a system attribute in this workspace",
        )
    ]
    assert result.changes == []


def test_a_standard_object_not_enabled_live_is_a_problem():
    result = compare(ws(deals(stage(LEAD)), companies(TIER)), ws(live_companies()), KEEP)
    assert result.problems == [
        Problem(
            A("objects/deals"),
            "objects/deals is a standard object that is not enabled in this workspace; "
            "enable it in Attio's settings first",
        )
    ]
    # The rest of the model is still compared, so every problem and change shows at once.
    assert [str(c.address) for c in result.changes] == [
        "objects/companies/attributes/tier",
        "objects/companies/attributes/tier/options/Gold",
        "objects/companies/attributes/tier/options/Silver",
    ]


def test_renaming_a_system_attribute_is_a_problem_not_a_create():
    declared = attribute("segments", "select", renamed_from="categories")
    result = compare(
        ws(companies(declared)), ws(live_companies(live_categories(live(SAAS)))), PRUNE_ALL
    )
    assert result.problems == [
        Problem(
            A("objects/companies/attributes/segments"),
            "objects/companies/attributes/segments is renamed_from "
            "objects/companies/attributes/categories, a system attribute in this workspace, "
            "which cannot be renamed; remove renamed_from to declare a new attribute",
        )
    ]
    assert (result.changes, result.unmanaged) == ([], [])


@pytest.mark.parametrize(
    "current",
    [
        live(projects(), is_standard=True),
        live(projects(), singular_noun=None, plural_noun=None),
    ],
    ids=["flagged-standard", "without-nouns"],
)
def test_a_custom_object_whose_slug_is_a_standard_object_live_is_a_problem(current):
    result = compare(ws(projects(BUDGET)), ws(current), PRUNE_ALL)
    assert result.problems == [
        Problem(A("objects/projects"), "objects/projects is a standard object in this workspace")
    ]
    assert (result.changes, result.unmanaged) == ([], [])


def test_only_a_system_attributes_choices_are_compared():
    # Its title, type and flags as declared do not matter: only the statuses are managed.
    declared = replace(stage(LEAD), title="Pipeline", description="ignored")
    result = compare(ws(deals(declared)), ws(live_deals(live_stage(live(LEAD)))), KEEP)
    assert (result.changes, result.problems) == ([], [])


# --- relationships ------------------------------------------------------------------------

ACCOUNT = attribute(
    "account",
    "record-reference",
    allowed_objects=("companies",),
    relationship=m.Relationship("companies", "Projects", "projects", True),
)
REVERSE = live(
    attribute(
        "projects",
        "record-reference",
        title="Projects",
        is_multiselect=True,
        allowed_objects=("projects",),
        relationship=m.Relationship("projects", "Account", "account", False),
    )
)


@pytest.mark.parametrize("prune", [KEEP, PRUNE_ALL], ids=["keep", "prune"])
def test_a_declared_relationships_reverse_attribute_is_neither_unmanaged_nor_pruned(prune):
    desired = ws(projects(ACCOUNT), companies(TIER))
    live_model = ws(live_projects(live(ACCOUNT)), live_companies(LIVE_TIER, REVERSE, LEGACY_SCORE))
    result = compare(desired, live_model, prune)
    # legacy_score shows the filter is the reverse attribute alone.
    legacy = "objects/companies/attributes/legacy_score"
    if prune.archive:
        assert result.changes == [
            change(legacy, "archive", LEGACY_SCORE, None, PRUNING, destructive=True)
        ]
        assert result.unmanaged == []
    else:
        assert result.changes == []
        assert result.unmanaged == [Unmanaged(A(legacy), "attribute not in the manifests")]


# --- normalisation: a model read back after apply compares equal ----------------------------


def desired_model() -> m.Workspace:
    """A model as schemactl.manifest.build makes it from manifests."""
    return m.Workspace(
        objects=(
            projects(
                project_stage(
                    m.Status("Planned"),
                    m.Status("Active", target_time_in_status="P2W"),
                    m.Status("Done", celebration_enabled=True),
                ),
                attribute("budget", "currency", currency=m.CurrencyConfig("USD", "symbol")),
                tags(m.SelectOption("Enterprise"), m.SelectOption("High priority")),
                attribute(
                    "client",
                    "record-reference",
                    allowed_objects=("companies", "people"),
                    renamed_from="customer",
                ),
                ACCOUNT,
            ),
            companies(TIER, categories(SAAS, B2B)),
            deals(stage(m.Status("Lead"), m.Status("Won", True, "P1W"))),
        ),
        lists=(
            key_accounts(
                attribute("priority", "select", options=(m.SelectOption("P0"),)),
                workspace_member_access=(
                    m.MemberAccess("member-1", "full-access"),
                    m.MemberAccess("member-2", "read-and-write"),
                ),
            ),
        ),
        webhooks=(
            m.Webhook(
                URL,
                (
                    m.Subscription("record.created"),
                    m.Subscription(
                        "list-entry.created",
                        {
                            "$and": [
                                {
                                    "field": "id.list_id",
                                    "operator": "equals",
                                    "value": m.Ref(A("lists/key_accounts")),
                                }
                            ]
                        },
                    ),
                ),
            ),
        ),
    )


def read_back_model() -> m.Workspace:
    """The same model as schemactl.attio.codec decodes it after apply: ids, archived flags,
    system attributes, Attio's long durations, its own orders, and a filter id turned back
    into a Ref. It also holds what compare must leave alone: archived undeclared items,
    the reverse relationship attribute, and an undeclared standard object."""

    def status(title, celebration=False, duration=None, archived=False):
        return m.Status(title, celebration, duration, archived, id=f"status-{title}")

    def option(title, archived=False):
        return m.SelectOption(title, archived, id=f"option-{title}")

    return m.Workspace(
        objects=(
            m.Object(
                "companies",
                "Company",
                "Companies",
                (
                    RECORD_ID,
                    COMPANY_NAME,
                    live_categories(option("B2B"), option("SaaS"), option("Fintech", True)),
                    live(TIER, options=(option("Gold"), option("Silver"))),
                    REVERSE,
                ),
                is_standard=True,
                id="object-companies",
            ),
            m.Object(
                "people",
                "Person",
                "People",
                (system("name", "personal-name"), live(attribute("nickname"))),
                is_standard=True,
                id="object-people",
            ),
            m.Object(
                "deals",
                "Deal",
                "Deals",
                (
                    RECORD_ID,
                    system("name"),
                    live_stage(
                        status("Won", True, "P0Y0M7DT0H0M0S"),
                        status("Lead"),
                        status("Lost", archived=True),
                    ),
                ),
                is_standard=True,
                id="object-deals",
            ),
            m.Object(
                "projects",
                "Project",
                "Projects",
                (
                    RECORD_ID,
                    CREATED_AT,
                    live(
                        project_stage(
                            status("Planned"),
                            status("Active", duration="P0Y0M14DT0H0M0S"),
                            status("Done", celebration=True),
                        )
                    ),
                    live(
                        attribute("budget", "currency", currency=m.CurrencyConfig("USD", "symbol"))
                    ),
                    live(tags(option("High priority"), option("Enterprise"), option("Old", True))),
                    live(
                        attribute(
                            "client", "record-reference", allowed_objects=("people", "companies")
                        )
                    ),
                    live(ACCOUNT),
                    live(attribute("old_notes"), is_archived=True),
                ),
                id="object-projects",
            ),
        ),
        lists=(
            m.List(
                "key_accounts",
                "Key Accounts",
                "companies",
                "full-access",
                (
                    m.MemberAccess("member-2", "read-and-write"),
                    m.MemberAccess("member-1", "full-access"),
                ),
                (
                    LIST_ENTRY_ID,
                    live(attribute("priority", "select", options=(option("P0"),))),
                ),
                id="list-key_accounts",
            ),
        ),
        webhooks=(
            m.Webhook(
                URL,
                (
                    m.Subscription(
                        "list-entry.created",
                        {
                            "$and": [
                                {
                                    "field": "id.list_id",
                                    "operator": "equals",
                                    "value": m.Ref(A("lists/key_accounts")),
                                }
                            ]
                        },
                    ),
                    m.Subscription("record.created"),
                ),
                status="active",
                id="webhook-1",
            ),
        ),
        id="workspace-1",
        slug="acme",
    )


@pytest.mark.parametrize("prune", [KEEP, PRUNE, PRUNE_ALL], ids=["keep", "prune", "prune-all"])
def test_a_model_read_back_after_apply_compares_equal(prune):
    result = compare(desired_model(), read_back_model(), prune)
    assert result.changes == []
    assert result.unmanaged == []
    assert result.problems == []
    assert result.notes == []
    assert result.fingerprints == {}


def test_every_item_of_the_read_back_fixture_is_needed():
    # Against a fresh workspace the desired model creates every item it declares, except the
    # standard objects and their system attributes, so the zero-change test compares something.
    fresh = ws(live_companies(live_categories()), live_deals(live_stage()))
    result = compare(desired_model(), fresh, KEEP)
    assert result.problems == []
    assert {c.action for c in result.changes} == {"create"}
    expected = [
        str(address)
        for address, item in desired_model().items()
        if not getattr(item, "is_standard", False) and not getattr(item, "is_system", False)
    ]
    assert sorted(str(c.address) for c in result.changes) == sorted(expected)
    assert len(expected) == 22


@pytest.mark.parametrize(
    ("declared", "read_back", "equal"),
    [
        ("P14D", "P0Y0M14DT0H0M0S", True),
        ("P2W", "P0Y0M14DT0H0M0S", True),
        ("P2W", "P14D", True),
        ("PT36H", "P0Y0M0DT36H0M0S", True),
        (None, None, True),
        ("P15D", "P0Y0M14DT0H0M0S", False),
        ("P14D", None, False),
        ("P1D", "P0Y0M0DT24H0M0S", False),
    ],
)
def test_status_durations_compare_canonically(declared, read_back, equal):
    wanted = m.Status("Active", target_time_in_status=declared)
    current = live(m.Status("Active", target_time_in_status=read_back))
    result = compare(
        ws(projects(project_stage(wanted))),
        ws(live_projects(live_project_stage(current))),
        KEEP,
    )
    expected = (
        [] if equal else [change(f"{PROJECT_STAGE_PATH}/Active", "update", current, wanted, DIFFER)]
    )
    assert result.changes == expected


def test_workspace_member_access_compares_order_free():
    first, second = m.MemberAccess("m1", "full-access"), m.MemberAccess("m2", "read-only")
    declared = key_accounts(workspace_member_access=(first, second))
    same = live_key_accounts(workspace_member_access=(second, first))
    assert compare(ws(declared), ws(same), KEEP).changes == []
    other = live_key_accounts(workspace_member_access=(m.MemberAccess("m2", "full-access"), first))
    found = compare(ws(declared), ws(other), KEEP).changes
    assert found == [change("lists/key_accounts", "update", other, declared, DIFFER)]
    assert found[0].changed_fields == ["workspace_member_access"]


def test_webhook_subscriptions_compare_order_free():
    declared = webhook("record.created", "record.updated", "record.deleted")
    same = live(webhook("record.deleted", "record.created", "record.updated"))
    assert compare(ws(declared), ws(same), KEEP).changes == []


def test_allowed_objects_compare_order_free():
    declared = attribute("client", "record-reference", allowed_objects=("companies", "people"))
    same = live(declared, allowed_objects=("people", "companies"))
    assert compare(ws(projects(declared)), ws(live_projects(same)), KEEP).changes == []


def filtered_hook(value) -> m.Webhook:
    clause = {"field": "id.list_id", "operator": "equals", "value": value}
    return m.Webhook(URL, (m.Subscription("list-entry.created", {"$and": [clause]}),))


def test_a_webhook_filter_ref_compares_equal_to_the_ref_the_codec_reads_back():
    declared = filtered_hook(m.Ref(A("lists/key_accounts")))
    current = live(filtered_hook(m.Ref(A("lists/key_accounts"))))
    assert compare(ws(declared), ws(current), KEEP).changes == []


@pytest.mark.parametrize(
    "read_back",
    [m.Ref(A("lists/other")), "list-id-the-codec-could-not-name"],
    ids=["other-ref", "unknown-id"],
)
def test_a_webhook_filter_naming_something_else_is_an_update(read_back):
    declared = filtered_hook(m.Ref(A("lists/key_accounts")))
    current = live(filtered_hook(read_back))
    found = compare(ws(declared), ws(current), KEEP).changes
    assert found == [change(f"webhooks/{URL}", "update", current, declared, "subscriptions differ")]
    assert found[0].after["subscriptions"][0]["filter"] == {
        "$and": [
            {"field": "id.list_id", "operator": "equals", "value": {"ref": "lists/key_accounts"}}
        ]
    }


@pytest.mark.parametrize("prune", [KEEP, PRUNE_ALL], ids=["keep", "prune-all"])
def test_a_second_webhook_with_the_same_url_is_unmanaged_and_never_deleted(prune):
    first = live(HOOK, id="w1")
    second = live(webhook("record.deleted"), id="w2")
    result = compare(ws(HOOK), ws(first, second), prune)
    assert result.changes == []
    assert result.unmanaged == [
        Unmanaged(
            A(f"webhooks/{URL}"), "another webhook with the same target URL; only one is managed"
        )
    ]


# --- fingerprints -------------------------------------------------------------------------


def test_a_fingerprint_is_the_sha256_of_the_live_fields_and_archived_flag():
    item = live(PRIORITY, is_archived=True)
    state = {**fields_of(item), "is_archived": True}
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()
    assert fingerprint(item) == f"sha256:{digest}"
    assert fingerprint(item) != fingerprint(replace(item, is_archived=False))
    assert fingerprint(item) != fingerprint(replace(item, title="Other"))
    # Ids and renamed_from are not state: the same item read twice has one fingerprint.
    assert fingerprint(item) == fingerprint(replace(item, id="another", renamed_from="x"))
    assert fingerprint(None) == ABSENT == "absent"


def test_a_webhook_fingerprint_holds_its_refs_as_addresses():
    one = live(filtered_hook(m.Ref(A("lists/a"))))
    assert fingerprint(one) == fingerprint(replace(one, subscriptions=one.subscriptions[::-1]))
    assert fingerprint(one) != fingerprint(live(filtered_hook(m.Ref(A("lists/b")))))


def test_every_changed_address_is_fingerprinted_and_nothing_else():
    current_budget = live(BUDGET, title="Cost")
    archived_tags = live(tags(ENTERPRISE), is_archived=True)
    old_stage = live(project_stage(), api_slug="phase")
    declared_stage = replace(project_stage(), renamed_from="phase")
    hook_gone = live(webhook("record.deleted", url=OTHER_URL))
    desired = ws(projects(BUDGET, tags(ENTERPRISE), declared_stage, attribute("new_field")), HOOK)
    live_model = ws(
        live_projects(current_budget, archived_tags, old_stage, NOTES), live(HOOK), hook_gone
    )
    result = compare(desired, live_model, PRUNE_ALL)
    assert [(str(c.address), c.action) for c in result.changes] == [
        ("objects/projects/attributes/budget", "update"),
        ("objects/projects/attributes/tags", "unarchive"),
        ("objects/projects/attributes/stage", "rename"),
        ("objects/projects/attributes/new_field", "create"),
        ("objects/projects/attributes/notes", "archive"),
        (f"webhooks/{OTHER_URL}", "delete"),
    ]
    assert result.fingerprints == {
        "objects/projects/attributes/budget": fingerprint(current_budget),
        "objects/projects/attributes/tags": fingerprint(archived_tags),
        # A rename: the new address is absent, the old one holds the live state.
        "objects/projects/attributes/stage": ABSENT,
        "objects/projects/attributes/phase": fingerprint(old_stage),
        "objects/projects/attributes/new_field": ABSENT,
        "objects/projects/attributes/notes": fingerprint(NOTES),
        f"webhooks/{OTHER_URL}": fingerprint(hook_gone),
    }
    assert result.fingerprints["objects/projects/attributes/tags"].startswith("sha256:")


def test_renamed_options_and_statuses_are_fingerprinted_at_both_addresses():
    old = live(m.SelectOption("Small business"))
    declared = replace(SMB, renamed_from="Small business")
    result = compare(ws(projects(tags(declared))), ws(live_projects(live_tags(old))), KEEP)
    assert result.fingerprints == {
        f"{TAGS_PATH}/SMB": ABSENT,
        f"{TAGS_PATH}/Small business": fingerprint(old),
    }
