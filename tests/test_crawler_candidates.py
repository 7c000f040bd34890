"""Recall first, checked by a real crawl of one loopback TRS column: inside a configured 年报
column every article is fetched unless its title is clear negative evidence; the parser decides
what is a report. A report whose only attachment is an OFD file is filed as a report, and the
file is kept raw with parse status ``unsupported_format``, never read as text."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

from nianbao.demo.families import Article, Attachment, TrsColumn
from nianbao.demo.server import Handler, PortalServer
from tests.portal_sim import SimPortal, _report, _robots, _title
from tests.portal_sim.harness import crawl, query, stored_reports, write_settings

STATS, WATER, JUSTICE, FOREST = "洪雅县统计局", "洪雅县水务局", "洪雅县司法局", "洪雅县林业局"
NEWS = "我县扎实推进基层政务公开标准化规范化建设"
INTERPRETATION = f"《{_title(STATS, 2023)}》解读"


def _ofd_file() -> bytes:
    """An OFD package (GB/T 33190: a ZIP whose entry point is OFD.xml); no reader here reads it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"/>')
        z.writestr("Doc_0/Document.xml", '<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>')
    return buf.getvalue()


def candidates_portal(host: str) -> SimPortal:
    column = TrsColumn(
        prefix="",
        column_dir="zfxxgk/nb",
        site_name="洪雅县人民政府",
        page_size=10,
        articles=[
            # The list cut the title short: no 年度报告 words left. The page is the report.
            Article(_title(STATS, 2023)[:22] + "…", date(2024, 1, 18), _report("pingluo_affairs_2021", STATS, 2023), publisher=STATS),
            # No year in the title: only the page body says which year.
            Article(f"{WATER}政府信息公开工作年度报告", date(2024, 1, 19), _report("pengyang_approval_2021", WATER, 2023), publisher=WATER),
            # Full-width digits.
            Article(f"{FOREST}２０２３年政府信息公开工作年度报告", date(2024, 1, 20), _report("xixia_approval_2020", FOREST, 2023), publisher=FOREST),
            # The report is only an OFD attachment.
            Article(
                _title(JUSTICE, 2023),
                date(2024, 1, 22),
                "<p>详见附件。</p>",
                attachments=[Attachment(_title(JUSTICE, 2023) + ".ofd", _ofd_file())],
                publisher=JUSTICE,
            ),
            Article(NEWS, date(2024, 1, 23), "<p>今年以来，我县围绕基层政务公开标准化规范化建设，梳理公开事项清单，完善政务公开专区。</p>"),
            Article(INTERPRETATION, date(2024, 1, 24), "<p>解读内容</p>", publisher=STATS),
        ],
    )
    routes: dict[str, Handler] = {"/robots.txt": _robots(), **column.routes()}
    portal = SimPortal(
        "candidates",
        "洪雅县人民政府",
        PortalServer(routes, host=host),
        [column.index_path],
        [(STATS, 2023), (WATER, 2023), (FOREST, 2023), (JUSTICE, 2023)],
        cms="trs",
    )
    portal.paths = {a.title: p for a, p in column.detail_url_paths()}  # type: ignore[attr-defined]
    return portal


def test_every_article_of_the_column_is_a_candidate_and_the_parser_decides(tmp_path: Path) -> None:
    portal = candidates_portal("127.0.0.31")
    with portal.server:  # type: ignore[union-attr]
        config = write_settings(tmp_path, [portal.spec()])
        summary = crawl(config)
        asked = [r.path for r in portal.server.requests()]  # type: ignore[union-attr]
    paths = portal.paths  # type: ignore[attr-defined]
    assert stored_reports(config) == sorted(portal.expected), summary["_log"][-3000:]

    # The news item says nothing either way: fetched and judged by the parser, kept raw, not a report.
    assert paths[NEWS] in asked
    outcome = query(config, "SELECT ingest_outcome FROM raw_documents WHERE url LIKE ?", "%" + paths[NEWS])
    assert outcome == [("not_report",)]
    # Clear negative evidence in the title: never requested.
    assert paths[INTERPRETATION] not in asked

    # The OFD report: the page is the report (agency and year from the page), unreadable.
    rows = query(
        config,
        "SELECT r.parse_status, r.format, r.source_url, (SELECT count(*) FROM report_cells c WHERE c.report_id = r.id), r.warnings "
        "FROM reports r JOIN agencies a ON a.id = r.agency_id WHERE a.name = ?",
        JUSTICE,
    )
    assert len(rows) == 1
    status, fmt, source, cells, warnings = rows[0]
    assert (status, fmt, cells) == ("unsupported_format", None, 0)
    assert ".ofd" in warnings  # the reason: its text is only in a file no reader reads
    assert source.endswith(paths[_title(JUSTICE, 2023)])
    # The file itself was fetched and kept, with its form and the reason it was not read.
    files = query(config, "SELECT media_type, ingest_outcome FROM raw_documents WHERE url LIKE '%.ofd'")
    assert files == [("application/ofd", "unsupported_format")]
    reports_from_files = query(config, "SELECT count(*) FROM reports WHERE source_url LIKE '%.ofd'")
    assert reports_from_files == [(0,)]
