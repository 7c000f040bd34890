"""Every published form parses to the same cells: the corpus in tests/corpus/<form>/.

Each document has ``<name>.expected.json`` beside it; ``same_as`` points at a hand-written seed
golden in tests/golden/. Every cell is compared: a missing or an extra cell fails, and blank
(null) is not 0. A form marked ``subset`` (tables printed without lines) is read only in part:
there every cell read must be right, and at least ``min_cells`` must be read. Regenerate the corpus with ``python tests/make_corpus.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.mediatype import sniff_media_type
from parser import parse_document
from parser.readers import ReaderError, reader_for

CORPUS = Path(__file__).with_name("corpus")
GOLDEN = Path(__file__).with_name("golden")
NEEDS_SOFFICE = {"doc", "wps"}  # read through LibreOffice (XLS needs none: xlrd reads it)
COMPARED = ("kind", "parse_status")
COMPARED_FOR_REPORTS = ("agency", "report_year", "format", "sections_present")


def corpus_documents() -> list[Path]:
    return sorted(
        p for p in CORPUS.glob("*/*") if not p.name.endswith(".json") and p.with_suffix(".expected.json").exists()
    )


def expected_for(doc: Path) -> dict[str, Any]:
    """The expected result: the file itself, or the golden it names, with its own keys on top."""
    own = json.loads(doc.with_suffix(".expected.json").read_text(encoding="utf-8"))
    if "same_as" not in own:
        return own
    golden = json.loads((GOLDEN / own["same_as"]).read_text(encoding="utf-8"))
    return {**golden, **{k: v for k, v in own.items() if k not in ("same_as", "note", "xfail")}}


def subset_differences(got: dict, want: dict, min_cells: int) -> list[str]:
    """For a form read only in part: every cell read is right or blank, and enough are read."""
    diffs = cell_differences(got, want)
    out = [d for d in diffs if ": extra" in d or (", want " in d and "got None" not in d and "missing" not in d)]
    read = sum(1 for rows in got.values() for cols in rows.values() for v in cols.values() if v is not None)
    if read < min_cells:
        out.append(f"only {read} cells read, want at least {min_cells}")
    return out


def cell_differences(got: dict, want: dict) -> list[str]:
    """Every cell that is missing, extra or different, as 'section/row/column: got … want …'."""
    flat = lambda cells: {f"{s}/{r}/{c}": v for s, rows in cells.items() for r, cols in rows.items() for c, v in cols.items()}  # noqa: E731
    g, w = flat(got), flat(want)
    out = [f"{k}: missing (want {w[k]!r})" for k in w if k not in g]
    out += [f"{k}: extra (got {g[k]!r})" for k in g if k not in w]
    out += [f"{k}: got {g[k]!r}, want {w[k]!r}" for k in w if k in g and (g[k] != w[k] or type(g[k]) is not type(w[k]))]
    return sorted(out)


def test_corpus_covers_every_form() -> None:
    docs = corpus_documents()
    forms = {p.parent.name for p in docs}
    assert len(docs) >= 40, f"only {len(docs)} corpus documents"
    assert {"pdf", "docx", "doc", "wps", "xls", "xlsx"} <= forms
    too_big = [p.name for p in docs if p.stat().st_size > 200 * 1024]
    assert not too_big, f"corpus files over 200 KB: {too_big}"


def corpus_params() -> list[Any]:
    """Corpus documents as test parameters; an ``xfail`` in the expected file names a known bug."""
    params = []
    for doc in corpus_documents():
        reason = json.loads(doc.with_suffix(".expected.json").read_text(encoding="utf-8")).get("xfail")
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(doc, marks=marks, id=f"{doc.parent.name}/{doc.name}"))
    return params


@pytest.mark.parametrize("doc", corpus_params())
def test_corpus_document(doc: Path) -> None:
    if doc.parent.name in NEEDS_SOFFICE and not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice (soffice) is not installed, and antiword alone loses merged tables: "
                    "run scripts/install-system-deps")
    data = doc.read_bytes()
    media_type = sniff_media_type(data, None, doc.name)
    assert reader_for(media_type) is not None, f"no reader for {media_type}"
    parsed = parse_document(data, media_type, url=f"https://example.gov.cn/corpus/{doc.parent.name}/{doc.name}")
    want = expected_for(doc)
    keys = COMPARED + (COMPARED_FOR_REPORTS if want.get("kind") == "report" else ())
    got_fields = {k: getattr(parsed, k) for k in keys}
    want_fields = {k: want.get(k) for k in keys}
    problems = [f"{k}: got {got_fields[k]!r}, want {want_fields[k]!r}" for k in keys if got_fields[k] != want_fields[k]]
    if want.get("subset"):
        problems += subset_differences(parsed.nested_cells(), want.get("cells", {}), want["min_cells"])
    else:
        problems += cell_differences(parsed.nested_cells(), want.get("cells", {}))
    assert not problems, f"{doc.parent.name}/{doc.name}: {len(problems)} differences\n" + "\n".join(problems[:40])


# --- reader behaviour the corpus alone does not pin down ----------------------------------------
def test_image_only_takes_agency_and_year_from_the_file_name() -> None:
    data = (CORPUS / "pdf" / "image_only.pdf").read_bytes()
    url = "https://example.gov.cn/upload/%E5%BD%AD%E9%98%B3%E5%8E%BF%E5%AE%A1%E6%89%B9%E6%9C%8D%E5%8A%A1%E7%AE%A1%E7%90%86%E5%B1%802021%E5%B9%B4%E6%94%BF%E5%BA%9C%E4%BF%A1%E6%81%AF%E5%85%AC%E5%BC%80%E5%B7%A5%E4%BD%9C%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf"
    parsed = parse_document(data, "application/pdf", url=url)
    assert (parsed.kind, parsed.parse_status) == ("report", "image_only")
    assert (parsed.agency, parsed.report_year) == ("彭阳县审批服务管理局", 2021)
    assert parsed.cells == []


def test_image_only_prefers_hints() -> None:
    data = (CORPUS / "pdf" / "image_only.pdf").read_bytes()
    parsed = parse_document(
        data,
        "application/pdf",
        url="https://example.gov.cn/a/b/P020220125.pdf",
        hints={"agency": "某县教育局", "report_year": "2021", "title": "某县教育局2021年政府信息公开工作年度报告"},
    )
    assert (parsed.kind, parsed.parse_status, parsed.agency, parsed.report_year) == (
        "report",
        "image_only",
        "某县教育局",
        2021,
    )
    assert parsed.title == "某县教育局2021年政府信息公开工作年度报告"


def test_damaged_pdf_raises_reader_error() -> None:
    with pytest.raises(ReaderError):
        reader_for("application/pdf").to_html(b"%PDF-1.4\n%garbage without objects\n")


def test_pdf_table_continued_on_next_page_is_one_table() -> None:
    html = reader_for("application/pdf").to_html((CORPUS / "pdf" / "002_3d14e9be2d7413b2.pdf").read_bytes()).html
    assert html.count("<table>") == 3, "section 三 split at a page break must stay one table"
    assert 'rowspan="22">三、本年度办理结果' in html  # the merged cell cut by the page end, re-joined


def test_pdf_numbers_drawn_as_separate_runs_read_whole() -> None:
    html = reader_for("application/pdf").to_html((CORPUS / "pdf" / "003_efc90ab21be40f1a.pdf").read_bytes()).html
    assert "<td>7131</td>" in html and "374780" in html


def test_docx_merged_cells_become_spans() -> None:
    html = (
        reader_for("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        .to_html((CORPUS / "docx" / "000_a4584f6e36514f0f.docx").read_bytes())
        .html
    )
    assert '<td rowspan="3" colspan="3">（本列数据的勾稽关系为' in html
    assert '<td rowspan="8">（三）不予公开</td>' in html
    assert '<td colspan="3">2648</td>' in html  # written as two runs "26" + "48"


def test_word_file_that_is_a_web_page_is_read_as_html() -> None:
    page = "<html><head><meta charset='gb2312'></head><body><p>某局2021年政府信息公开工作年度报告</p></body></html>"
    result = reader_for("application/msword").to_html(page.encode("gb2312"))
    assert "某局2021年政府信息公开工作年度报告" in result.html and result.warnings


def test_every_published_media_type_has_a_reader() -> None:
    for media_type in (
        "application/pdf",
        "application/msword",
        "application/vnd.ms-works",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ):
        assert reader_for(media_type) is not None, media_type
    assert reader_for("text/html") is None and reader_for("text/plain") is None
