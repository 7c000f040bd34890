"""Fault injection: mutated documents of every form never raise out of ``parse_document``, never
run over their time budget, and never make the parsing process's memory grow without bound; the
two decompression bombs that were found are refused by a limit, cheaply, with the reason.

Inputs are parsed in a child process (tests/fuzzing.py) so that a hang is killed and memory is
measured apart from the test runner. The longer run is ``bench/fuzz``.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import fuzzing

SEED = 20261207
# Inputs per form: about 1,130 in all, under a minute on a loaded 2-core machine. The forms read
# through LibreOffice (DOC, WPS, and XLS that xlrd cannot read) cost seconds each: few of them.
COUNTS = {"text": 300, "html": 250, "docx": 300, "xlsx": 250, "pdf": 24, "xls": 2, "doc": 1, "wps": 1}
LIMITS = {"converter_seconds": 30.0}  # a LibreOffice run is killed after this
RSS_GROWTH_MB = 300.0  # above the child's warmed-up resident size


def budget(form: str) -> float:
    """Seconds one input of ``form`` may take: a converter's limit and start-up for the
    LibreOffice forms, 10 s for the readers in this process."""
    return LIMITS["converter_seconds"] + 15 if form in fuzzing.SLOW_FORMS else 10.0


def test_every_form_has_seeds_and_every_mutation_is_used() -> None:
    items = list(fuzzing.inputs(COUNTS, SEED))
    assert len(items) == sum(COUNTS.values())
    assert {i.form for i in items} == set(fuzzing.FORMS)
    assert {i.mutation for i in items} == set(fuzzing.MUTATIONS)
    originals = {(form, name): data for form in COUNTS for name, data in fuzzing.seeds(form)}
    assert sum(1 for i in items if i.data != originals[(i.form, i.seed)]) > 0.9 * len(items)


def test_mutated_documents_never_raise_hang_or_blow_up_memory() -> None:
    items = list(fuzzing.inputs(COUNTS, SEED))
    report = fuzzing.run(items, kill_after=max(budget(f) for f in fuzzing.FORMS) + 5, limits=LIMITS)
    assert len(report.outcomes) == len(items), "every input parsed or recorded"
    crashes = report.crashes()
    assert not crashes, f"{len(crashes)} exceptions out of parse_document, first: {crashes[0].label}\n{crashes[0].error}"
    slow = report.slow(budget)
    assert not slow, "over the time budget: " + ", ".join(f"{o.label} {o.seconds:.1f} s" for o in slow)
    assert report.growth_mb < RSS_GROWTH_MB, f"resident memory grew {report.growth_mb:.0f} MB"
    statuses = {o.status for o in report.outcomes}
    assert "other/failed" in statuses or "report/failed" in statuses  # damage was seen, and said so
    failed = [o for o in report.outcomes if o.status.endswith("/failed")]
    assert all(o.reason for o in failed), "every failed parse says why"


# ---------------------------------------------------------------------------------------------
# The two bombs found by fault injection, built here.
# ---------------------------------------------------------------------------------------------
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bomb(megabytes: int = 400) -> bytes:
    """A DOCX of about 0.4 MB whose word/document.xml inflates to ``megabytes`` MB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'.encode())
            paragraph = b"<w:p><w:r><w:t>" + b"0" * (1 << 20) + b"</w:t></w:r></w:p>"
            for _ in range(megabytes):
                f.write(paragraph)
            f.write(b"</w:body></w:document>")
    return buf.getvalue()


