"""`nianbao demo` end to end, as a new user runs it: crawl, store, check, digest; twice."""

from __future__ import annotations

import json
import re
import sqlite3
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from tests.conftest import run_cli
from tests.ports import free_port


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return {
            t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("raw_documents", "reports", "report_cells", "findings", "digest_outbox")
        }


def test_demo_twice(project, tmp_path: Path) -> None:
    config = project()
    port = str(free_port())  # one free port for both runs, so the portal URLs stay the same
    first = run_cli("demo", "--port", port, config=config)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "sites: 4" in first.stdout and "reports stored: 9" in first.stdout
    assert "late 1" in first.stdout and "missing_year" in first.stdout
    # The link robots.txt forbids is a crawl error, not a failed download: every portal answered.
    counts = re.search(r"\((\d+) answered, (\d+) failed downloads\)", first.stderr)
    assert counts and int(counts[1]) > 0 and counts[2] == "0", first.stderr[-2000:]

    outbox = tmp_path / "data" / "outbox"
    [eml] = outbox.glob("*.eml")
    [html] = outbox.glob("*.html")
    assert str(eml) in first.stdout
    msg = message_from_bytes(eml.read_bytes(), policy=default)
    text = msg.get_body(("plain",)).get_content()
    page = html.read_text(encoding="utf-8")
    for body in (text, page):
        assert "平罗县机关事务服务中心" in body and "逾期发布" in body  # 2021 report, published 2022-03-15
        assert "2022-03-15" in body
        assert "平罗县审批服务管理局" in body and "缺报" in body  # its 2023 report
    assert "未发现平罗县审批服务管理局2023年度政府信息公开工作年度报告" in text

    findings = json.loads(run_cli("findings", "--format", "json", config=config).stdout)
    late = [f for f in findings if f["kind"] == "late"]
    assert [(f["agency"], f["report_year"]) for f in late] == [("平罗县机关事务服务中心", 2021)]
    missing = {(f["agency"], f["report_year"]) for f in findings if f["kind"] == "missing_year"}
    assert ("平罗县审批服务管理局", 2023) in missing
    assert ("平罗县审批服务管理局", 2022) not in missing and ("彭阳县审批服务管理局", 2023) not in missing

    reports = json.loads(run_cli("reports", "--format", "json", config=config).stdout)
    seed_002 = [r for r in reports if r["agency"] == "平罗县审批服务管理局" and r["report_year"] == 2024]
    assert seed_002 and any("16 values for 15 columns" in w for w in seed_002[0]["warnings"])

    before = _counts(tmp_path / "data" / "nianbao.db")
    second = run_cli("demo", "--port", port, config=config)
    assert second.returncode == 0, second.stderr[-3000:]
    assert _counts(tmp_path / "data" / "nianbao.db") == before
    assert "new 0 changed 0" in second.stdout and "0 new" in second.stdout
    assert "not written again" in second.stdout
    assert len(list(outbox.glob("*.eml"))) == 1
