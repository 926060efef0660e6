"""Filtering and sorting of records and list entries, as Attio documents them.

`select` compiles a filter once into a predicate over presented subjects (records, or list
entries) and the sorts into keys, then makes one pass over the subjects. A condition on an
attribute matches when any one of its values matches (multiselect attributes); the conditions of
one block, e.g. `{"locality": "Paris", "country_code": "FR"}`, must all hold on the same value.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.filter_types import (
    ORDER_OPS,
    SORT_DEFAULT,
    TEXT_OPS,
    TYPES,
    Prop,
    Value,
    equals,
    sort_value,
    stored,
)

Subject = dict[str, Any]
# The presented values of a subject (record or entry), keyed by attribute slug.
ValuesOf = Callable[[Subject], dict[str, list[Value]]]
# A record by (object_id, record_id), presented, for drill-down through references; or None.
FetchRecord = Callable[[str, str], Subject | None]
# The live attributes of an object by slug or id (empty, None or a 404 ApiError when unknown).
AttributesOf = Callable[[str], list[dict[str, Any]] | None]
Predicate = Callable[[Subject], bool]
Test = Callable[[Value], bool]  # on one presented value
Getter = Callable[[Subject], list[Value]]  # one attribute's values of a subject or record
Level = dict[str, tuple[dict[str, Any], Getter]]  # slug or attribute id -> (attribute, getter)
Hop = tuple[Getter, str]  # follow these references to records of this object id

_COMPARISONS = TEXT_OPS | ORDER_OPS
# The simplified reference's negative operators are Attio's positive ones under `$not`.
_ALIASES = {"$ne": ("$eq", True), "$nin": ("$in", True)}
# Existence operators, and whether `true` asks for a value to be present.
_EXISTENCE = {"$not_empty": True, "$exists": True, "$not_exists": False}
_SUBSTRING: dict[str, Callable[[str, str], bool]] = {
    "$contains": lambda haystack, needle: needle in haystack,
    "$starts_with": str.startswith,
    "$ends_with": str.endswith,
}
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}

# List entries can be filtered and sorted by their parent record, as a record reference.
_PARENT_RECORD: dict[str, Any] = {
    "api_slug": "parent_record",
    "type": "record-reference",
    "id": {"attribute_id": "parent_record"},
    "config": {},
}


def _parent_reference(entry: Subject) -> list[Value]:
    return [
        {
            "attribute_type": "record-reference",
            "target_object": entry.get("parent_object"),
            "target_record_id": entry.get("parent_record_id"),
        }
    ]


DEFAULT_QUERY_LIMIT = 500
_QUERY_FIELDS = {"limit", "offset", "filter", "sorts"}


@dataclass(frozen=True)
class QueryBody:
    """A records or entries query's body: its filter, sorts and page."""

    filter: Any
    sorts: Any
    limit: int
    offset: int

    def page(self, items: list[Subject]) -> list[Subject]:
        return items[self.offset : self.offset + self.limit]


def query_body(body: Any) -> QueryBody:
    """`POST …/records/query` or `…/entries/query`'s body, checked; `limit` defaults to 500."""
    query = {} if body is None else body
    if not isinstance(query, dict):
        raise errors.validation("Body payload validation error: the body must be an object.")
    unknown = sorted(set(query) - _QUERY_FIELDS)
    if unknown:
        raise errors.validation(
            f"Body payload validation error: unrecognised field '{unknown[0]}'."
        )
    return QueryBody(
        query.get("filter"),
        query.get("sorts"),
        _int_field(query, "limit", DEFAULT_QUERY_LIMIT, minimum=1),
        _int_field(query, "offset", 0, minimum=0),
    )


