"""``genlens erase --data DIR`` on a stopped server's data directory: the receipt's counts equal a count in
Python of what was written and no table of the file mentions the user after; hostile command lines exit 2
with a reason and change nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest

from genlens.store.duckdb import DuckDBStore
from genlens.store.erasure import TIED_TABLES
from tests.conftest import cli, run_main
from tests.store.privacy_data import ALICE, BOB, SHARED, expected, mentions, trace_id, workload

W = workload()


def _data(directory: Path) -> Path:
    directory.mkdir()
    store = DuckDBStore(directory / "genlens.duckdb")
    for batch in W.batches():
        store.write(batch)
    store.close()
    return directory


def _rows(directory: Path) -> dict[str, int]:
    con = duckdb.connect(str(directory / "genlens.duckdb"), read_only=True)
    try:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                for t in ("spans", "span_content", "erasure_requests", "audit_log")}
    finally:
        con.close()


def test_erase_a_user_in_a_data_directory(tmp_path: Path) -> None:
    data = _data(tmp_path / "data")
    done = cli("erase", "--user-id", ALICE, "--data", str(data), "--purpose", "ticket 7", "--format", "json")
    assert done.returncode == 0, done.stderr
    receipt = orjson.loads(done.stdout)
    want = expected(W, "user_id", ALICE, "*")
    assert receipt["traces"] == want["traces"] and receipt["remaining"] == 0 and receipt["purpose"] == "ticket 7"
    assert {t: receipt["tables"][t]["found"] for t in TIED_TABLES} == {t: want[t] for t in TIED_TABLES}
    assert all(n == 0 for n in mentions(data / "genlens.duckdb", ALICE).values())
    assert _rows(data)["spans"] == len(W.spans) - want["spans"]

    md = cli("erase", "--trace-id", trace_id(SHARED).upper(), "--tenant", "globex", "--data", str(data))
    assert md.returncode == 0, md.stderr
    assert "| spans | 0 | 0 |" in md.stdout and "traces erased: 0" in md.stdout  # alice's erasure took it
    assert mentions(data / "genlens.duckdb", BOB)["spans"] > 0


@pytest.mark.parametrize(("args", "problem"), [
    ([], "one of the arguments --user-id --conversation-id --trace-id is required"),
    (["--user-id", "a", "--trace-id", "ab" * 16], "not allowed with argument"),
    (["--user-id", ""], "user_id is empty"),
    (["--user-id", "   "], "user_id is empty"),
    (["--user-id", "x" * 257], "longer than 256"),
    (["--user-id", "a\x1b[2Jb"], "control character"),
    (["--conversation-id", "line\nbreak"], "control character"),
    (["--trace-id", "xyz"], "32 hex"),
    (["--user-id", "a", "--tenant", ""], "tenant is empty"),
    (["--user-id", "a", "--tenant", "t\x07"], "control character"),
    (["--user-id", "a", "--purpose", "p" * 501], "purpose is longer"),
    (["--user-id", "a", "--format", "xml"], "invalid choice"),
])
def test_hostile_command_lines_exit_2_and_change_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         args: list[str], problem: str) -> None:
    data = _data(tmp_path / "data")
    before = _rows(data)
    done = run_main(capsys, "erase", *args, "--data", str(data))
    assert done.returncode == 2 and problem in done.stderr, done.stderr
    assert _rows(data) == before


def test_where_to_erase_must_be_one_existing_genlens_directory(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    (tmp_path / "foreign").mkdir()
    duckdb.connect(str(tmp_path / "foreign" / "genlens.duckdb")).close()
    cases = [
        ([], "one of the arguments --data --server is required"),
        (["--data", str(tmp_path), "--server", "http://127.0.0.1:1"], "not allowed with argument"),
        (["--data", str(tmp_path / "missing")], "no data directory"),
        (["--data", str(tmp_path / "empty")], "is not a genlens data directory"),
        (["--data", str(tmp_path / "foreign")], "is not a genlens database"),
    ]
    for args, problem in cases:
        done = run_main(capsys, "erase", "--user-id", ALICE, *args)
        assert done.returncode == 2 and problem in done.stderr, (args, done.stderr)
    assert not (tmp_path / "missing").exists()
    # the same refusals reach a user of the installed command
    done = cli("erase", "--user-id", "", "--data", str(tmp_path / "empty"))
    assert done.returncode == 2 and "user_id is empty" in done.stderr
