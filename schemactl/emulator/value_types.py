"""Attribute values per type: parsing, validation, normalisation and identity."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.workspace import Workspace

SUPPORTED_TYPES = (
    "text number checkbox currency date timestamp rating status select record-reference "
    "actor-reference location domain email-address phone-number personal-name"
).split()
READ_ONLY_TYPES = ("interaction",)
_STAMP_KEYS = ("active_from", "active_until", "created_by_actor")
# Which keys make two values "the same value" (for uniqueness, matching and de-duplication);
# types not listed compare on every key but the stamps.
_IDENTITY = {
    "select": ("_option_id",),
    "status": ("_status_id",),
    "record-reference": ("target_record_id",),
    "actor-reference": ("referenced_actor_type", "referenced_actor_id"),
    "email-address": ("email_address",),
    "domain": ("domain",),
    "phone-number": ("phone_number",),
}


# --- attributes --------------------------------------------------------------------------------


def live_attributes(ws: Workspace, parent_id: str) -> list[dict[str, Any]]:
    """The unarchived attributes of an object or list, in creation order."""
    return [a for a in ws.store.all("attribute", parent_id) if not a["is_archived"]]


def find_attribute(attributes: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """An attribute by slug or id among `attributes`; 400 value_not_found otherwise."""
    for attribute in attributes:
        if key in (attribute["api_slug"], attribute["id"]["attribute_id"]):
            return attribute
    raise errors.value_not_found(f'Cannot find attribute with slug/ID "{key}".')


# --- identity ----------------------------------------------------------------------------------


def holders(
    ws: Workspace, kind: str, parent_id: str, attribute_id: str, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The stored `kind`s under `parent_id` whose active values of the attribute include any of
    `items` (compared by identity, so `A@x.com` matches `a@x.com`)."""
    wanted = {comparable(item) for item in items}
    return [
        other
        for other in ws.store.all(kind, parent_id)
        if any(comparable(v) in wanted for v in active(other["_values"].get(attribute_id, [])))
    ]


def comparable(item: dict[str, Any]) -> Any:
    """A value's identity, ignoring when and by whom it was written."""
    keys = _IDENTITY.get(item.get("attribute_type", ""))
    if keys is not None:
        return (item.get("attribute_type"), *(repr(item.get(k)) for k in keys))
    return tuple(sorted((k, repr(v)) for k, v in item.items() if k not in _STAMP_KEYS))


