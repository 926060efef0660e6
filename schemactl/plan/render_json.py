"""Write a plan as JSON, and read a saved plan back, checking it first."""

from __future__ import annotations

import json
from typing import Any

from schemactl.address import Address, AddressError
from schemactl.plan.changes import ACTIONS, FORMAT_VERSION, Plan
from schemactl.plan.errors import PlanFileError

# Keys a reader must have; the others have defaults, exactly as Plan.from_json reads them.
_REQUIRED_PLAN_KEYS = ("workspace", "changes")
_REQUIRED_CHANGE_KEYS = ("address", "action", "before", "after")
_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def render_json(plan: Plan) -> str:
    """The plan as JSON text (the format `plan -o FILE` writes), ending in a newline."""
    return json.dumps(plan.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def load_plan(text: str) -> Plan:
    """A plan read from JSON text; PlanFileError names the first problem found."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"the plan is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    _check_plan(data)
    return Plan.from_json(data)


def _check_plan(data: Any) -> None:
    _expect(data, "the plan", dict)
    if "format_version" not in data:
        raise PlanFileError("the plan has no format_version: it is not a schemactl plan file")
    version = data["format_version"]
    # `True == 1` in Python, so a bool must not pass for the version number.
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise PlanFileError(
            f"the plan has format_version {json.dumps(version)}, but this schemactl reads "
            f"version {FORMAT_VERSION}: make the plan again with this schemactl"
        )
    _require(data, _REQUIRED_PLAN_KEYS, "the plan")
    _expect(data["workspace"], "workspace", dict)
    for key, value in data["workspace"].items():
        _expect(value, f"workspace.{key}", str, type(None))
    _expect(data.get("environment"), "environment", str, type(None))
    _expect(data["changes"], "changes", list)
    for index, change in enumerate(data["changes"]):
        _check_change(change, f"changes[{index}]")
    _expect(data.get("unmanaged", []), "unmanaged", list)
    for index, item in enumerate(data.get("unmanaged", [])):
        path = f"unmanaged[{index}]"
        _expect(item, path, dict)
        _require(item, ("address",), path)
        _check_address(item["address"], f"{path}.address")
        _expect(item.get("note", ""), f"{path}.note", str)
    _expect(data.get("fingerprints", {}), "fingerprints", dict)
    for key, value in data.get("fingerprints", {}).items():
        _expect(value, f"fingerprints[{json.dumps(key)}]", str)
    _check_strings(data.get("notes", []), "notes")


def _check_change(change: Any, path: str) -> None:
    _expect(change, path, dict)
    _require(change, _REQUIRED_CHANGE_KEYS, path)
    _check_address(change["address"], f"{path}.address")
    if change["action"] not in ACTIONS:
        raise PlanFileError(
            f"{path}.action is {json.dumps(change['action'])}, "
            f"which is not one of {', '.join(ACTIONS)}"
        )
    for side in ("before", "after"):
        _expect(change[side], f"{path}.{side}", dict, type(None))
    _expect(change.get("reason", ""), f"{path}.reason", str)
    _expect(change.get("destructive", False), f"{path}.destructive", bool)
    _expect(change.get("in_use"), f"{path}.in_use", bool, type(None))
    if change.get("renamed_from") is not None:
        _check_address(change["renamed_from"], f"{path}.renamed_from")
    _check_strings(change.get("steps", []), f"{path}.steps")
    _expect(change.get("depends_on", []), f"{path}.depends_on", list)
    for index, address in enumerate(change.get("depends_on", [])):
        _check_address(address, f"{path}.depends_on[{index}]")


def _require(data: dict[str, Any], keys: tuple[str, ...], path: str) -> None:
    for key in keys:
        if key not in data:
            raise PlanFileError(f"{path} is missing {json.dumps(key)}")


def _expect(value: Any, path: str, *types: type) -> None:
    # bool is an int in Python; JSON keeps them apart, and so does this check.
    bool_for_number = isinstance(value, bool) and bool not in types
    if bool_for_number or not isinstance(value, types):
        wanted = " or ".join(dict.fromkeys(_JSON_TYPE_NAMES[t] for t in types))
        raise PlanFileError(f"{path} must be {wanted}, not {_json_type_name(value)}")


def _json_type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _check_strings(value: Any, path: str) -> None:
    _expect(value, path, list)
    for index, item in enumerate(value):
        _expect(item, f"{path}[{index}]", str)


def _check_address(value: Any, path: str) -> None:
    _expect(value, path, str)
    try:
        Address.parse(value)
    except AddressError as error:
        raise PlanFileError(f"{path}: {error}") from None