def xlsx_with_last_row(title: str | None) -> bytes:
    """An XLSX whose sheet claims ``<dimension ref="A1:A1048576"/>`` and holds one cell at
    A1048576 (and ``title`` at A1, when given)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws["A1"] = title
    ws["A1048576"] = "末行"
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:A1048576"/>', data)
                assert b'<dimension ref="A1:A1048576"/>' in data
            z.writestr(info.filename, data)
    return out.getvalue()


def _one(form: str, data: bytes, hints: dict[str, str] | None = None) -> fuzzing.Outcome:
    item = fuzzing.FuzzInput(0, form, "built", "bomb", data, hints or {})
    report = fuzzing.run([item], kill_after=60)
    assert len(report.outcomes) == 1 and not report.outcomes[0].error, report.outcomes[0].error
    return report.outcomes[0]


def test_docx_bomb_is_refused_unread_with_the_reason() -> None:
    bomb = docx_bomb()
    assert len(bomb) < 2_000_000
    out = _one("docx", bomb)
    assert out.status == "other/failed"
    assert re.fullmatch(r"limit: docx member word/document\.xml inflates to 400\.\d MB \(limit \d+\.\d MB\)", out.reason), out.reason
    assert out.seconds < 5 and out.rss_growth_mb < 50, (out.seconds, out.rss_growth_mb)


def test_docx_bomb_named_as_a_report_stays_a_report() -> None:
    # Published but unreadable is still published: filed with the reason, no cells.
    # 60 MB is under the size limit; a ratio over 1000:1 is not.
    out = _one("docx", docx_bomb(60), {"title": fuzzing.REPORT_TITLE})
    assert out.status == "report/failed"
    assert re.fullmatch(r"limit: docx member word/document\.xml compression ratio \d{4}:1 \(limit \d+:1\)", out.reason), out.reason


def test_xlsx_claiming_the_last_row_reads_only_the_cell_it_holds() -> None:
    from parser import parse_document

    data = xlsx_with_last_row(None)
    assert len(data) < 6000
    out = _one("xlsx", data)
    assert out.status == "other/not_report" and out.seconds < 5 and out.rss_growth_mb < 50
    assert "末行" in parse_document(data, fuzzing.MEDIA_TYPES["xlsx"]).text


def test_xlsx_whose_used_range_spans_a_million_rows_is_refused_with_the_reason() -> None:
    out = _one("xlsx", xlsx_with_last_row("某县2021年政府信息公开工作年度报告"))
    assert out.status == "other/failed" and out.seconds < 5 and out.rss_growth_mb < 50, out
    assert out.reason == "limit: xlsx sheet 'Sheet' used range 1,048,576 rows × 1 columns = 1,048,576 cells (limit 500,000 cells)"


def test_limits_come_from_settings_and_a_document_over_one_is_kept_and_recorded(tmp_path: Path) -> None:
    from core.settings import settings_from_dict
    from storage.db import Database
    from storage.ingest import Ingestor
    from storage.models import CrawlError, RawDocument
    from storage.rawstore import RawStore

    settings = settings_from_dict({"parser": {"limits": {"sheet_cells": 3}}})
    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    ingestor = Ingestor.from_settings(db, RawStore(tmp_path / "raw"), settings)
    import openpyxl

    wb = openpyxl.Workbook()
    for row in (["项目", "数量"], ["收到申请", 5]):
        wb.active.append(row)
    raw = io.BytesIO()
    wb.save(raw)
    url = "https://example.gov.cn/a/list.xlsx"
    result = ingestor.ingest(url=url, body=raw.getvalue(), site_id=None, media_type=fuzzing.MEDIA_TYPES["xlsx"])
    assert result.outcome == "failed"
    assert result.message == "limit: xlsx sheet xl/worksheets/sheet1.xml holds 4 cells (limit 3 cells)"
    with db.session() as s:
        assert s.scalar(select(RawDocument.sha256).where(RawDocument.url == url)) == result.sha256  # kept
        assert s.execute(select(CrawlError.kind, CrawlError.detail)).all() == [("parse", result.message)]


@pytest.mark.parametrize("bad", [{"sheet_cells": 0}, {"xml_bytes": "much"}, {"pages": 5}])
def test_bad_limit_settings_are_rejected_naming_the_key(bad: dict) -> None:
    from core.settings import SettingsError, settings_from_dict

    with pytest.raises(SettingsError, match=r"parser\.limits\." + next(iter(bad))):
        settings_from_dict({"parser": {"limits": bad}})


def test_plain_text_served_as_wps_is_read_without_libreoffice() -> None:
    import time

    from parser import parse_document

    text = next(iter(fuzzing.seeds("text")))[1].decode("utf-8")
    body = (text * (240_000 // len(text.encode("utf-8")) + 1)).encode("utf-8")
    assert len(body) > 235_000
    started = time.monotonic()
    parsed = parse_document(body, fuzzing.MEDIA_TYPES["wps"])
    assert time.monotonic() - started < 5
    assert parsed.parse_status != "failed" and text.splitlines()[0].strip() in parsed.text