def active(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The current values among stored ones (replaced values have `active_until` set)."""
    return [item for item in items if item.get("active_until") is None]


# --- parsing -----------------------------------------------------------------------------------


def parse_values(ws: Workspace, attribute: dict[str, Any], raw: Any) -> list[dict[str, Any]]:
    """One attribute's value(s) from a request: a single value, a list, or null (clear)."""
    slug = attribute["api_slug"]
    if attribute["type"] in READ_ONLY_TYPES:
        raise errors.immutable(
            f'Values of {attribute["type"]} attributes such as "{slug}" are set by Attio '
            "and cannot be written."
        )
    if attribute["is_system_attribute"] and not attribute["is_writable"]:
        raise errors.immutable(f'Cannot write values of the system attribute "{slug}".')
    if not attribute["is_writable"]:
        raise errors.immutable(f'The attribute "{slug}" is not writable.')
    if attribute["type"] not in SUPPORTED_TYPES:
        raise errors.validation(f"values of type {attribute['type']} are not supported")
    return parse_items(ws, attribute, raw)


def parse_items(ws: Workspace, attribute: dict[str, Any], raw: Any) -> list[dict[str, Any]]:
    """Value(s) of any attribute, writable or not (for matching on, e.g., `record_id`)."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > 1 and not attribute["is_multiselect"]:
        raise errors.validation(
            f'The attribute "{attribute["api_slug"]}" accepts a single value, '
            f"but {len(items)} were given."
        )
    parsed = [parse_one(ws, attribute, item) for item in items]
    seen: set[Any] = set()
    return [p for p in parsed if not (comparable(p) in seen or seen.add(comparable(p)))]


def parse_one(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    """One value of an attribute, parsed by its type's parser."""
    parser = _PARSERS.get(attribute["type"])
    if parser is None:
        raise errors.validation(f"values of type {attribute['type']} are not supported")
    return {"attribute_type": attribute["type"], **parser(ws, attribute, item)}


def _bad(attribute: dict[str, Any], need: str) -> errors.ApiError:
    return errors.validation(f'Invalid value for attribute "{attribute["api_slug"]}": {need}.')


def _fields(
    attribute: dict[str, Any], item: dict[str, Any], allowed: set[str], required: set[str]
) -> dict[str, Any]:
    """An object value's keys, checked: unknown and missing keys are refused by name."""
    unknown = sorted(set(item) - allowed - {"attribute_type"})
    if unknown:
        raise _bad(attribute, f'unrecognised field "{unknown[0]}"')
    missing = sorted(required - set(item))
    if missing:
        raise _bad(attribute, f'"{missing[0]}" is required')
    return item


def _unwrap(attribute: dict[str, Any], item: Any, key: str, *aliases: str) -> Any:
    """The object form (`{"value": …}`) as well as the shorthand."""
    if not isinstance(item, dict):
        return item
    names = (key, *aliases)
    _fields(attribute, item, set(names), set())
    present_keys = [n for n in names if n in item]
    if not present_keys:
        raise _bad(attribute, f'"{key}" is required')
    return item[present_keys[0]]


def _text(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    value = _unwrap(attribute, item, "value")
    if not isinstance(value, str):
        raise _bad(attribute, "expected a string")
    return {"value": value}


def _number(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    value = _unwrap(attribute, item, "value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(attribute, "expected a number")
    return {"value": value}


def _checkbox(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    value = _unwrap(attribute, item, "value")
    if value in ("true", "false"):
        value = value == "true"
    if not isinstance(value, bool):
        raise _bad(attribute, "expected a boolean")
    return {"value": value}


def _rating(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    value = _unwrap(attribute, item, "value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
        raise _bad(attribute, "expected a whole number of stars from 0 to 5")
    return {"value": value}


def _currency(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    code = (attribute["config"].get("currency") or {}).get("default_currency_code")
    if isinstance(item, dict):
        # `amount`/`currency` is the simplified reference's spelling of the same thing.
        _fields(attribute, item, {"currency_value", "currency_code", "amount", "currency"}, set())
        given_code = item.get("currency_code", item.get("currency", code))
        if given_code != code:
            raise _bad(attribute, f"the currency is fixed by the attribute ({code})")
        item = item.get("currency_value", item.get("amount"))
    if isinstance(item, str):
        try:
            item = float(item)
        except ValueError:
            raise _bad(attribute, f'"{item}" is not a number') from None
        if item != item or item in (float("inf"), float("-inf")):
            raise _bad(attribute, "expected a finite number")
    if isinstance(item, bool) or not isinstance(item, int | float):
        raise _bad(attribute, "expected a number")
    return {"currency_value": item, "currency_code": code}


def _date(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    value = _unwrap(attribute, item, "value")
    moment, _ = _moment(attribute, value, 'an ISO 8601 date such as "2026-03-01"')
    return {"value": moment.date().isoformat()}


def _timestamp(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    value = _unwrap(attribute, item, "value")
    need = 'an ISO 8601 timestamp such as "2026-03-01T12:00:00Z"'
    moment, nanos = _moment(attribute, value, need)
    return {"value": moment.strftime("%Y-%m-%dT%H:%M:%S.") + nanos + "Z"}


_ISO = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)


def _moment(attribute: dict[str, Any], value: Any, need: str) -> tuple[datetime, str]:
    """An ISO 8601 date or date-time coerced to UTC as Attio does (missing parts are zero), and
    its nine fractional digits: datetime itself stops at microseconds."""
    match = _ISO.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise _bad(attribute, f"expected {need}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    fraction = (fraction or "").ljust(9, "0")
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(fraction[:6]),
            tzinfo=UTC,
        )
    except ValueError:
        raise _bad(attribute, f'"{value}" is not a calendar date and time') from None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment, fraction


def _choice(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    kind = "option" if attribute["type"] == "select" else "status"
    value = _unwrap(attribute, item, kind)
    id_key = f"{kind}_id"
    if isinstance(value, dict):  # {"option": {"option_id": …}} or {"status": {"title": …}}
        value = value.get(id_key, value.get("title"))
    if not isinstance(value, str):
        raise _bad(attribute, f"expected a {kind} title or id")
    for choice in ws.store.all(kind, attribute["id"]["attribute_id"]):
        if value in (choice["title"], choice["id"][id_key]):
            if choice["is_archived"]:
                raise _bad(attribute, f'the {kind} "{choice["title"]}" is archived')
            return {f"_{id_key}": choice["id"][id_key]}
    raise errors.value_not_found(
        f'Cannot find {kind} with title or ID "{value}" for attribute "{attribute["api_slug"]}".'
    )


def _actor(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    if isinstance(item, dict) and "workspace_member_email_address" in item:
        item = _unwrap(attribute, item, "workspace_member_email_address")
    if isinstance(item, str):
        member = next(
            (
                m
                for m in ws.store.all("member")
                if m["email_address"].lower() == item.strip().lower()
            ),
            None,
        )
        if member is None:
            raise errors.value_not_found(
                f'Cannot find workspace member with email address "{item}".'
            )
        return _member_reference(member["id"]["workspace_member_id"])
    if not isinstance(item, dict):
        raise _bad(attribute, "expected a workspace member's email address or id")
    fields = {"referenced_actor_type", "referenced_actor_id"}
    _fields(attribute, item, fields, fields)
    if item["referenced_actor_type"] != "workspace-member":
        raise _bad(attribute, 'only actors of type "workspace-member" can be written')
    member_id = item["referenced_actor_id"]
    if not isinstance(member_id, str) or ws.store.get("member", member_id) is None:
        raise errors.value_not_found(f'Cannot find workspace member with ID "{member_id}".')
    return _member_reference(member_id)


def _member_reference(member_id: str) -> dict[str, Any]:
    return {"referenced_actor_type": "workspace-member", "referenced_actor_id": member_id}


# The standard objects Attio lets a reference name by a string: object slug -> matching slug.
_REFERENCE_SHORTHANDS = {
    "companies": "domains",
    "people": "email_addresses",
    "users": "user_id",
    "workspaces": "workspace_id",
}


def _reference(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    allowed = attribute["config"].get("record_reference", {}).get("allowed_object_ids") or []
    if isinstance(item, str):
        item = _string_reference(ws, attribute, allowed, item)
    if not isinstance(item, dict):
        raise _bad(attribute, "expected an object with target_object and target_record_id")
    if "record_id" in item and "target_record_id" not in item:
        # `{"record_id": …}`: the simplified reference's spelling.
        rest = {k: v for k, v in item.items() if k != "record_id"}
        item = {**rest, "target_record_id": item["record_id"]}
    target = _target_object(ws, attribute, allowed, item)
    if "target_record_id" in item:
        _fields(attribute, item, {"target_object", "target_record_id"}, set())
        record_id = item["target_record_id"]
        found = ws.store.get("record", record_id) if isinstance(record_id, str) else None
        if found is None or found["id"]["object_id"] != target["id"]["object_id"]:
            raise errors.value_not_found(
                f'Cannot find {target["api_slug"]} record with ID "{record_id}" '
                f'for attribute "{attribute["api_slug"]}".'
            )
    else:
        found = _match_reference(ws, attribute, target, item)
    return {
        "target_object": target["api_slug"],
        "target_record_id": found["id"]["record_id"],
        "_target_object_id": target["id"]["object_id"],
    }


def _string_reference(
    ws: Workspace, attribute: dict[str, Any], allowed: list[str], text: str
) -> dict[str, Any]:
    """`"acme.com"` for a reference to companies, an email address for people, …"""
    objects = [ws.store.get("object", object_id) or {} for object_id in allowed]
    slugs = [o.get("api_slug") for o in objects if o.get("_standard")]
    if len(allowed) != 1 or len(slugs) != 1 or slugs[0] not in _REFERENCE_SHORTHANDS:
        raise _bad(
            attribute,
            "a string names a record only when the attribute allows exactly one of "
            "companies, people, users or workspaces",
        )
    return {"target_object": slugs[0], _REFERENCE_SHORTHANDS[slugs[0]]: [text]}


def _target_object(
    ws: Workspace, attribute: dict[str, Any], allowed: list[str], item: dict[str, Any]
) -> dict[str, Any]:
    name = item.get("target_object")
    if name is None and len(allowed) == 1:
        name = allowed[0]
    if not isinstance(name, str):
        raise _bad(attribute, '"target_object" is required')
    try:
        target = ws.object(name)
    except errors.ApiError:
        raise errors.value_not_found(f'Cannot find object with slug/ID "{name}".') from None
    if allowed and target["id"]["object_id"] not in allowed:
        raise _bad(attribute, f'records of "{target["api_slug"]}" are not allowed here')
    return target


def _match_reference(
    ws: Workspace, attribute: dict[str, Any], target: dict[str, Any], item: dict[str, Any]
) -> dict[str, Any]:
    """The one record of `target` whose unique attribute holds the value given, e.g.
    `{"target_object": "companies", "domains": [{"domain": "acme.com"}]}`."""
    keys = [k for k in item if k not in ("target_object", "attribute_type")]
    if len(keys) != 1:
        raise _bad(attribute, 'expected "target_record_id" or one matching attribute')
    object_id = target["id"]["object_id"]
    try:
        matching = find_attribute(live_attributes(ws, object_id), keys[0])
    except errors.ApiError:
        raise _bad(attribute, f'"{keys[0]}" is not an attribute of {target["api_slug"]}') from None
    if not matching["is_unique"]:
        raise _bad(attribute, f'"{keys[0]}" is not a unique attribute, so it cannot match')
    try:
        wanted = parse_items(ws, matching, item[keys[0]])
    except errors.ApiError as error:
        raise _bad(attribute, error.message.rstrip(".")) from None
    found = holders(ws, "record", object_id, matching["id"]["attribute_id"], wanted)
    if not found:
        raise errors.value_not_found(
            f'Cannot find a {target["api_slug"]} record whose "{keys[0]}" matches '
            f'for attribute "{attribute["api_slug"]}".'
        )
    if len(found) > 1:
        raise errors.ApiError(
            400,
            "multiple_match_results",
            f'Several {target["api_slug"]} records match the "{keys[0]}" given for '
            f'attribute "{attribute["api_slug"]}".',
        )
    return found[0]


_LOCATION_FIELDS = (
    "line_1 line_2 line_3 line_4 locality region postcode country_code latitude longitude"
).split()
_LATITUDE = re.compile(r"^[-+]?([1-8]?\d(\.\d+)?|90(\.0+)?)$")
_LONGITUDE = re.compile(r"^[-+]?(180(\.0+)?|((1[0-7]\d)|([1-9]?\d))(\.\d+)?)$")


def _location(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return _parse_address(item)
    if not isinstance(item, dict):
        raise _bad(attribute, "expected an address string or an object of location fields")
    # Attio requires every field in the object form, null where unknown.
    _fields(attribute, item, set(_LOCATION_FIELDS), set(_LOCATION_FIELDS))
    location: dict[str, Any] = {}
    for key in _LOCATION_FIELDS:
        value = item[key]
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and key
            in (
                "latitude",
                "longitude",
            )
        ):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise _bad(attribute, f'"{key}" must be a string or null')
        location[key] = value
    code = location["country_code"]
    if code is not None and code.upper() not in COUNTRY_CALLING_CODES:
        raise _bad(attribute, f'"{code}" is not an ISO 3166-1 alpha-2 country code')
    location["country_code"] = code.upper() if code else None
    for key, pattern in (("latitude", _LATITUDE), ("longitude", _LONGITUDE)):
        if location[key] is not None and not pattern.match(location[key]):
            raise _bad(attribute, f'"{key}" is out of range')
    return location


def _parse_address(text: str) -> dict[str, Any]:
    """`"1 Infinite Loop, Cupertino, CA, 95014, US"` into fields: a trailing country code,
    then a postcode (a part with a digit), then region and locality; the rest are lines."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    location: dict[str, Any] = dict.fromkeys(_LOCATION_FIELDS)
    if parts and parts[-1].upper() in COUNTRY_CALLING_CODES and len(parts[-1]) == 2:
        location["country_code"] = parts.pop().upper()
    if len(parts) > 1 and re.search(r"\d", parts[-1]) and len(parts[-1]) <= 10:
        location["postcode"] = parts.pop()
    if len(parts) >= 2:
        location["region"] = parts.pop()
    if parts:
        location["locality"] = parts.pop()
    lines = parts[:3] + ([", ".join(parts[3:])] if len(parts) > 3 else [])
    for index, line in enumerate(lines, start=1):
        location[f"line_{index}"] = line
    return location


# Suffixes under which registrations sit one level deeper (acme.co.uk). Not the full public
# suffix list: enough for the common cases without a dependency.
_TWO_LEVEL_SUFFIXES = set(
    (
        "co.uk org.uk ac.uk gov.uk ltd.uk plc.uk me.uk net.uk com.au net.au org.au edu.au "
        "gov.au co.nz org.nz net.nz co.jp ne.jp or.jp ac.jp co.za org.za com.br net.br com.cn "
        "net.cn org.cn com.mx co.in net.in org.in co.kr or.kr com.sg com.hk com.tw com.tr "
        "co.il com.ar com.co com.pe com.my com.ph co.id co.th com.vn com.ng com.eg com.sa"
    ).split()
)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _domain(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    value = _unwrap(attribute, item, "domain")
    if not isinstance(value, str):
        raise _bad(attribute, 'expected a domain such as "acme.com"')
    domain = _normal_domain(value)
    if domain is None:
        raise _bad(attribute, f'"{value}" is not a domain')
    return {"domain": domain, "root_domain": _root_domain(domain)}


def _normal_domain(text: str) -> str | None:
    """A bare host name from a domain or URL (scheme, path, query and port trimmed)."""
    host = text.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = host.rpartition("@")[2].partition(":")[0].rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None  # an IP address, not a domain
    return host


def _root_domain(domain: str) -> str:
    labels = domain.split(".")
    depth = 3 if ".".join(labels[-2:]) in _TWO_LEVEL_SUFFIXES else 2
    return ".".join(labels[-depth:])


_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def _email(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        # `primary` comes from the simplified reference's examples; Attio has no such flag.
        _fields(attribute, item, {"email_address", "original_email_address", "primary"}, set())
        item = item.get("email_address", item.get("original_email_address"))
    if not isinstance(item, str):
        raise _bad(attribute, "expected an email address")
    original = item.strip()
    local, at, host = original.lower().rpartition("@")
    domain = _normal_domain(host) if at and host == host.strip() else None
    if not local or len(local) > 64 or not _LOCAL_PART.match(local) or domain != host:
        raise _bad(attribute, f'"{item}" is not a valid email address')
    return {
        "original_email_address": original,
        "email_address": f"{local}@{domain}",
        "email_domain": domain,
        "email_root_domain": _root_domain(domain),
        "email_local_specifier": local,
    }


def _phone(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    country: Any = None
    if isinstance(item, dict):
        # Attio wants country_code in the object form (null when the number has a "+"
        # prefix); `phone_number` and `type` are the simplified reference's spelling.
        allowed = {"original_phone_number", "phone_number", "country_code", "type"}
        _fields(attribute, item, allowed, {"country_code"})
        country = item["country_code"]
        item = item.get("original_phone_number", item.get("phone_number"))
    if not isinstance(item, str):
        raise _bad(attribute, "expected a phone number")
    if country is not None and (
        not isinstance(country, str) or country.upper() not in COUNTRY_CALLING_CODES
    ):
        raise _bad(attribute, f'"{country}" is not an ISO 3166-1 alpha-2 country code')
    number, code = _e164(item, country.upper() if country else None)
    if number is None or code is None:
        raise _bad(
            attribute,
            f'"{item}" is not a phone number in E.164 form (start it with "+" and the country '
            "calling code, or give a country_code)",
        )
    return {"original_phone_number": item, "country_code": code, "phone_number": number}


def _e164(text: str, country: str | None) -> tuple[str | None, str | None]:
    """The E.164 form of a number and its country: from a "+"/"00" prefix, else the country
    given (dropping a national trunk 0). Numbering plans are not checked."""
    compact = re.sub(r"[\s().\-/]", "", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d+", compact):
        return None, None
    if compact.startswith("+"):
        digits = compact[1:]
        calling = next((digits[:n] for n in (1, 2, 3) if digits[:n] in _COUNTRY_OF_CODE), None)
        if calling is None:
            return None, None
        if country is None or COUNTRY_CALLING_CODES[country] != calling:
            country = _COUNTRY_OF_CODE[calling]
    elif country is not None:
        calling = COUNTRY_CALLING_CODES[country]
        national = compact if country in ("IT", "SM", "VA") else compact.removeprefix("0")
        digits = calling + national
    else:
        return None, None
    if not 7 <= len(digits) <= 15 or len(digits) - len(calling) < 4:
        return None, None
    return "+" + digits, country


def _personal_name(ws: Workspace, attribute: dict[str, Any], item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        # "Last name(s), First name(s)"; without a comma it is all first name, and further
        # commas belong to the first name.
        last, comma, first = item.partition(",")
        first, last = (first.strip(), last.strip()) if comma else (item.strip(), "")
        return {"first_name": first, "last_name": last, "full_name": f"{first} {last}".strip()}
    if not isinstance(item, dict):
        raise _bad(attribute, 'expected "Last, First" or an object with the three name fields')
    fields = {"first_name", "last_name", "full_name"}
    _fields(attribute, item, fields, fields)
    for key in sorted(fields):
        if not isinstance(item[key], str):
            raise _bad(attribute, f'"{key}" must be a string')
    return {key: item[key] for key in ("first_name", "last_name", "full_name")}


_Parser = Callable[[Workspace, dict[str, Any], Any], dict[str, Any]]
_PARSERS: dict[str, _Parser] = {
    "text": _text,
    "number": _number,
    "checkbox": _checkbox,
    "rating": _rating,
    "currency": _currency,
    "date": _date,
    "timestamp": _timestamp,
    "select": _choice,
    "status": _choice,
    "actor-reference": _actor,
    "record-reference": _reference,
    "location": _location,
    "domain": _domain,
    "email-address": _email,
    "phone-number": _phone,
    "personal-name": _personal_name,
}


# ISO 3166-1 alpha-2 code -> ITU country calling code, for the codes Attio's document lists.
COUNTRY_CALLING_CODES: dict[str, str] = dict(
    pair.split(":")
    for pair in (
        "US:1 CA:1 AS:1 AI:1 AG:1 BS:1 BB:1 BM:1 KY:1 DM:1 DO:1 GD:1 GU:1 JM:1 MS:1 MP:1 PR:1 "
        "KN:1 LC:1 VC:1 TT:1 TC:1 UM:1 VG:1 VI:1 SX:1 RU:7 KZ:7 EG:20 ZA:27 GR:30 NL:31 BE:32 "
        "FR:33 ES:34 HU:36 IT:39 VA:39 RO:40 CH:41 AT:43 GB:44 GG:44 IM:44 JE:44 DK:45 SE:46 "
        "NO:47 SJ:47 BV:47 PL:48 DE:49 PE:51 MX:52 CU:53 AR:54 BR:55 CL:56 CO:57 VE:58 MY:60 "
        "AU:61 CX:61 CC:61 ID:62 PH:63 NZ:64 PN:64 SG:65 TH:66 JP:81 KR:82 VN:84 CN:86 TR:90 "
        "IN:91 PK:92 AF:93 LK:94 MM:95 IR:98 SS:211 MA:212 EH:212 DZ:213 TN:216 LY:218 GM:220 "
        "SN:221 MR:222 ML:223 GN:224 CI:225 BF:226 NE:227 TG:228 BJ:229 MU:230 LR:231 SL:232 "
        "GH:233 NG:234 TD:235 CF:236 CM:237 CV:238 ST:239 GQ:240 GA:241 CG:242 CD:243 AO:244 "
        "GW:245 IO:246 AC:247 SC:248 SD:249 RW:250 ET:251 SO:252 DJ:253 KE:254 TZ:255 UG:256 "
        "BI:257 MZ:258 ZM:260 MG:261 RE:262 YT:262 TF:262 ZW:263 NA:264 MW:265 LS:266 BW:267 "
        "SZ:268 KM:269 SH:290 ER:291 AW:297 FO:298 GL:299 GI:350 PT:351 LU:352 IE:353 IS:354 "
        "AL:355 MT:356 CY:357 FI:358 AX:358 BG:359 LT:370 LV:371 EE:372 MD:373 AM:374 BY:375 "
        "AD:376 MC:377 SM:378 UA:380 RS:381 ME:382 XK:383 HR:385 SI:386 BA:387 MK:389 CZ:420 "
        "SK:421 LI:423 FK:500 GS:500 BZ:501 GT:502 SV:503 HN:504 NI:505 CR:506 PA:507 PM:508 "
        "HT:509 GP:590 BL:590 MF:590 BO:591 GY:592 EC:593 GF:594 PY:595 MQ:596 SR:597 UY:598 "
        "CW:599 BQ:599 AN:599 TL:670 NF:672 AQ:672 HM:672 BN:673 NR:674 PG:675 TO:676 SB:677 "
        "VU:678 FJ:679 PW:680 WF:681 CK:682 NU:683 WS:685 KI:686 NC:687 TV:688 PF:689 TK:690 "
        "FM:691 MH:692 KP:850 HK:852 MO:853 KH:855 LA:856 BD:880 TW:886 MV:960 LB:961 JO:962 "
        "SY:963 IQ:964 KW:965 SA:966 YE:967 OM:968 PS:970 AE:971 IL:972 BH:973 QA:974 BT:975 "
        "MN:976 NP:977 TJ:992 TM:993 AZ:994 GE:995 KG:996 UZ:998"
    ).split()
)
# Calling code -> the country a "+" number is taken for; shared codes go to the first listed.
_COUNTRY_OF_CODE: dict[str, str] = {}
for _country, _code in COUNTRY_CALLING_CODES.items():
    _COUNTRY_OF_CODE.setdefault(_code, _country)
