"""The desired model built from the example projects and from small manifests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from schemactl import model as m
from schemactl.address import Address
from schemactl.engine import load_desired
from schemactl.manifest.build import title_from_slug

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
A = Address.parse
_ITEM_TYPES = {
    "object": m.Object,
    "list": m.List,
    "attribute": m.Attribute,
    "option": m.SelectOption,
    "status": m.Status,
    "webhook": m.Webhook,
}


@pytest.fixture(scope="module")
def startup() -> m.Workspace:
    return load_desired(EXAMPLES / "startup-crm").manifests.workspace


@pytest.fixture(scope="module")
def vc_dev() -> m.Workspace:
    return load_desired(EXAMPLES / "vc-dealflow").manifests.workspace


@pytest.fixture(scope="module")
def vc_prod() -> m.Workspace:
    return load_desired(EXAMPLES / "vc-dealflow", "prod").manifests.workspace


@pytest.mark.parametrize(
    ("slug", "title"),
    [
        ("deal_value", "Deal value"),
        ("stage", "Stage"),
        ("next_step_due", "Next step due"),
        ("tier-level", "Tier level"),
        ("arr", "Arr"),
        ("a__b", "A b"),
    ],
)
def test_title_from_slug_is_sentence_case(slug, title):
    assert title_from_slug(slug) == title


def test_load_desired_picks_the_default_environment_and_files():
    desired = load_desired(EXAMPLES / "vc-dealflow")
    assert desired.environment.name == "dev"
    assert [p.name for p in desired.manifests.files] == [
        "lists.yaml",
        "objects.yaml",
        "webhooks.yaml",
    ]


def test_startup_crm_counts(startup):
    assert [o.api_slug for o in startup.objects] == ["companies", "people", "projects"]
    assert startup.lists == ()
    assert startup.webhooks == ()
    assert [len(o.attributes) for o in startup.objects] == [6, 4, 9]
    assert Counter(a.kind for a, _ in startup.items()) == {
        "object": 3,
        "attribute": 19,
        "option": 15,
        "status": 4,
    }


def test_vc_dealflow_counts(vc_dev):
    assert [o.api_slug for o in vc_dev.objects] == [
        "funds",
        "investment_rounds",
        "limited_partners",
        "companies",
    ]
    assert [lst.api_slug for lst in vc_dev.lists] == ["deal_pipeline", "portfolio", "lp_relations"]
    assert [len(o.attributes) for o in vc_dev.objects] == [3, 5, 3, 2]
    assert [len(lst.attributes) for lst in vc_dev.lists] == [5, 4, 1]
    assert Counter(a.kind for a, _ in vc_dev.items()) == {
        "object": 4,
        "list": 3,
        "attribute": 23,
        "option": 26,
        "status": 10,
        "webhook": 2,
    }


def test_titles_default_from_slugs_and_explicit_titles_win(startup):
    companies = startup.object("companies")
    assert [(a.api_slug, a.title) for a in companies.attributes] == [
        ("tier", "Tier"),
        ("arr", "ARR"),
        ("account_owner", "Account owner"),
        ("health_score", "Health score"),
        ("renewal_date", "Renewal date"),
        ("use_cases", "Use cases"),
    ]
    projects = startup.object("projects")
    assert projects.attribute("sponsor").title == "Client sponsor"
    assert projects.attribute("stage").title == "Stage"


def test_attribute_fields_from_the_startup_example(startup):
    projects = startup.object("projects")
    assert projects.singular_noun == "Project"
    assert projects.plural_noun == "Projects"
    assert projects.is_standard is False
    assert projects.attribute("stage") == m.Attribute(
        api_slug="stage",
        title="Stage",
        type="status",
        is_required=True,
        statuses=(
            m.Status("Planned"),
            m.Status("Active", target_time_in_status="P14D"),
            m.Status("Blocked", target_time_in_status="P3D"),
            m.Status("Done", celebration_enabled=True),
        ),
    )
    assert projects.attribute("budget").currency == m.CurrencyConfig("USD", "symbol")
    assert projects.attribute("client").allowed_objects == ("companies",)
    assert projects.attribute("due").default_value == {"type": "dynamic", "template": "P1M"}
    assert projects.attribute("tags").is_multiselect is True
    assert projects.attribute("tags").options == (
        m.SelectOption("Enterprise"),
        m.SelectOption("High priority"),
        m.SelectOption("Pilot"),
    )
    assert projects.attribute("summary").description == "One paragraph a new teammate can read."
    tier = startup.object("companies").attribute("tier")
    assert tier.description == "Commercial tier, drives support SLAs."
    assert tier.is_multiselect is False
    assert tier.is_system is False


def test_statuses_on_lists_are_model_objects(vc_dev):
    stage = vc_dev.list("deal_pipeline").attribute("stage")
    assert stage.type == "status"
    assert stage.statuses == (
        m.Status("Sourced"),
        m.Status("First meeting", target_time_in_status="P7D"),
        m.Status("Partner meeting", target_time_in_status="P14D"),
        m.Status("Due diligence", target_time_in_status="P30D"),
        m.Status("Invested", celebration_enabled=True),
        m.Status("Passed"),
    )
    assert all(isinstance(s, m.Status) for s in stage.statuses)
    lp_stage = vc_dev.list("lp_relations").attribute("stage")
    assert [(s.title, s.celebration_enabled) for s in lp_stage.statuses] == [
        ("Prospect", False),
        ("Soft circled", False),
        ("Committed", False),
        ("Closed", True),
    ]


def test_lists_keep_names_parents_and_default_workspace_access(vc_dev):
    assert [(lst.name, lst.parent_object, lst.workspace_access) for lst in vc_dev.lists] == [
        ("Deal pipeline", "companies", "full-access"),
        ("Portfolio", "companies", "full-access"),
        # lp_relations does not declare workspace_access: Attio's default applies.
        ("LP relations", "limited_partners", "full-access"),
    ]
    assert vc_dev.list("lp_relations").workspace_member_access == ()


def test_template_variables_reach_the_model(vc_dev):
    assert vc_dev.object("funds").attribute("target_size").currency == m.CurrencyConfig(
        "USD", "code"
    )
    assert vc_dev.list("deal_pipeline").attribute("check_size").currency == m.CurrencyConfig(
        "USD", "symbol"
    )


def test_relationship_implies_allowed_objects(vc_dev):
    fund = vc_dev.object("investment_rounds").attribute("fund")
    assert fund.relationship == m.Relationship(
        object="funds", title="Rounds", api_slug="rounds", is_multiselect=True
    )
    assert fund.allowed_objects == ("funds",)
    assert fund.is_multiselect is False
    company = vc_dev.object("investment_rounds").attribute("company")
    assert company.relationship is None
    assert company.allowed_objects == ("companies",)
    assert company.is_required is True


def test_standard_objects_are_marked_and_have_no_nouns(startup, vc_dev):
    for workspace, slugs in ((startup, ["companies", "people"]), (vc_dev, ["companies"])):
        for slug in slugs:
            obj = workspace.object(slug)
            assert obj.is_standard is True
            assert obj.singular_noun is None
            assert obj.plural_noun is None
    assert [o.api_slug for o in vc_dev.objects if not o.is_standard] == [
        "funds",
        "investment_rounds",
        "limited_partners",
    ]
    sector = vc_dev.object("companies").attribute("sector")
    assert sector.is_system is False
    assert sector.is_multiselect is True
    assert vc_dev.object("companies").attribute("founded_by_repeat_founder").title == (
        "Repeat founder"
    )


def test_webhook_filters_hold_refs_with_parsed_addresses(vc_dev):
    deal_pipeline = m.Ref(A("lists/deal_pipeline"))
    assert vc_dev.webhooks == (
        m.Webhook(
            target_url="https://hooks.dev.example.com/attio/deal-pipeline",
            subscriptions=(
                m.Subscription(
                    "list-entry.created",
                    {
                        "$and": [
                            {"field": "id.list_id", "operator": "equals", "value": deal_pipeline}
                        ]
                    },
                ),
                m.Subscription(
                    "list-entry.updated",
                    {
                        "$and": [
                            {"field": "id.list_id", "operator": "equals", "value": deal_pipeline}
                        ]
                    },
                ),
            ),
        ),
        m.Webhook(
            target_url="https://hooks.dev.example.com/attio/rounds",
            subscriptions=(
                m.Subscription(
                    "record.created",
                    {
                        "$or": [
                            {
                                "field": "id.object_id",
                                "operator": "equals",
                                "value": m.Ref(A("objects/investment_rounds")),
                            }
                        ]
                    },
                ),
            ),
        ),
    )
    ref = vc_dev.webhooks[0].subscriptions[0].filter["$and"][0]["value"]
    assert isinstance(ref.address, Address)
    assert ref.address.kind == "list"


def test_prod_only_webhook_appears_only_in_prod(vc_dev, vc_prod):
    assert [w.target_url for w in vc_dev.webhooks] == [
        "https://hooks.dev.example.com/attio/deal-pipeline",
        "https://hooks.dev.example.com/attio/rounds",
    ]
    assert [w.target_url for w in vc_prod.webhooks] == [
        "https://hooks.northwind.vc/attio/deal-pipeline",
        "https://hooks.northwind.vc/attio/rounds",
        "https://audit.northwind.vc/attio",
    ]
    audit = vc_prod.webhooks[2]
    assert audit.subscriptions == (
        m.Subscription("object-attribute.created"),
        m.Subscription("object-attribute.updated"),
        m.Subscription("list-attribute.created"),
        m.Subscription("list-attribute.updated"),
    )
    assert vc_prod.objects == vc_dev.objects
    assert vc_prod.lists == vc_dev.lists


def test_items_yield_parents_before_children_with_correct_addresses(startup):
    items = list(startup.items())
    addresses = [a for a, _ in items]
    assert [str(a) for a in addresses[:6]] == [
        "objects/companies",
        "objects/companies/attributes/tier",
        "objects/companies/attributes/tier/options/Enterprise",
        "objects/companies/attributes/tier/options/Growth",
        "objects/companies/attributes/tier/options/Starter",
        "objects/companies/attributes/arr",
    ]
    assert len(addresses) == len(set(addresses)) == 41
    seen: set[Address] = set()
    for address, item in items:
        if address.parent is not None:
            assert address.parent in seen, address
        seen.add(address)
        assert type(item) is _ITEM_TYPES[address.kind]
        if isinstance(item, m.SelectOption | m.Status):
            assert address.name == item.title
        else:
            assert address.name == item.api_slug


def test_items_cover_objects_then_lists_then_webhooks(vc_prod):
    kinds = [a.kind for a, _ in vc_prod.items() if a.kind in ("object", "list", "webhook")]
    assert kinds == ["object"] * 4 + ["list"] * 3 + ["webhook"] * 3
    addresses = [str(a) for a, _ in vc_prod.items()]
    assert addresses[-3:] == [
        "webhooks/https://hooks.northwind.vc/attio/deal-pipeline",
        "webhooks/https://hooks.northwind.vc/attio/rounds",
        "webhooks/https://audit.northwind.vc/attio",
    ]
    assert "lists/deal_pipeline/attributes/stage/statuses/First meeting" in addresses


def test_find_returns_the_item_at_an_address(vc_prod):
    assert vc_prod.find(A("lists/deal_pipeline/attributes/stage/statuses/First meeting")) == (
        m.Status("First meeting", target_time_in_status="P7D")
    )
    assert vc_prod.find(A("objects/limited_partners/attributes/lp_type/options/Fund of funds")) == (
        m.SelectOption("Fund of funds")
    )
    assert vc_prod.find(A("objects/funds")) is vc_prod.object("funds")
    assert vc_prod.find(A("lists/portfolio/attributes/fund")) is vc_prod.list(
        "portfolio"
    ).attribute("fund")
    assert vc_prod.find(A("webhooks/https://audit.northwind.vc/attio")) is vc_prod.webhooks[2]


def test_find_returns_none_for_absent_addresses(vc_prod):
    assert vc_prod.find(A("objects/nope")) is None
    assert vc_prod.find(A("objects/fund")) is None
    assert vc_prod.find(A("lists/deal_pipeline/attributes/stage/statuses/Sourced ")) is None
    # Same slug, wrong parent kind: lists/funds is not objects/funds.
    assert vc_prod.find(A("lists/funds")) is None
    assert vc_prod.find(A("webhooks/https://audit.northwind.vc")) is None


SMALL = """\
objects:
  deals:
    attributes:
      stage:
        type: status
        statuses: [Lead, {title: Won, celebration_enabled: true}]
