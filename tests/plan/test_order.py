"""order(): changes in a valid execution order, each with what it waits for. No I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from schemactl import model as m
from schemactl.address import Address
from schemactl.errors import SchemactlError
from schemactl.plan.changes import Change
from schemactl.plan.compare import PrunePolicy, compare
from schemactl.plan.order import PlanCycleError, dependencies, order, with_dependencies

A = Address.parse


def c(address: str, action: str = "create", after: dict | None = None, **extra) -> Change:
    """A change as compare makes it; removals have no `after`."""
    if after is None and action not in ("archive", "delete"):
        after = {}
    return Change(A(address), action, None, after, "reason", **extra)  # type: ignore[arg-type]


def addresses(changes: list[Change]) -> list[str]:
    return [str(change.address) for change in changes]


def waits(changes: list[Change]) -> dict[str, list[str]]:
    return {str(ch.address): [str(a) for a in ch.depends_on] for ch in changes}


def test_objects_come_before_their_attributes():
    result = order([c("objects/projects/attributes/budget"), c("objects/projects")])
    assert addresses(result) == ["objects/projects", "objects/projects/attributes/budget"]
    assert waits(result) == {
        "objects/projects": [],
        "objects/projects/attributes/budget": ["objects/projects"],
    }


def test_list_attributes_come_after_their_list():
    result = order([c("lists/key/attributes/priority"), c("lists/key")])
    assert addresses(result) == ["lists/key", "lists/key/attributes/priority"]


@pytest.mark.parametrize(
    "after",
    [
        {"allowed_objects": ["clients"]},
        {"relationship": {"object": "clients", "title": "P", "api_slug": "p"}},
    ],
    ids=["allowed_objects", "relationship"],
)
def test_record_reference_targets_come_before_the_attributes_pointing_at_them(after):
    # The attribute's own object already exists: only the target is waited for.
    result = order([c("objects/projects/attributes/client", after=after), c("objects/clients")])
    assert addresses(result) == ["objects/clients", "objects/projects/attributes/client"]
    assert waits(result)["objects/projects/attributes/client"] == ["objects/clients"]


def test_attributes_come_before_their_options_and_statuses():
    result = order(
        [
            c("objects/p/attributes/tags/options/Gold"),
            c("objects/p/attributes/stage/statuses/Done"),
            c("objects/p/attributes/tags"),
            c("objects/p/attributes/stage"),
        ]
    )
    # The earliest ready change goes first: Gold is ready as soon as tags is done.
    assert addresses(result) == [
        "objects/p/attributes/tags",
        "objects/p/attributes/tags/options/Gold",
        "objects/p/attributes/stage",
        "objects/p/attributes/stage/statuses/Done",
    ]
    assert waits(result)["objects/p/attributes/stage/statuses/Done"] == [
        "objects/p/attributes/stage"
    ]


def test_parent_objects_come_before_lists():
    result = order([c("lists/key", after={"parent_object": "clients"}), c("objects/clients")])
    assert addresses(result) == ["objects/clients", "lists/key"]
    assert waits(result)["lists/key"] == ["objects/clients"]


def test_parent_object_only_binds_lists():
    # An object's after never holds parent_object; an attribute's must not be read as one.
    result = order([c("objects/p/attributes/x", after={"parent_object": "q"}), c("objects/q")])
    assert addresses(result) == ["objects/p/attributes/x", "objects/q"]


@pytest.mark.parametrize(
    "ref",
    [{"ref": "lists/key"}, {"ref": "lists/key", "id": "(known after apply)"}],
    ids=["plain", "annotated"],
)
def test_referenced_items_come_before_webhooks(ref):
    hook = c(
        "webhooks/https://h.example.com/x",
        after={
            "target_url": "https://h.example.com/x",
            "subscriptions": [
                {"event_type": "list-entry.created", "filter": {"$and": [{"value": ref}]}}
            ],
        },
    )
    result = order([hook, c("lists/key")])
    assert addresses(result) == ["lists/key", "webhooks/https://h.example.com/x"]
    assert waits(result)["webhooks/https://h.example.com/x"] == ["lists/key"]


def test_a_ref_that_is_not_an_address_is_ignored():
    hook = c("webhooks/https://h/x", after={"filter": {"ref": "nowhere/x"}})
    assert waits(order([hook, c("lists/key")])) == {"webhooks/https://h/x": [], "lists/key": []}


@pytest.mark.parametrize("action", ["create", "rename", "unarchive"])
def test_creates_renames_and_unarchives_establish_an_address(action):
    result = order([c("objects/p/attributes/x/options/A"), c("objects/p/attributes/x", action)])
    assert addresses(result) == ["objects/p/attributes/x", "objects/p/attributes/x/options/A"]
    assert waits(result)["objects/p/attributes/x/options/A"] == ["objects/p/attributes/x"]


@pytest.mark.parametrize("action", ["update", "manual"])
def test_updates_and_manual_changes_establish_nothing(action):
    result = order([c("objects/p/attributes/x"), c("objects/p", action)])
    assert addresses(result) == ["objects/p/attributes/x", "objects/p"]
    assert waits(result) == {"objects/p/attributes/x": [], "objects/p": []}


def test_a_dependency_outside_the_plan_is_not_waited_for():
    result = order([c("objects/p/attributes/client", after={"allowed_objects": ["companies"]})])
    assert result == [c("objects/p/attributes/client", after={"allowed_objects": ["companies"]})]


def test_changes_under_a_renamed_object_wait_for_it_however_deep():
    # The attribute itself is unchanged, so the option's only link to the rename is its
    # grandparent: without it a concurrent apply would address the new slug too early.
    result = order(
        [
            c("objects/p/attributes/tags/options/New"),
            c("objects/p/attributes/tags/options/Old", "archive"),
            c("objects/p", "rename", renamed_from=A("objects/old")),
        ]
    )
    assert addresses(result) == [
        "objects/p",
        "objects/p/attributes/tags/options/New",
        "objects/p/attributes/tags/options/Old",
    ]
    assert waits(result) == {
        "objects/p": [],
        "objects/p/attributes/tags/options/New": ["objects/p"],
        "objects/p/attributes/tags/options/Old": ["objects/p"],
    }


def test_the_nearest_establishing_ancestor_is_the_one_waited_for():
    result = order(
        [
            c("objects/p/attributes/tags/options/New"),
            c("objects/p/attributes/tags", "rename"),
            c("objects/p", "rename"),
        ]
    )
    assert addresses(result) == [
        "objects/p",
        "objects/p/attributes/tags",
        "objects/p/attributes/tags/options/New",
    ]
    assert waits(result)["objects/p/attributes/tags/options/New"] == ["objects/p/attributes/tags"]


def test_compare_output_under_a_renamed_object_is_ordered_after_the_rename():
    tags = m.Attribute("tags", "Tags", "select", options=(m.SelectOption("A"),))
    desired = m.Workspace(
        objects=(
            m.Object(
                "projects",
                "Project",
                "Projects",
                (replace(tags, options=(m.SelectOption("B"),)),),
                renamed_from="initiatives",
            ),
        )
    )
    live = m.Workspace(objects=(m.Object("initiatives", "Project", "Projects", (tags,)),))
    result = order(compare(desired, live, PrunePolicy(archive=True)).changes)
    assert [(str(ch.address), ch.action, waits([ch])[str(ch.address)]) for ch in result] == [
        ("objects/projects", "rename", []),
        ("objects/projects/attributes/tags/options/B", "create", ["objects/projects"]),
        ("objects/projects/attributes/tags/options/A", "archive", ["objects/projects"]),
    ]


def test_archives_run_children_first():
    result = order(
        [
            c("objects/p/attributes/tags", "archive"),
            c("objects/p/attributes/tags/options/Gold", "archive"),
            c("objects/p/attributes/tags/options/Silver", "archive"),
        ]
    )
    assert addresses(result) == [
        "objects/p/attributes/tags/options/Gold",
        "objects/p/attributes/tags/options/Silver",
        "objects/p/attributes/tags",
    ]
    assert waits(result)["objects/p/attributes/tags"] == [
        "objects/p/attributes/tags/options/Gold",
        "objects/p/attributes/tags/options/Silver",
    ]


def test_removals_wait_only_for_children_and_a_renamed_ancestor():
    # A deleted webhook's filter may name a list being created: a delete needs nothing first.
    gone = Change(
        A("webhooks/https://h/x"),
        "delete",
        {"subscriptions": [{"filter": {"value": {"ref": "lists/key"}}}]},
        None,
        "reason",
        destructive=True,
    )
    result = order(
        [
            gone,
            c("lists/key"),
            c("objects/p/attributes/old", "archive"),
            c("objects/p", "update"),
            c("objects/q/attributes/old", "archive"),
            c("objects/q", "rename"),
        ]
    )
    assert waits(result) == {
        "webhooks/https://h/x": [],
        "lists/key": [],
        "objects/p/attributes/old": [],
        "objects/p": [],
        "objects/q": [],
        "objects/q/attributes/old": ["objects/q"],
    }


def test_ties_keep_the_order_compare_produced():
    given = [
        c("webhooks/https://h/b"),
        c("objects/z"),
        c("lists/a"),
        c("objects/a/attributes/x", "update"),
        c("objects/b/attributes/y/options/O", "archive"),
    ]
    assert order(given) == given


def test_the_earliest_ready_change_in_compare_order_goes_first():
    # An object's attributes follow it, rather than waiting for every other object.
    result = order(
        [
            c("objects/b/attributes/x"),
            c("objects/b"),
            c("objects/a/attributes/y"),
            c("objects/a"),
        ]
    )
    assert addresses(result) == [
        "objects/b",
        "objects/b/attributes/x",
        "objects/a",
        "objects/a/attributes/y",
    ]


def test_depends_on_lists_every_planned_prerequisite_in_the_order_found():
    attribute = c(
        "objects/p/attributes/client",
        after={
            "allowed_objects": ["people", "clients"],
            "relationship": {"object": "clients"},
        },
    )
    result = order([attribute, c("objects/clients"), c("objects/people"), c("objects/p")])
    assert waits(result)["objects/p/attributes/client"] == [
        "objects/p",
        "objects/people",
        "objects/clients",
    ]
    assert addresses(result)[-1] == "objects/p/attributes/client"


def test_order_keeps_every_field_but_depends_on():
    change = Change(
        A("objects/p/attributes/x"),
        "rename",
        {"api_slug": "y"},
        {"api_slug": "x"},
        "renamed_from y",
        renamed_from=A("objects/p/attributes/y"),
        steps=("s",),
        in_use=True,
        depends_on=(A("objects/stale"),),
    )
    assert order([change]) == [replace(change, depends_on=())]


def test_a_cycle_raises_naming_every_address_in_it():
    changes = [
        c("objects/a", after={"allowed_objects": ["b"]}),
        c("objects/b", after={"relationship": {"object": "c"}}),
        c("objects/c", after={"allowed_objects": ["a"]}),
        c("objects/d"),
    ]
    with pytest.raises(PlanCycleError) as caught:
        order(changes)
    assert isinstance(caught.value, SchemactlError)
    message = str(caught.value)
    assert message.startswith("these changes depend on each other in a cycle: ")
    for address in ("objects/a", "objects/b", "objects/c"):
        assert address in message
    assert "objects/d" not in message


def test_a_cycle_through_webhook_refs_is_named():
    first = c("webhooks/https://h/1", after={"filter": {"ref": "webhooks/https://h/2"}})
    second = c("webhooks/https://h/2", after={"filter": {"ref": "webhooks/https://h/1"}})
    with pytest.raises(PlanCycleError) as caught:
        order([first, second])
    assert "webhooks/https://h/1" in str(caught.value)
    assert "webhooks/https://h/2" in str(caught.value)


def test_an_item_never_waits_for_itself():
    change = c("objects/a", after={"allowed_objects": ["a"]})
    assert order([change]) == [change]


def test_dependencies_of_one_change():
    planned = {
        ch.address: ch
        for ch in [
            c("objects/p"),
            c("objects/clients", "update"),
            c("lists/key"),
            c("objects/p/attributes/x", after={"allowed_objects": ["clients"]}),
        ]
    }
    assert dependencies(planned[A("objects/p/attributes/x")], planned) == [A("objects/p")]


def test_with_dependencies_pulls_in_what_is_needed_transitively():
    everything = [
        c("objects/clients"),
        c("objects/other"),
        c("lists/key", after={"parent_object": "clients"}),
        c("webhooks/https://h/x", after={"filter": {"value": {"ref": "lists/key"}}}),
    ]
    chosen, pulled = with_dependencies([everything[3]], everything)
    # In compare's order, not the order they were found in.
    assert chosen == [everything[0], everything[2], everything[3]]
    assert pulled == [A("lists/key"), A("objects/clients")]


def test_with_dependencies_pulls_nothing_when_nothing_is_needed():
    everything = [c("objects/a"), c("objects/a/attributes/x"), c("objects/b")]
    chosen, pulled = with_dependencies([everything[0], everything[2]], everything)
    assert (chosen, pulled) == ([everything[0], everything[2]], [])


def test_with_dependencies_pulls_an_archives_children():
    everything = [
        c("objects/p/attributes/tags", "archive"),
        c("objects/p/attributes/tags/options/Gold", "archive"),
        c("objects/p/attributes/notes", "archive"),
    ]
    chosen, pulled = with_dependencies([everything[0]], everything)
    assert (chosen, pulled) == (everything[:2], [A("objects/p/attributes/tags/options/Gold")])
