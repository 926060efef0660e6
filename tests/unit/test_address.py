"""Address: parsing, printing, verbatim tails, errors and prefix matching."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemactl.address import Address, AddressError


@pytest.mark.parametrize(
    ("text", "parts", "kind", "name"),
    [
        ("objects/projects", (("objects", "projects"),), "object", "projects"),
        ("lists/key_accounts", (("lists", "key_accounts"),), "list", "key_accounts"),
        (
            "objects/projects/attributes/stage",
            (("objects", "projects"), ("attributes", "stage")),
            "attribute",
            "stage",
        ),
        (
            "lists/key_accounts/attributes/priority",
            (("lists", "key_accounts"), ("attributes", "priority")),
            "attribute",
            "priority",
        ),
        (
            "objects/projects/attributes/tags/options/Enterprise",
            (("objects", "projects"), ("attributes", "tags"), ("options", "Enterprise")),
            "option",
            "Enterprise",
        ),
        (
            "lists/key_accounts/attributes/stage/statuses/Active",
            (("lists", "key_accounts"), ("attributes", "stage"), ("statuses", "Active")),
            "status",
            "Active",
        ),
        (
            "webhooks/https://hooks.example.com/attio",
            (("webhooks", "https://hooks.example.com/attio"),),
            "webhook",
            "https://hooks.example.com/attio",
        ),
    ],
)
def test_parse_and_str_round_trip_for_every_kind(text, parts, kind, name):
    address = Address.parse(text)
    assert address.parts == parts
    assert address.kind == kind
    assert address.name == name
    assert str(address) == text
    assert Address.parse(str(address)) == address
    assert repr(address) == f"Address({text!r})"


def test_builders_make_the_same_addresses_as_parse():
    stage = Address.object("projects").attribute("stage")
    assert stage == Address.parse("objects/projects/attributes/stage")
    assert stage.status("Active") == Address.parse(
        "objects/projects/attributes/stage/statuses/Active"
    )
    assert Address.list("key_accounts").attribute("priority").option("P0") == Address.parse(
        "lists/key_accounts/attributes/priority/options/P0"
    )
    assert Address.webhook("https://h.example.com/x") == Address.parse(
        "webhooks/https://h.example.com/x"
    )


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("objects/p/attributes/tags/options/High / low", "High / low"),
        ("objects/p/attributes/tags/options/a/b/c", "a/b/c"),
        ("objects/p/attributes/tags/options/ leading and trailing ", " leading and trailing "),
        ("objects/p/attributes/tags/options/Zürich – Ünïcødé ✓", "Zürich – Ünïcødé ✓"),
        ("objects/p/attributes/tags/options/ends with slash/", "ends with slash/"),
        ("objects/p/attributes/tags/options//", "/"),
        ("lists/l/attributes/stage/statuses/In review / QA", "In review / QA"),
        ("lists/l/attributes/stage/statuses/attributes/x", "attributes/x"),
        ("webhooks/https://h.example.com/a/b?x=1&y=/z", "https://h.example.com/a/b?x=1&y=/z"),
        (
            "webhooks/https://hooks.example.com/attributes/x",
            "https://hooks.example.com/attributes/x",
        ),
        ("webhooks/https://exämple.com/ä ö", "https://exämple.com/ä ö"),
    ],
)
def test_verbatim_tail_keeps_slashes_spaces_and_unicode(text, name):
    address = Address.parse(text)
    assert address.name == name
    collection = {"option": "options", "status": "statuses", "webhook": "webhooks"}[address.kind]
    assert address.parts[-1] == (collection, name)
    parent = "" if address.parent is None else f"{address.parent}/"
    assert text == f"{parent}{collection}/{name}"
    assert str(address) == text


def test_builder_titles_with_slash_round_trip_through_text():
    address = Address.object("p").attribute("tags").option("Ops / Finance")
    assert str(address) == "objects/p/attributes/tags/options/Ops / Finance"
    assert Address.parse(str(address)) == address
    assert address.parts[-1] == ("options", "Ops / Finance")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "an address cannot be empty"),
        (None, "an address cannot be empty"),
        ("objects", "'objects' is not a valid address: 'objects' needs a name"),
        ("objects/", "'objects/' is not a valid address: 'objects' needs a name"),
        ("webhooks/", "'webhooks/' is not a valid address: 'webhooks' needs a name"),
        (
            "objects/x/attributes",
            "'objects/x/attributes' is not a valid address: 'attributes' needs a name",
        ),
        (
            "objects/x/attributes/y/options/",
            "'objects/x/attributes/y/options/' is not a valid address: 'options' needs a name",
        ),
        (
            "objects//attributes/x",
            "'objects//attributes/x' is not a valid address: empty name",
        ),
        (
            "foo/x",
            "'foo/x' is not a valid address: expected lists, objects, webhooks where 'foo' is",
        ),
        (
            "attributes/x",
            "'attributes/x' is not a valid address: "
            "expected lists, objects, webhooks where 'attributes' is",
        ),
        (
            "objects/x/options/y",
            "'objects/x/options/y' is not a valid address: expected attributes where 'options' is",
        ),
        (
            "objects/x/lists/y",
            "'objects/x/lists/y' is not a valid address: expected attributes where 'lists' is",
        ),
        (
            "objects/x/attributes/y/foo/z",
            "'objects/x/attributes/y/foo/z' is not a valid address: "
            "expected options, statuses where 'foo' is",
        ),
        (
            "objects/x/attributes/y/attributes/z",
            "'objects/x/attributes/y/attributes/z' is not a valid address: "
            "expected options, statuses where 'attributes' is",
        ),
    ],
)
def test_invalid_addresses_are_rejected_with_exact_messages(text, message):
    with pytest.raises(AddressError) as info:
        Address.parse(text)
    assert str(info.value) == message


def test_address_error_is_a_value_error():
    assert issubclass(AddressError, ValueError)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Address.object("x").option("t"), "objects/x cannot have options"),
        (lambda: Address.list("x").status("t"), "lists/x cannot have statuses"),
        (
            lambda: Address.webhook("https://h/x").attribute("a"),
            "webhooks/https://h/x cannot have attributes",
        ),
        (
            lambda: Address.object("x").attribute("a").attribute("b"),
            "objects/x/attributes/a cannot have attributes",
        ),
        (
            lambda: Address.object("x").attribute("a").option("o").status("s"),
            "objects/x/attributes/a/options/o cannot have statuses",
        ),
    ],
)
def test_builders_refuse_children_the_parent_cannot_have(build, message):
    with pytest.raises(AddressError) as info:
        build()
    assert str(info.value) == message


def test_parent_walks_up_one_pair_at_a_time():
    option = Address.parse("objects/p/attributes/tags/options/A / B")
    assert option.parent == Address.parse("objects/p/attributes/tags")
    assert option.parent.parent == Address.parse("objects/p")
    assert option.parent.parent.parent is None
    assert Address.parse("webhooks/https://h/x").parent is None


def test_is_within_matches_whole_segments_only():
    projects = Address.parse("objects/projects")
    proj = Address.parse("objects/proj")
    stage = Address.parse("objects/projects/attributes/stage")
    active = Address.parse("objects/projects/attributes/stage/statuses/Active")
    assert not proj.is_within(projects)
    assert not projects.is_within(proj)
    assert not Address.parse("objects/proj/attributes/stage").is_within(projects)
    assert stage.is_within(projects)
    assert active.is_within(projects)
    assert active.is_within(stage)
    assert active.is_within(active)
    assert not projects.is_within(stage)
    assert not Address.parse("objects/projects/attributes/stages").is_within(stage)
    assert not Address.parse("lists/projects").is_within(projects)


def test_is_within_does_not_match_part_of_a_verbatim_title():
    active = Address.parse("objects/p/attributes/stage/statuses/Active")
    assert not Address.parse("objects/p/attributes/stage/statuses/Active / QA").is_within(active)
    hook = Address.parse("webhooks/https://h.example.com/a")
    assert not Address.parse("webhooks/https://h.example.com/a/b").is_within(hook)


def test_addresses_are_hashable_and_ordered_by_parts():
    a = Address.parse("objects/x/attributes/a")
    b = Address.parse("objects/x/attributes/b")
    assert a < b
    assert sorted([b, a]) == [a, b]
    assert {a, Address.parse("objects/x/attributes/a")} == {a}


_PLAIN_NAME = st.text(
    alphabet=st.characters(exclude_characters="/", exclude_categories=("Cs",)),
    min_size=1,
    max_size=12,
)
_VERBATIM_NAME = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=24
)


@st.composite
def addresses(draw) -> Address:
    root = draw(st.sampled_from(["objects", "lists", "webhooks"]))
    if root == "webhooks":
        return Address.webhook(draw(_VERBATIM_NAME))
    address = Address(((root, draw(_PLAIN_NAME)),))
    depth = draw(st.integers(min_value=0, max_value=2))
    if depth >= 1:
        address = address.attribute(draw(_PLAIN_NAME))
    if depth == 2:
        child = draw(st.sampled_from(["option", "status"]))
        address = getattr(address, child)(draw(_VERBATIM_NAME))
    return address


@settings(max_examples=200, deadline=None)
@given(addresses())
def test_parse_of_str_is_identity(address):
    parsed = Address.parse(str(address))
    assert parsed == address
    assert parsed.kind == address.kind
    assert parsed.name == address.name
    if address.parent is not None:
        assert address.is_within(address.parent)
        assert not address.parent.is_within(address)


def test_a_collection_holds_everything_in_it_and_nothing_else():
    webhooks = Address.collection("webhooks")
    assert str(webhooks) == "webhooks"
    assert Address.parse("webhooks/https://h/x").is_within(webhooks)
    assert not Address.parse("objects/webhooks").is_within(webhooks)
    assert Address.parse("objects/p/attributes/a").is_within(Address.collection("objects"))
    assert not Address.parse("lists/p").is_within(Address.collection("objects"))
    with pytest.raises(AddressError, match="not a collection"):
        Address.collection("records")