def _int_field(query: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = query.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise errors.validation(
            f"Body payload validation error: '{key}' must be an integer of at least {minimum}."
        )
    return value


def select(
    subjects: list[Subject],
    filter_spec: Any,
    sorts: Any,
    *,
    attributes: list[dict[str, Any]],
    values_of: ValuesOf,
    fetch_record: FetchRecord,
    attributes_of: AttributesOf | None = None,
    names: Collection[str] = (),
    entries: bool | None = None,
) -> list[Subject]:
    """The presented `subjects` that match `filter_spec`, ordered by `sorts` (stable).

    `attributes_of` makes drill-down `path`s possible; `names` (slug and id of the queried object
    or list) is what a path must start with. `entries` (detected from the subjects when None)
    adds list entries' `parent_record`. Any problem with the filter or sorts is a 400
    `filter_error` naming it and where it is.
    """
    if entries is None:
        entries = bool(subjects) and "entry_id" in subjects[0].get("id", {})
    query = _Query(attributes, values_of, fetch_record, attributes_of, names, entries)
    predicate = query.filter(filter_spec)
    keys = query.sorts(sorts)
    return _order([s for s in subjects if predicate(s)], keys)


def _fail(where: str, problem: str) -> errors.ApiError:
    return errors.ApiError(400, "filter_error", f"{problem} (at {where}).")


class _Query:
    """A filter and sorts compiled against one object's or list's attributes."""

    def __init__(
        self,
        attributes: list[dict[str, Any]],
        values_of: ValuesOf,
        fetch_record: FetchRecord,
        attributes_of: AttributesOf | None,
        names: Collection[str],
        entries: bool,
    ):
        self._fetch_record = fetch_record
        self._attributes_of = attributes_of
        self._names = list(names)
        self._top = _level(attributes, values_of, entries)
        self._objects: dict[str, tuple[str, Level]] = {}
        # Records reached by drill-down, fetched once per query.
        self._records: dict[tuple[str, str], Subject | None] = {}

    # --- filters ---------------------------------------------------------------------------

    def filter(self, spec: Any) -> Predicate:
        if spec is None:
            return _all([])
        if not isinstance(spec, dict):
            raise _fail("filter", "the filter must be an object")
        return self._node(spec, "filter", self._top)

    def _node(self, spec: Any, where: str, level: Level) -> Predicate:
        """`{condition, …}`: every condition holds (`$and`, `$or`, `$not`, paths, attributes)."""
        if not isinstance(spec, dict):
            raise _fail(where, "expected an object of conditions")
        parts: list[Predicate] = []
        drill = {k for k in ("path", "constraints") if k in spec and k not in level}
        if drill:
            if drill != {"path", "constraints"}:
                raise _fail(where, "a path filter needs both 'path' and 'constraints'")
            parts.append(self._path_filter(spec["path"], spec["constraints"], where))
        for key, operand in spec.items():
            here = f"{where}.{key}"
            if key in drill:
                continue
            if key in ("$and", "$or"):
                if not isinstance(operand, list):
                    raise _fail(here, f'"{key}" takes an array of filters')
                subs = [self._node(s, f"{here}[{i}]", level) for i, s in enumerate(operand)]
                parts.append(_all(subs) if key == "$and" else _any(subs))
            elif key == "$not":
                parts.append(_negate(self._node(operand, here, level)))
            elif key.startswith("$"):
                raise _fail(here, _misplaced(key))
            elif key in level:
                attribute, getter = level[key]
                parts.append(_on(getter, _block(attribute, operand, here)))
            elif "." in key:
                parts.append(self._dotted(level, key, operand, here))
            else:
                raise _fail(here, _unknown_attribute(key))
        return _all(parts)

    def _path_filter(self, path: Any, constraints: Any, where: str) -> Predicate:
        hops, (attribute, getter) = self._path(path, f"{where}.path")
        block = _block(attribute, constraints, f"{where}.constraints")
        return lambda subject: any(block(getter(r)) for r in self._walk(subject, hops))

    def _dotted(self, level: Level, key: str, spec: Any, where: str) -> Predicate:
        """The simplified reference's `"company.industry"`: a path through a single-object ref."""
        head, _, rest = key.partition(".")
        if head not in level:
            raise _fail(where, _unknown_attribute(key))
        attribute, getter = level[head]
        allowed = _allowed_objects(attribute)
        if attribute["type"] != "record-reference" or len(allowed) != 1:
            raise _fail(
                where,
                f'"{key}" names no attribute, and "{head}" is not a record reference to one '
                "object (use a path filter)",
            )
        object_id, inner_level = self._object(allowed[0], where)
        inner = self._node({rest: spec}, where, inner_level)
        hops = [(getter, object_id)]
        return lambda subject: any(inner(r) for r in self._walk(subject, hops))

    # --- drill-down ------------------------------------------------------------------------

    def _path(self, path: Any, where: str) -> tuple[list[Hop], tuple[dict[str, Any], Getter]]:
        """The hops of `[[object, reference], …, [object, attribute]]` and its last attribute."""
        shape = "an array of [object or list, attribute] pairs of slugs or IDs"
        if not isinstance(path, list) or not path:
            raise _fail(where, f"a path must be {shape}")
        for i, step in enumerate(path):
            if not (
                isinstance(step, list) and len(step) == 2 and all(isinstance(s, str) for s in step)
            ):
                raise _fail(f"{where}[{i}]", f"a path must be {shape}")
        if self._names and path[0][0] not in self._names:
            raise _fail(
                f"{where}[0]",
                f'a path starts at the object or list being queried ("{self._names[0]}"), '
                f'not "{path[0][0]}"',
            )
        hops: list[Hop] = []
        level = self._top
        previous: tuple[dict[str, Any], Getter] | None = None
        for i, (object_key, attribute_key) in enumerate(path):
            here = f"{where}[{i}]"
            if previous is not None:
                object_id, level = self._object(object_key, here)
                allowed = _allowed_objects(previous[0])
                if allowed and object_id not in allowed:
                    raise _fail(
                        here,
                        f'"{previous[0]["api_slug"]}" does not refer to "{object_key}" records',
                    )
                hops.append((previous[1], object_id))
            if attribute_key not in level:
                raise _fail(here, _unknown_attribute(attribute_key))
            previous = level[attribute_key]
            if i < len(path) - 1 and previous[0]["type"] != "record-reference":
                raise _fail(
                    here,
                    f"only record references can be followed, and {_described(previous[0])} "
                    "is not one",
                )
        assert previous is not None  # the path is not empty
        return hops, previous

    def _object(self, key: str, where: str) -> tuple[str, Level]:
        """An object's id and attributes, by slug or id, for the next step of a drill-down."""
        if key not in self._objects:
            if self._attributes_of is None:
                raise _fail(where, "drill-down through references is not available here")
            try:
                found = self._attributes_of(key)
            except errors.ApiError:
                found = None
            if not found:
                raise _fail(where, f'no object has the slug or ID "{key}"')
            object_id = found[0]["id"]["object_id"]
            self._objects[key] = object_id, _level(found, lambda r: r["values"], False)
        return self._objects[key]

    def _walk(self, subject: Subject, hops: list[Hop]) -> list[Subject]:
        """The records reached from `subject` by following each hop's references in turn."""
        current = [subject]
        for getter, object_id in hops:
            reached: dict[str, Subject] = {}
            for item in current:
                for reference in getter(item):
                    record_id = reference.get("target_record_id")
                    if isinstance(record_id, str) and record_id not in reached:
                        record = self._record(object_id, record_id)
                        if record is not None:
                            reached[record_id] = record
            current = list(reached.values())
        return current

    def _record(self, object_id: str, record_id: str) -> Subject | None:
        key = (object_id, record_id)
        if key not in self._records:
            self._records[key] = self._fetch_record(object_id, record_id)
        return self._records[key]

    # --- sorts -----------------------------------------------------------------------------

    def sorts(self, sorts: Any) -> list[tuple[Callable[[Subject], Any], bool]]:
        if sorts is None:
            return []
        if not isinstance(sorts, list):
            raise _fail("sorts", "sorts must be an array")
        return [self._sort(item, f"sorts[{i}]") for i, item in enumerate(sorts)]

    def _sort(self, item: Any, where: str) -> tuple[Callable[[Subject], Any], bool]:
        """A key (None when the subject has no value) and whether it runs descending."""
        if not isinstance(item, dict):
            raise _fail(
                where, "a sort must be an object with 'direction' and 'attribute' or 'path'"
            )
        unknown = sorted(set(item) - {"direction", "attribute", "field", "path"})
        if unknown:
            raise _fail(where, f'a sort has no field "{unknown[0]}"')
        if item.get("direction") not in ("asc", "desc"):
            raise _fail(where, '\'direction\' must be "asc" or "desc"')
        if ("attribute" in item) == ("path" in item):
            raise _fail(where, "a sort names either an 'attribute' or a 'path'")
        hops: list[Hop] = []
        if "path" in item:
            hops, (attribute, getter) = self._path(item["path"], f"{where}.path")
        else:
            key = item["attribute"]
            if not isinstance(key, str) or key not in self._top:
                raise _fail(f"{where}.attribute", _unknown_attribute(str(key)))
            attribute, getter = self._top[key]
        prop = _sort_property(attribute, item.get("field"), where)

        def sort_key(subject: Subject) -> Any:
            for record in self._walk(subject, hops):
                for value in getter(record):
                    found = sort_value(prop, prop.read(value))
                    if found is not None:
                        return found
            return None

        return sort_key, item["direction"] == "desc"


# --- compiling conditions --------------------------------------------------------------------


def _level(attributes: list[dict[str, Any]], values_of: ValuesOf, entries: bool) -> Level:
    level: Level = {}
    for attribute in attributes:
        getter = _values_getter(values_of, attribute["api_slug"])
        level[attribute["api_slug"]] = level[attribute["id"]["attribute_id"]] = attribute, getter
    if entries and "parent_record" not in level:
        level["parent_record"] = _PARENT_RECORD, _parent_reference
    return level


def _values_getter(values_of: ValuesOf, slug: str) -> Getter:
    return lambda subject: values_of(subject).get(slug) or []


def _block(attribute: dict[str, Any], spec: Any, where: str) -> Callable[[list[Value]], bool]:
    """A condition on one attribute, as a test of its values (any value may match)."""
    terms = _terms(attribute, spec, where)
    positives = [test for test, negated in terms if not negated]
    negatives = [test for test, negated in terms if negated]

    def matches(values: list[Value]) -> bool:
        if positives and not any(all(t(v) for t in positives) for v in values):
            return False
        return not any(t(v) for t in negatives for v in values)

    return matches


def _terms(attribute: dict[str, Any], spec: Any, where: str) -> list[tuple[Test, bool]]:
    """(test on one value, negated) per condition: a shorthand value, operators, properties."""
    if not isinstance(spec, dict):
        return [(_compare(_default(attribute, where), "$eq", spec, where), False)]
    if not spec:
        raise _fail(where, f"the condition on {_described(attribute)} is empty")
    _, props = TYPES.get(attribute["type"], (None, {}))
    terms: list[tuple[Test, bool]] = []
    for key, operand in spec.items():
        here = f"{where}.{key}"
        if key.startswith("$"):
            terms.append(_operator(attribute, None, key, operand, here))
            continue
        prop = props.get(key)
        if prop is None:
            known = ", ".join(props) or "none; only $not_empty applies"
            raise _fail(here, f'{_described(attribute)} has no property "{key}" ({known})')
        if not isinstance(operand, dict):
            terms.append((_compare(prop, "$eq", operand, here), False))
        elif not operand:
            raise _fail(here, f'the condition on the property "{key}" is empty')
        else:
            for op, value in operand.items():
                terms.append(_operator(attribute, prop, op, value, f"{here}.{op}"))
    return terms


def _operator(
    attribute: dict[str, Any], prop: Prop | None, op: str, operand: Any, where: str
) -> tuple[Test, bool]:
    """One `"$op": operand` on an attribute (prop None) or one of its properties."""
    if op in _EXISTENCE:
        if not isinstance(operand, bool):
            raise _fail(where, f'"{op}" takes true or false')
        if prop is None:
            test: Test = _has_value
        else:
            test = _filled_test(prop)
        return test, operand != _EXISTENCE[op]
    if op in ("$and", "$or", "$not"):
        raise _fail(where, f'"{op}" combines whole filters, e.g. {{"{op}": …}} around attributes')
    base, negated = _ALIASES.get(op, (op, False))
    if base not in _COMPARISONS:
        raise _fail(where, f'unknown operator "{op}"')
    target = prop or _default(attribute, where)
    if base not in target.ops:
        valid = ", ".join(sorted(target.ops))
        raise _fail(where, f'"{op}" cannot be used on {_described(attribute, prop)} (use {valid})')
    return _compare(target, base, operand, where), negated


def _compare(prop: Prop, op: str, operand: Any, where: str) -> Test:
    if op == "$in":
        if not isinstance(operand, list):
            raise _fail(where, '"$in" takes an array of values')
        wanted = [_operand(prop, item, f"{where}[{i}]") for i, item in enumerate(operand)]
        return lambda value: any(equals(prop, prop.read(value), w) for w in wanted)
    want = _operand(prop, operand, where)
    if op == "$eq":
        return lambda value: equals(prop, prop.read(value), want)
    if op in _SUBSTRING:
        needle, contains = want.casefold(), _SUBSTRING[op]
        return lambda value: (
            isinstance(got := prop.read(value), str) and contains(got.casefold(), needle)
        )
    order = _ORDER[op]
    return lambda value: (got := stored(prop, prop.read(value))) is not None and order(got, want)


def _operand(prop: Prop, raw: Any, where: str) -> Any:
    """A filter's value for `prop`, checked and normalised like stored values."""
    if prop.kind in ("text", "choice"):
        if not isinstance(raw, str):
            raise _fail(where, f"expected a string, not {_json_kind(raw)}")
        return raw.casefold() if prop.fold else raw
    if prop.kind == "bool" and raw in ("true", "false"):
        raw = raw == "true"
    normalised = stored(prop, raw)
    if normalised is None:
        need = {
            "number": "a number",
            "date": 'a date as "YYYY-MM-DD"',
            "timestamp": 'an ISO 8601 timestamp such as "2023-11-24T08:00:00Z"',
            "bool": "true or false",
        }[prop.kind]
        raise _fail(where, f"expected {need}, not {_json_kind(raw)}")
    return normalised


def _has_value(value: Value) -> bool:
    return True


def _filled_test(prop: Prop) -> Test:
    def filled(value: Value) -> bool:
        raw = prop.read(value)
        return any(raw) if isinstance(raw, tuple) else raw not in (None, "")

    return filled


def _default(attribute: dict[str, Any], where: str) -> Prop:
    """The property a shorthand value or bare operator compares, or a 400 naming the choices."""
    default, props = TYPES.get(attribute["type"], (None, {}))
    if default is None:
        if not props:
            raise _fail(where, f"{_described(attribute)} can only be filtered with $not_empty")
        raise _fail(
            where, f"filter {_described(attribute)} by one of its properties: {', '.join(props)}"
        )
    return props[default]


def _sort_property(attribute: dict[str, Any], field: Any, where: str) -> Prop:
    default, props = TYPES.get(attribute["type"], (None, {}))
    if field is None:
        field = default or SORT_DEFAULT.get(attribute["type"])
        if field is None:
            raise _fail(where, f"{_described(attribute)} cannot be sorted")
    if not isinstance(field, str) or field not in props:
        known = ", ".join(props) or "none"
        raise _fail(f"{where}.field", f'{_described(attribute)} has no field "{field}" ({known})')
    return props[field]


def _order(
    subjects: list[Subject], keys: list[tuple[Callable[[Subject], Any], bool]]
) -> list[Subject]:
    """Stable multi-key sort; subjects without a value for a key come last in either direction."""
    ordered = list(subjects)
    for key, descending in reversed(keys):
        keyed = [(key(s), s) for s in ordered]
        present = [pair for pair in keyed if pair[0] is not None]
        present.sort(key=lambda pair: pair[0], reverse=descending)  # stays stable when reversed
        ordered = [s for _, s in present] + [s for k, s in keyed if k is None]
    return ordered


# --- small helpers ---------------------------------------------------------------------------


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return lambda subject: all(p(subject) for p in parts)


def _any(parts: list[Predicate]) -> Predicate:
    return lambda subject: any(p(subject) for p in parts)


def _negate(part: Predicate) -> Predicate:
    return lambda subject: not part(subject)


def _on(getter: Getter, block: Callable[[list[Value]], bool]) -> Predicate:
    return lambda subject: block(getter(subject))


def _allowed_objects(attribute: dict[str, Any]) -> list[str]:
    config = (attribute.get("config") or {}).get("record_reference") or {}
    return list(config.get("allowed_object_ids") or [])


def _described(attribute: dict[str, Any], prop: Prop | None = None) -> str:
    described = f'the {attribute["type"]} attribute "{attribute["api_slug"]}"'
    return described if prop is None else f'the property "{prop.name}" of {described}'


def _unknown_attribute(key: str) -> str:
    return f'unknown attribute "{key}": no attribute here has this slug or ID'


def _misplaced(key: str) -> str:
    if key in _COMPARISONS or key in _ALIASES or key in _EXISTENCE:
        return f'"{key}" applies to an attribute, e.g. {{"<attribute>": {{"{key}": …}}}}'
    return f'unknown operator "{key}" (logical operators are $and, $or and $not)'


def _json_kind(raw: Any) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int | float):
        return "a number"
    if isinstance(raw, str):
        return f'"{raw}"'
    return "an array" if isinstance(raw, list) else "an object"
