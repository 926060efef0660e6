"""Workspace targets: the embedded local workspace, local:PATH, URLs, and where tokens come from."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from schemactl.attio.client import AttioClient
from schemactl.attio.errors import AttioAuthError, AttioError, MissingTokenError
from schemactl.attio.targets import (
    LOCAL_BASE_URL,
    TargetError,
    enable_debug_log,
    open_client,
    resolve_token,
    token_variable,
)
from schemactl.emulator import Emulator, EmulatorConfig
from schemactl.emulator.server import build_server
from schemactl.errors import SchemactlError, UsageError
from schemactl.project import Environment

CANARY = "canary-7Fq2-DO-NOT-PRINT-9xZ"
PROJECTS = {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"}


def _slugs(client: AttioClient) -> set[str]:
    return {o["api_slug"] for o in client.get("objects")}


# --- local --------------------------------------------------------------------------------------


def test_local_creates_its_database_in_dot_schemactl_and_keeps_it(tmp_path):
    with open_client("local", project_root=tmp_path, token=None) as client:
        assert client.base_url == LOCAL_BASE_URL
        client.post("objects", PROJECTS)
    assert (tmp_path / ".schemactl" / "local.db").is_file()
    with open_client("local", project_root=tmp_path, token=None) as again:
        assert "projects" in _slugs(again)


def test_closing_the_client_closes_the_local_database(tmp_path):
    # SQLite removes a WAL file when the last connection to its database closes.
    wal = tmp_path / ".schemactl" / "local.db-wal"
    client = open_client("local", project_root=tmp_path, token=None)
    client.post("objects", PROJECTS)
    assert wal.exists()
    client.close()
    assert not wal.exists()
    client.close()  # twice is harmless


def test_local_needs_no_token_and_ignores_one(tmp_path):
    # The embedded workspace is reached over an in-process "http://" URL, where a token would
    # be refused; it is simply not sent.
    with open_client("local", project_root=tmp_path, token=CANARY) as client:
        assert "people" in _slugs(client)


def test_local_path_is_relative_to_the_project_root(tmp_path):
    with open_client("local:state/dev.db", project_root=tmp_path, token=None) as client:
        client.post("objects", PROJECTS)
    assert (tmp_path / "state" / "dev.db").is_file()
    assert not (tmp_path / ".schemactl").exists()
    with open_client("local:state/dev.db", project_root=tmp_path, token=None) as again:
        assert "projects" in _slugs(again)
    with open_client("local", project_root=tmp_path, token=None) as default:
        assert "projects" not in _slugs(default)  # another workspace altogether


def test_local_path_may_be_absolute(tmp_path):
    elsewhere = tmp_path / "elsewhere" / "ws.db"
    with open_client(f"local:{elsewhere}", project_root=tmp_path / "project", token=None) as c:
        c.post("objects", PROJECTS)
    assert elsewhere.is_file()


def test_local_memory_is_a_throwaway_workspace(tmp_path):
    with open_client("local::memory:", project_root=tmp_path, token=None) as client:
        client.post("objects", PROJECTS)
    with open_client("local::memory:", project_root=tmp_path, token=None) as fresh:
        assert "projects" not in _slugs(fresh)
    assert list(tmp_path.iterdir()) == []


def test_local_without_a_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="needs a path"):
        open_client("local:", project_root=tmp_path, token=None)


def test_a_local_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(AttioError, match="cannot open the local workspace"):
        open_client("local:notes.db", project_root=tmp_path, token=None)


# --- URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["ATTIO_API_TOKEN", "ATTIO_TOKEN_PROD"])
def test_a_url_without_a_token_says_which_variable_to_set(tmp_path, variable):
    with pytest.raises(MissingTokenError) as caught:
        open_client(
            "https://api.attio.com/v2", project_root=tmp_path, token=None, token_env=variable
        )
    assert str(caught.value) == (
        f"no Attio API token for https://api.attio.com/v2: set the environment variable {variable}"
    )
    assert isinstance(caught.value, SchemactlError) and caught.value.exit_code == 1


def test_a_url_target_opens_an_http_client_without_sending_anything(tmp_path):
    with open_client("https://api.attio.com/v2/", project_root=tmp_path, token=CANARY) as client:
        assert client.base_url == "https://api.attio.com/v2"
        assert client.total_requests == 0
        assert CANARY not in repr(client)


def test_a_url_target_refuses_credentials_in_the_url(tmp_path):
    with pytest.raises(TargetError, match=r"\$ATTIO_API_TOKEN") as caught:
        open_client(f"https://me:{CANARY}@api.attio.com/v2", project_root=tmp_path, token=None)
    assert CANARY not in str(caught.value)


@pytest.mark.parametrize(
    "target", ["ftp://api.attio.com/v2", "https://api.attio.com", "https://api.attio.com/v1", ""]
)
def test_an_unknown_target_is_a_usage_error(tmp_path, target):
    with pytest.raises(UsageError, match="use local, local:PATH or an http"):
        open_client(target, project_root=tmp_path, token=None)


@pytest.fixture
def served() -> Iterator[str]:
    """An emulator served over real HTTP on loopback that wants CANARY; yields its /v2 URL."""
    app = Emulator(EmulatorConfig(tokens={CANARY: None}))
    server = build_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/v2"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    app.close()


def test_a_url_target_talks_http_with_the_token(tmp_path, served):
    with open_client(served, project_root=tmp_path, token=CANARY) as client:
        client.post("objects", PROJECTS)
        assert "projects" in _slugs(client)
    with (
        open_client(served, project_root=tmp_path, token="wrong") as stranger,
        pytest.raises(AttioAuthError) as caught,
    ):
        stranger.get("objects")
    assert caught.value.status == 401


# --- tokens -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "env", "expected"),
    [
        (Environment("dev"), {"ATTIO_API_TOKEN": "dev-token"}, "dev-token"),
        (None, {"ATTIO_API_TOKEN": "dev-token"}, "dev-token"),
        (Environment("dev"), {}, None),
        (Environment("dev"), {"ATTIO_API_TOKEN": "  \n"}, None),
        (Environment("dev"), {"ATTIO_API_TOKEN": "pasted\n"}, "pasted"),
        (
            Environment("prod", token_env="ATTIO_TOKEN_PROD"),
            {"ATTIO_TOKEN_PROD": "prod-token", "ATTIO_API_TOKEN": "dev-token"},
            "prod-token",
        ),
        # An environment naming its own variable never borrows the default one.
        (Environment("prod", token_env="ATTIO_TOKEN_PROD"), {"ATTIO_API_TOKEN": "dev-token"}, None),
    ],
    ids=["default", "no-env", "unset", "blank", "newline", "named", "no-fallback"],
)
def test_resolve_token(environment, env, expected):
    assert resolve_token(environment, env) == expected


def test_token_variable_names_where_the_token_lives():
    assert token_variable(Environment("dev")) == "ATTIO_API_TOKEN"
    assert token_variable(Environment("prod", token_env="PROD_KEY")) == "PROD_KEY"
    assert token_variable(None) == "ATTIO_API_TOKEN"


def test_resolve_token_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("SCHEMACTL_TEST_TOKEN", "from-the-shell")
    assert resolve_token(Environment("ci", token_env="SCHEMACTL_TEST_TOKEN")) == "from-the-shell"


# --- debug ------------------------------------------------------------------------------------


@pytest.fixture
def attio_logger() -> Iterator[logging.Logger]:
    """The client's logger, put back as it was afterwards."""
    logger = logging.getLogger("schemactl.attio")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_debug_logs_each_request_to_stderr_without_the_token(
    tmp_path, served, capsys, attio_logger
):
    with open_client(served, project_root=tmp_path, token=CANARY, debug=True) as client:
        client.get("objects")
    enable_debug_log()  # a second time adds no second handler
    err = capsys.readouterr().err
    assert "debug: attio: GET /v2/objects -> 200" in err
    assert err.count("GET /v2/objects -> 200") == 1
    assert CANARY not in err


def test_without_debug_nothing_is_printed(tmp_path, capsys, attio_logger):
    with open_client("local", project_root=tmp_path, token=None) as client:
        client.get("objects")
    assert capsys.readouterr().err == ""
