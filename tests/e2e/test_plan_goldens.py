"""Golden plans: each example's fresh plan as text, Markdown and JSON, compared byte for byte.

Volatile values (ids, fingerprints of live items, timestamps) are normalised first. After a
deliberate change to the output, regenerate with:

    SCHEMACTL_UPDATE_GOLDEN=1 python -m pytest tests/e2e/test_plan_goldens.py

and review the diff of tests/e2e/golden/ like any other change.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import EXAMPLES, REPO, copy_example, name_embedded_workspace, schemactl

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_VARIABLE = "SCHEMACTL_UPDATE_GOLDEN"
# (example, environment, workspace slug the environment expects, if any)
CASES = [(example, "dev", None) for example in EXAMPLES] + [
    ("vc-dealflow", "prod", "northwind-ventures")
]
FORMATS = {"text": "txt", "markdown": "md", "json": "json"}

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_FINGERPRINT = re.compile(r"\bsha256:[0-9a-f]{64}\b")
_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b")


def normalise(text: str) -> str:
    """`text` with ids, live fingerprints and timestamps replaced by stable placeholders."""
    text = _UUID.sub("<id>", text)
    text = _FINGERPRINT.sub("sha256:<fingerprint>", text)
    return _TIMESTAMP.sub("<timestamp>", text)


def golden_name(example: str, environment: str, output_format: str) -> str:
    return f"{example}.{environment}.plan.{FORMATS[output_format]}"


def expected_golden_names() -> set[str]:
    return {golden_name(e, env, f) for e, env, _ in CASES for f in FORMATS}


def assert_matches_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get(UPDATE_VARIABLE) == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no golden file {name}: run with {UPDATE_VARIABLE}=1 to write it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            f"golden/{name}",
            "actual",
        )
        pytest.fail(
            f"the plan differs from golden/{name} (if intended, regenerate with "
            f"{UPDATE_VARIABLE}=1):\n" + "".join(diff)
        )


@pytest.mark.parametrize("output_format", list(FORMATS))
@pytest.mark.parametrize(("example", "environment", "slug"), CASES)
def test_fresh_plan_matches_its_golden(example, environment, slug, output_format, tmp_path):
    project = copy_example(example, tmp_path)
    if slug is not None:
        name_embedded_workspace(project, slug)

    run = schemactl(
        "--no-color",
        "-C",
        project,
        "-e",
        environment,
        "--workspace",
        "local",
        "plan",
        "--format",
        output_format,
    )

    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""
    assert "\x1b[" not in run.stdout
    assert str(tmp_path) not in run.stdout
    assert_matches_golden(golden_name(example, environment, output_format), normalise(run.stdout))


def test_normalise_replaces_every_volatile_value():
    text = (
        '"id": "0e039842-92e1-42b2-a01f-cc016bec1572", "fp": "sha256:'
        + "ab" * 32
        + '", "at": "2026-11-28T10:00:00.123456000Z"'
    )
    assert normalise(text) == '"id": "<id>", "fp": "sha256:<fingerprint>", "at": "<timestamp>"'


def test_golden_files_are_exactly_the_cases_and_hold_nothing_volatile():
    if os.environ.get(UPDATE_VARIABLE) == "1":
        pytest.skip("goldens are being rewritten")
    present = {path.name for path in GOLDEN_DIR.iterdir()} if GOLDEN_DIR.is_dir() else set()
    assert present == expected_golden_names(), "missing or stale golden files"
    for name in present:
        text = (GOLDEN_DIR / name).read_text(encoding="utf-8")
        assert normalise(text) == text, f"{name} holds an unnormalised value"
        assert str(REPO) not in text and "/tmp/" not in text, f"{name} holds a machine path"
        assert text.endswith("\n") and text.strip()