lists:
  key_accounts:
    parent_object: companies
    attributes:
      tier-level:
        type: select
        options: ["A / B", {title: Gold, renamed_from: Golden}]
webhooks:
  - target_url: https://h.example.com/a/b
    subscriptions:
      - event_type: list-entry.created
        filter:
          $and:
            - field: id.list_id
              operator: equals
              value: {ref: "lists/key_accounts/attributes/tier-level/options/A / B"}
"""


@pytest.fixture
def small(tmp_path) -> m.Workspace:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "a.yaml").write_text(SMALL, encoding="utf-8")
    return load_desired(tmp_path).manifests.workspace


def test_list_name_defaults_from_its_slug(small):
    key_accounts = small.list("key_accounts")
    assert key_accounts.name == "Key accounts"
    assert key_accounts.workspace_access == "full-access"
    assert key_accounts.attribute("tier-level").title == "Tier level"


def test_option_renames_and_titles_with_slashes(small):
    tier = small.list("key_accounts").attribute("tier-level")
    assert tier.options == (m.SelectOption("A / B"), m.SelectOption("Gold", renamed_from="Golden"))
    address = A("lists/key_accounts/attributes/tier-level/options/A / B")
    assert small.find(address) == m.SelectOption("A / B")


def test_system_attribute_of_a_standard_object_is_marked(small):
    deals = small.object("deals")
    assert deals.is_standard is True
    stage = deals.attribute("stage")
    assert stage.is_system is True
    assert stage.statuses == (m.Status("Lead"), m.Status("Won", celebration_enabled=True))


def test_ref_to_an_option_title_with_a_slash_is_parsed_verbatim(small):
    (webhook,) = small.webhooks
    assert webhook.target_url == "https://h.example.com/a/b"
    value = webhook.subscriptions[0].filter["$and"][0]["value"]
    assert value == m.Ref(A("lists/key_accounts/attributes/tier-level/options/A / B"))
    assert value.address.parts[-1] == ("options", "A / B")
