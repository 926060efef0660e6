"""Check a loaded YAML document against a JSON Schema and explain each failure in plain words.

Every diagnostic is one line: text quoted from the user's file has its line breaks, control
characters and unpaired surrogates escaped (`\\n`, `\\x85`, `\\ud800`), so a key such as
`"a\\nb"` cannot split a problem over two lines or stop the CLI from printing it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from schemactl.errors import Diagnostic, Location
from schemactl.manifest.yaml_loader import Document, KeyPath, format_key_path

_JSON_TYPE_NAMES = {
    "object": "a map",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


# Characters that would break a diagnostic's single line or cannot be printed as UTF-8.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def one_line(text: str) -> str:
    """`text` as one printable line: line breaks, control characters and unpaired surrogates
    are written as escapes (`\\n`, `\\t`, `\\x85`, `\\u2028`, `\\ud800`)."""
    return _UNPRINTABLE.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


def one_line_diagnostic(diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic with its file, message and key path each on one printable line."""
    location = diagnostic.location
    shown = (location.file, diagnostic.message, diagnostic.key_path)
    safe = tuple(one_line(text) for text in shown)
    if safe == shown:
        return diagnostic
    return Diagnostic(Location(safe[0], location.line, location.column), safe[1], safe[2])


def schema_diagnostics(document: Document, validator: Draft202012Validator) -> list[Diagnostic]:
    """Every way `document` breaks the validator's schema, each at the exact key or value."""
    data = {} if document.data is None else document.data
    diagnostics: list[Diagnostic] = list(_surrogate_diagnostics(document, document.data, ()))
    for error in validator.iter_errors(data):
        for leaf in _relevant(error):
            diagnostics.extend(_explain(leaf, document))
    return [one_line_diagnostic(d) for d in diagnostics]


def _surrogate_diagnostics(document: Document, value: Any, path: KeyPath) -> Iterator[Diagnostic]:
    """Text holding a surrogate (YAML's `"\\ud83d"` escape; PyYAML never pairs two of them) is not
    Unicode: it can be neither sent to Attio as UTF-8 nor printed, so it is refused anywhere."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            yield _surrogate_diagnostic(document, path, at_key=False)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _surrogate_diagnostics(document, item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _SURROGATE.search(key):
                yield _surrogate_diagnostic(document, (*path, key), at_key=True)
            yield from _surrogate_diagnostics(document, item, (*path, key))


def _surrogate_diagnostic(document: Document, path: KeyPath, *, at_key: bool) -> Diagnostic:
    what = "key" if at_key else "text"
    return Diagnostic(
        document.location(path, at_key=at_key),
        f"this {what} holds a surrogate escape such as \\ud83d, which is not a Unicode "
        "character; write the character itself, or escape its code point as \\U0001F600",
        format_key_path(path),
    )


def _relevant(error: ValidationError) -> Iterator[ValidationError]:
    """Look inside anyOf/oneOf: report the branch that matched the value's type, if just one did."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        by_branch: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            by_branch.setdefault(sub.schema_path[0], []).append(sub)
        # A branch whose only complaint is about the value's own type is a branch that did not fit.
        fitting = [
            subs
            for subs in by_branch.values()
            if not any(s.validator in ("type", "const") and not s.relative_path for s in subs)
        ]
        if len(fitting) == 1:
            for sub in fitting[0]:
                yield from _relevant(sub)
            return
    yield error


def _explain(error: ValidationError, document: Document) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    key_path = format_key_path(path)

    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for key in _unexpected_keys(error.instance, schema):
            message = f"unknown key '{key}'{_suggest(str(key), allowed)}"
            if allowed:
                message += f"; expected one of: {', '.join(allowed)}"
            child = (*path, key)
            yield Diagnostic(document.location(child, at_key=True), message, format_key_path(child))
        return
    if "propertyNames" in error.schema_path:
        title = schema.get("title", "name")
        yield Diagnostic(
            document.location((*path, error.instance), at_key=True),
            f"invalid {title} '{error.instance}': {schema.get('patternErrorMessage', '')}".rstrip(
                ": "
            ),
            format_key_path((*path, error.instance)),
        )
        return

    at_key = False
    if "errorMessage" in schema:
        message = schema["errorMessage"]
        # A refused or missing key is best shown at the key of the map it belongs to.
        about_keys = error.validator in ("not", "const", "required") or (
            error.validator == "anyOf"
            and all(set(branch) == {"required"} for branch in error.validator_value)
        )
        at_key = about_keys and bool(path)
    elif error.validator == "required":
        missing = _missing_key(error.message)
        message = f"missing required key '{missing}'"
        at_key = bool(path)
    elif error.validator == "enum":
        title = schema.get("title", "value")
        options = [str(o) for o in error.validator_value if o is not None]
        suggestion = _suggest(str(error.instance), options)
        # With a likely typo the suggestion says enough; otherwise list what is accepted.
        accepted = "" if suggestion else f"; expected one of: {', '.join(options)}"
        message = f"unknown {title} {_show(error.instance)}{suggestion}{accepted}"
    elif error.validator == "pattern":
        title = schema.get("title", "value")
        help_text = schema.get("patternErrorMessage", f"must match {error.validator_value}")
        message = f"invalid {title} {_show(error.instance)}: {help_text}"
    elif error.validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_JSON_TYPE_NAMES.get(n, n) for n in names)
        message = f"expected {wanted}, got {_describe_value(error.instance)}"
    elif error.validator == "minItems":
        message = f"needs at least {error.validator_value} item(s)"
    elif error.validator == "minLength":
        message = "cannot be empty"
    elif error.validator == "uniqueItems":
        message = "lists the same value more than once"
    elif error.validator == "minProperties":
        message = f"needs at least {_entries(error.validator_value)}"
    elif error.validator == "maxProperties":
        message = f"has more than {_entries(error.validator_value)}"
    else:
        message = error.message
    yield Diagnostic(document.location(path, at_key=at_key), message, key_path)


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _unexpected_keys(instance: Any, schema: dict[str, Any]) -> list[Any]:
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [
        key
        for key in instance
        if key not in properties and not any(re.search(p, str(key)) for p in patterns)
    ]


def _missing_key(message: str) -> str:
    match = re.match(r"'(.*)' is a required property", message)
    return match.group(1) if match else message


def _suggest(value: str, options: list[str]) -> str:
    by_case = {option.lower(): option for option in options}
    close = difflib.get_close_matches(value.lower(), list(by_case), n=1, cutoff=0.6)
    return f" (did you mean '{by_case[close[0]]}'?)" if close else ""


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else _describe_value(value)


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string '{value}'" if len(value) <= 40 else "a string"
    return f"{value!r}"
