"""The HTTP API of a real server over real HTTP on loopback: docs/API.md's curl examples as
written, the role matrix, 401/403/429, the audit trail, and reports equal to the CLI's JSON."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_support import AS_OF, e2e_conftest

from tests.unit.test_ingest_cli import CONTRACT_KEYS

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "API.md"
FAILURES_ALLOWED = 5


@dataclass(frozen=True)
class Api:
    """A served demo store, its tokens by role and the CLI's environment."""

    url: str
    port: int
    folder: Path
    env: dict[str, str]
    tokens: dict[str, str]

    def cli(self, *args: str) -> tuple[int, str, str]:
        """`python -m clinic ARGS` on the served store (handed to the server)."""
        done = subprocess.run(
            [sys.executable, "-m", "clinic", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return done.returncode, done.stdout, done.stderr

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: bytes | None = None,
        source: str = "127.0.0.1",
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body, headers) of one request from the loopback address `source`."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=120, source_address=(source, 0)
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        ctype = response.getheader("content-type", "")
        data = json.loads(raw) if ctype.startswith("application/json") else raw.decode()
        return response.status, data, dict(response.getheaders())

    def audit(self, limit: int = 1) -> list[dict]:
        """The newest audit rows."""
        code, out, err = self.cli("audit", "show", "--limit", str(limit), "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture(scope="module")
def api(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A seeded demo store served by a real server; one token per role made through the CLI."""
    conftest = e2e_conftest(request)
    folder = tmp_path_factory.mktemp("api")
    db = folder / "clinic.duckdb"
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env = {**keep, "CLINIC_DB": str(db), "CLINIC_AS_OF": AS_OF.isoformat(),
           "CLINIC_SYSLOG": "off", "PYTHONPATH": str(ROOT),
           "CLINIC_API_FAILURES": f"{FAILURES_ALLOWED}/15 minutes"}  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        mp.delenv("CLINIC_KEY_FILE", raising=False)
        conftest._seed(db)
    server = conftest.Server(db, env=env)
    try:
        made = Api(server.url, server.port, folder, env, {})
        for role in ("admin", "manager", "staff", "auditor"):
            code, out, err = made.cli("tokens", "add", f"{role}-token", "--role", role, "--json")
            assert code == 0, err
            document = json.loads(out)
            assert set(document) == {"name", "role", "token"} and document["role"] == role
            made.tokens[role] = document["token"]
        yield made
    finally:
        server.stop()


def _examples() -> list[tuple[int, str]]:
    """(expected status, shell command) of every ```sh block of docs/API.md."""
    text = API_DOC.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        expected = re.match(r"# answers (\d{3})\n", block)
        assert expected, f"an example of docs/API.md says no status: {block}"
        found.append((int(expected[1]), block))
    return found


def test_the_curl_examples_of_the_docs_answer_as_written(api: Api, tmp_path: Path) -> None:
    """Each curl example of docs/API.md, run by /bin/sh with real curl, answers the status it
    names, with a JSON body."""
    examples = _examples()
    assert len(examples) >= 8
    # curl's own configuration file appends the status, so the examples run as written.
    (tmp_path / ".curlrc").write_text('write-out = "\\n%{http_code}"\n', encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CLINIC_URL": api.url,
        "TOKEN": api.tokens["staff"],
        "ADMIN_TOKEN": api.tokens["admin"],
        "AUDITOR_TOKEN": api.tokens["auditor"],
    }
    for status, command in examples:
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        body, _, code = done.stdout.rpartition("\n")
        assert done.returncode == 0 and int(code) == status, (command, done.stdout, done.stderr)
        json.loads(body)


def test_imports_follow_the_role_matrix_and_every_call_is_audited(api: Api) -> None:
    """Staff import (200, the import --json report), auditor refused (403), a wrong and a
    revoked token (401), a rejected file (422 with every problem); each is in the audit trail."""
    sample = (ROOT / "data" / "samples" / "side_effects_export.csv").read_bytes()
    path = "/api/v1/imports/side-effects?filename=side_effects_export.csv"
    status, report, _h = api.call("POST", path, api.tokens["staff"], sample)
    assert status == 200, report
    assert set(report) == CONTRACT_KEYS  # the command line's `import --json`
    (row,) = api.audit()
    assert (row["action"], row["outcome"], row["username"], row["role"], row["object"]) == (
        "api",
        "200",
        "api:staff-token",
        "staff",
        "POST /api/v1/imports/side-effects",
    )
    assert (
        api.call("GET", "/api/v1/health", api.tokens["staff"])[1]["last_import"]["import_id"]
        == report["import_id"]
    )

    status, body, _h = api.call("POST", path, api.tokens["auditor"], sample)
    assert status == 403 and "auditor" in body["error"]
    assert api.audit()[0]["outcome"] == "403"
    assert api.call("POST", "/api/v1/imports/prices", api.tokens["staff"], b"x")[0] == 403

    status, body, headers = api.call("POST", path, "clinic_wrong", sample)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    (row,) = api.audit()
    assert (row["action"], row["outcome"], row["username"]) == ("api", "401", None)
    assert api.call("POST", path, None, sample)[0] == 401

    code, _out, err = api.cli("tokens", "add", "short-lived", "--role", "staff", "--json")
    token = json.loads(_out)["token"]
    assert api.call("GET", "/api/v1/health", token)[0] == 200
    assert api.cli("tokens", "revoke", "short-lived")[0] == 0
    assert api.call("GET", "/api/v1/health", token)[0] == 401
    code, out, _err = api.cli("tokens", "list", "--json")
    listed = {t["name"]: t for t in json.loads(out)}
    assert listed["short-lived"]["revoked_at"] and listed["staff-token"]["revoked_at"] is None
    assert "token" not in listed["staff-token"] and "clinic_" not in out

    bad = b"Appointment ID,Date Reported,Side Effect,Severity\nNO-SUCH,31/02/2025,bruising,mild\n"
    status, report, _h = api.call("POST", "/api/v1/imports/side-effects", api.tokens["staff"], bad)
    assert status == 422 and report["rejected"] >= 1 and report["errors"], report
    assert {e["line"] for e in report["errors"]} == {2}
    # A word no mapping knows stops the file once, as `import --json` says it (exit 3 there).
    odd = b"Appointment ID,Date Reported,Side Effect,Severity\nNO-SUCH,01/02/2025,itch,mild\n"
    status, report, _h = api.call("POST", "/api/v1/imports/side-effects", api.tokens["staff"], odd)
    assert status == 422 and [(u["column"], u["value"]) for u in report["unmapped"]] == [
        ("effect", "itch")
    ], report


def test_reports_equal_the_command_lines_json(api: Api) -> None:
    """Every report with options gives the rows `report ... --json` prints; wrong options 400."""
    for name, query, args in (
        ("revenue", "by=month&from=2025-01-01", ["--by", "month", "--from", "2025-01-01"]),
        ("revenue", "by=site&funding=self-pay", ["--by", "site", "--funding", "self-pay"]),
        ("compliance", "as_of=2026-06-30", ["--as-of", "2026-06-30"]),
        ("complications", "by=clinician&serious=true", ["--by", "clinician", "--serious"]),
    ):
        status, rows, _h = api.call("GET", f"/api/v1/reports/{name}?{query}", api.tokens["admin"])
        code, out, _err = api.cli("report", name, *args, "--json")
        assert status == 200 and code == 0 and rows == json.loads(out), (name, query)
        assert rows, (name, query)
    status, rows, _h = api.call("GET", "/api/v1/reports/complications", api.tokens["auditor"])
    assert status == 200
    assert api.call("GET", "/api/v1/reports/revenue", api.tokens["auditor"])[0] == 403
    assert api.call("GET", "/api/v1/reports/compliance", api.tokens["staff"])[0] == 403
    status, body, _h = api.call("GET", "/api/v1/reports/revenue?colour=red", api.tokens["admin"])
    assert status == 400 and "colour" in body["error"]
    assert api.call("GET", "/api/v1/reports/nothing", api.tokens["admin"])[0] == 404


def test_backups_are_for_administrators(api: Api) -> None:
    """An admin's POST writes a backup folder with its manifest; a manager's is refused."""
    assert api.call("POST", "/api/v1/backups", api.tokens["manager"])[0] == 403
    status, body, _h = api.call("POST", "/api/v1/backups", api.tokens["admin"])
    assert status == 201 and (Path(body["folder"]) / "manifest.json").is_file(), body
    assert Path(body["folder"]).parent == api.folder / "backups"


def test_the_api_reaches_nothing_else_and_failed_tokens_are_limited(api: Api) -> None:
    """Paths under /api/v1 that are no call are 404 from the API (never Streamlit's page), a
    path that climbs out is gated as any other, and failed tokens from one address are limited:
    past the limit even a good token waits (429), while another address still gets in."""
    status, body, _h = api.call("GET", "/api/v1/_stcore/host-config", api.tokens["admin"])
    assert status == 404 and "error" in body
    assert api.call("GET", "/api/v1/../_stcore/host-config")[0] == 401
    source = "127.0.0.9"
    statuses = [
        api.call("GET", "/api/v1/health", "clinic_guess", source=source)[0]
        for _ in range(FAILURES_ALLOWED + 1)
    ]
    assert statuses == [401] * FAILURES_ALLOWED + [429], statuses
    status, _body, headers = api.call("GET", "/api/v1/health", api.tokens["staff"], source=source)
    assert status == 429 and int(headers["retry-after"]) > 0
    assert api.call("GET", "/api/v1/health", api.tokens["staff"], source="127.0.0.10")[0] == 200
