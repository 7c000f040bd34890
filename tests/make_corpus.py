#!/usr/bin/env python3
"""Generate the fixture corpus ``tests/corpus/<form>/`` from the seed reports' numbers.

Every binary form is made with a real tool, the way agencies make theirs: PDFs drawn with
reportlab (CJK font ``STSong-Light``, tables with grid lines, page numbers; one table cut by a
page break inside a merged cell, one with numbers drawn digit by digit, one without ruling
lines) and exported by LibreOffice from the DOCX (embedded fonts, rows split across pages);
DOCX with python-docx (merged header cells as in the official form; one with Word's automatic
list numbers); XLSX with openpyxl; DOC, WPS and XLS converted from those by LibreOffice; a
scanned page; and broken documents (an extra cell in a row, a missing row, totals that do not
balance, a notice that is not a report).

Beside each document goes ``<name>.expected.json``: for a seed's numbers it points at the
hand-written golden (``{"same_as": "seeds/<seed>.json"}``, with any field it overrides),
otherwise it lists agency, year, format, kind, status, sections and every cell.

Run ``python tests/make_corpus.py`` after changing it, and commit ``tests/corpus/``. Making the
corpus (not reading it) needs LibreOffice Writer and Calc and a CJK font for the PDF export:
``apt-get install libreoffice-writer-nogui libreoffice-calc-nogui fonts-wqy-microhei``. The output
is deterministic apart from the timestamps the tools write into the files.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import keys as K  # noqa: E402  (after the path set-up, for running as a script)

SEEDS = ROOT / "tests" / "data" / "seeds"
GOLDEN = ROOT / "tests" / "golden"
CORPUS = ROOT / "tests" / "corpus"

Cells = dict[str, dict[str, dict[str, Any]]]  # {section: {row: {column: value}}}


# ============================================================================================
# The document model every renderer draws: headings, paragraphs and HTML-like tables.
# ============================================================================================
@dataclass
class Cell:
    """A printed table cell: text (lines split by ``\\n``) and its span."""

    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Table:
    """Rows of cells with HTML semantics: a row lists only the cells that start in it."""

    rows: list[list[Cell]]
    widths: list[float]  # relative column widths of the grid

    @property
    def n_cols(self) -> int:
        return len(self.widths)

    def placed(self) -> Iterator[tuple[int, int, Cell]]:
        """Every cell with its (row, column) on the grid, as HTML lays it out."""
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while (r, c) in taken:
                    c += 1
                yield r, c, cell
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken.add((r + dr, c + dc))
                c += cell.colspan


@dataclass
class Block:
    """One block of a document: ``title``, ``heading``, ``para`` (text) or ``table``."""

    kind: str
    text: str = ""
    table: Table | None = None


@dataclass
class Document:
    """A whole document as the renderers see it."""

    name: str
    blocks: list[Block]
    agency: str | None = None
    year: int | None = None


@dataclass
class Report:
    """One seed's facts: who, which year, which format, every cell, and its prose."""

    name: str
    agency: str
    year: int
    fmt: str
    cells: Cells
    raw: dict[str, str] = field(default_factory=dict)  # "section/row/column" -> printed text
    prose: dict[str, list[str]] = field(default_factory=dict)  # "一".."六" -> paragraphs
    golden: dict[str, Any] = field(default_factory=dict)


# ============================================================================================
# Seeds: numbers from the golden, prose from the seed text.
# ============================================================================================
_HEADING = re.compile(r"^[#*\s]*([一二三四五六])、")
_MARKUP = re.compile(r"</?b>|\*\*|^#+\s*")


def load_reports(golden_dir: Path = GOLDEN) -> list[Report]:
    """Every seed that has a golden, with its prose sections."""
    reports = []
    for seed in sorted(SEEDS.glob("*.txt")):
        gpath = golden_dir / "seeds" / f"{seed.stem}.json"
        if not gpath.exists():
            sys.exit(f"make_corpus: no golden {gpath} for seed {seed.name}")
        golden = json.loads(gpath.read_text(encoding="utf-8"))
        reports.append(
            Report(
                name=seed.stem,
                agency=golden["agency"],
                year=int(golden["report_year"]),
                fmt=golden["format"],
                cells=golden["cells"],
                raw={k: v for k, v in golden.get("raw", {}).items() if v},
                prose=seed_prose(seed.read_text(encoding="utf-8")),
                golden=golden,
            )
        )
    return reports


def seed_prose(text: str, max_paragraphs: int = 6) -> dict[str, list[str]]:
    """The free text of sections 一, 五 and 六 (tables left out), a few paragraphs each."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m and len(line.strip()) < 40:
            current = m.group(1)
            continue
        clean = _MARKUP.sub("", line).strip()
        if current not in ("一", "五", "六") or not clean or "\t" in line or set(clean) <= set("-|"):
            continue
        paras = out.setdefault(current, [])
        if len(paras) < max_paragraphs:
            paras.append(clean)
    return out


# ============================================================================================
# The official tables, built from cells.
# ============================================================================================
def show(value: Any, column: str = "") -> str:
    """A value as an agency prints it: blank for null, ``+N`` for a positive change."""
    if value is None:
        return ""
    if column in K.SIGNED_COLUMNS and isinstance(value, (int, float)) and value > 0:
        return f"+{value}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


Raw = dict[str, str]  # "section/row/column" -> text as the seed printed it (the golden's "raw")


def _v(cells: Cells, raw_texts: Raw, section: str, row: str, column: str) -> str:
    """A cell's text: as the seed printed it ("+72", "374780元") when that still says the
    value, else the value shown plainly."""
    value = cells.get(section, {}).get(row, {}).get(column)
    raw = raw_texts.get(f"{section}/{row}/{column}", "")
    number = re.sub(r"[^\d.\-]", "", raw)
    if value is not None and number and float(number) == float(value):
        return raw
    return show(value, column)


def active_table(fmt: str, cells: Cells, raw: Raw) -> Table:
    """Section 二 as the official form prints it: four columns, 第二十条 rows across."""
    v = lambda row, col: _v(cells, raw, K.ACTIVE, row, col)  # noqa: E731
    head = lambda text: [Cell(text, colspan=4)]  # noqa: E731
    if fmt == K.FORMAT_2021:
        rows = [
            head("第二十条第（一）项"),
            [Cell("信息内容"), Cell("本年制发件数"), Cell("本年废止件数"), Cell("现行有效件数")],
            [Cell("规章")] + [Cell(v("regulations", c)) for c in ("issued", "repealed", "in_force")],
            [Cell("行政规范性文件")] + [Cell(v("normative_documents", c)) for c in ("issued", "repealed", "in_force")],
            head("第二十条第（五）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政许可"), Cell(v("licensing", "decisions"), colspan=3)],
            head("第二十条第（六）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政处罚"), Cell(v("penalty", "decisions"), colspan=3)],
            [Cell("行政强制"), Cell(v("coercion", "decisions"), colspan=3)],
            head("第二十条第（八）项"),
            [Cell("信息内容"), Cell("本年收费金额（单位：万元）", colspan=3)],
            [Cell("行政事业性收费"), Cell(v("fees", "amount_10k_yuan"), colspan=3)],
        ]
    else:
        three = ("previous_items", "change", "decisions")
        rows = [
            head("第二十条第（一）项"),
            [Cell("信息内容"), Cell("本年新\n制作数量"), Cell("本年新\n公开数量"), Cell("对外公开总数量")],
            [Cell("规章")] + [Cell(v("regulations", c)) for c in ("made", "published", "total_published")],
            [Cell("规范性文件")] + [Cell(v("normative_documents", c)) for c in ("made", "published", "total_published")],
            head("第二十条第（五）项"),
            [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减"), Cell("处理决定数量")],
            [Cell("行政许可")] + [Cell(v("licensing", c)) for c in three],
            [Cell("其他对外管理服务事项")] + [Cell(v("other_services", c)) for c in three],
            head("第二十条第（六）项"),
            [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减"), Cell("处理决定数量")],
            [Cell("行政处罚")] + [Cell(v("penalty", c)) for c in three],
            [Cell("行政强制")] + [Cell(v("coercion", c)) for c in three],
            head("第二十条第（八）项"),
            [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减", colspan=2)],
            [Cell("行政事业性收费"), Cell(v("fees", "previous_items")), Cell(v("fees", "change"), colspan=2)],
            head("第二十条第（九）项"),
            [Cell("信息内容"), Cell("采购项目数量"), Cell("采购总金额", colspan=2)],
            [Cell("政府集中采购"), Cell(v("procurement", "items")), Cell(v("procurement", "amount_yuan"), colspan=2)],
        ]
    return Table(rows, widths=[2.2, 1.3, 1.3, 1.3])


# Section 三 result rows as printed: (group label, group size, item label) per row key.
_WITHHELD = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
             "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"]
_UNABLE = ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]
_DECLINED = ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
             "5.要求行政机关确认或重新出具已获取信息"]
_OTHER_2021 = ["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
               "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他"]


def requests_table(fmt: str, cells: Cells, raw: Raw, *, drop_rows: tuple[str, ...] = (),
                   extra_cell_in: str | None = None) -> Table:
    """Section 三 as the official form prints it: three label columns, seven applicant columns.

    ``drop_rows`` leaves rows out (a broken form); ``extra_cell_in`` adds an eighth number to a
    row (a broken form with an extra column in one row).
    """

    def numbers(row: str) -> list[Cell]:
        out = [Cell(_v(cells, raw, K.REQUESTS, row, c)) for c in K.REQUEST_COLUMNS]
        if row == extra_cell_in:
            out.insert(1, Cell("1"))
        return out

    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("（三）不予公开", [(f"withheld.{k}", t) for k, t in zip(
            ("state_secret", "prohibited_by_law", "security_stability", "third_party", "internal_affairs",
             "process_info", "enforcement_file", "query_matter"), _WITHHELD)]),
        ("（四）无法提供", [(f"unable.{k}", t) for k, t in zip(("not_held", "needs_creation", "unclear"), _UNABLE)]),
        ("（五）不予处理", [(f"declined.{k}", t) for k, t in zip(
            ("petition", "repeated", "publication", "excessive", "confirmation"), _DECLINED)]),
    ]
    if fmt == K.FORMAT_2021:
        groups.append(("（六）其他处理", [(f"other.{k}", t) for k, t in zip(("no_correction", "unpaid_fee", "other"), _OTHER_2021)]))
    # Result rows: (label cells before the numbers, row key); first of a group carries the group cell.
    result: list[tuple[str, list[Cell]]] = [
        ("disclosed", [Cell("（一）予以公开", colspan=2)]),
        ("partly_disclosed", [Cell("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2)]),
    ]
    for group, items in groups:
        kept = [(k, t) for k, t in items if k not in drop_rows]
        for i, (key, text) in enumerate(kept):
            lead = [Cell(group, rowspan=len(kept))] if i == 0 else []
            result.append((key, lead + [Cell(text)]))
    if fmt == K.FORMAT_2019:
        result.append(("other", [Cell("（六）其他处理", colspan=2)]))
    result.append(("results_total", [Cell("（七）总计", colspan=2)]))
    result = [(k, c) for k, c in result if k not in drop_rows]

    rows: list[list[Cell]] = [
        [Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", colspan=3, rowspan=3),
         Cell("申请人情况", colspan=7)],
        [Cell("自然人", rowspan=2), Cell("法人或其他组织", colspan=5), Cell("总计", rowspan=2)],
        [Cell("商业企业"), Cell("科研机构"), Cell("社会公益组织"), Cell("法律服务机构"), Cell("其他")],
    ]
    for key, label in (("new", "一、本年新收政府信息公开申请数量"), ("carried_in", "二、上年结转政府信息公开申请数量")):
        if key not in drop_rows:
            rows.append([Cell(label, colspan=3)] + numbers(key))
    for i, (key, labels) in enumerate(result):
        lead = [Cell("三、本年度办理结果", rowspan=len(result))] if i == 0 else []
        rows.append(lead + labels + numbers(key))
    if "carried_out" not in drop_rows:
        rows.append([Cell("四、结转下年度继续办理", colspan=3)] + numbers("carried_out"))
    return Table(rows, widths=[1.0, 1.3, 2.6] + [0.75] * 7)


def appeals_table(cells: Cells, raw: Raw) -> Table:
    """Section 四: 行政复议 and the two kinds of 行政诉讼, five columns each."""
    results = ["结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总计"]
    values = [Cell(_v(cells, raw, K.APPEALS, row, col)) for row in ("review", "litigation_direct", "litigation_after_review")
              for col in K.APPEAL_COLUMNS]
    rows = [
        [Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)],
        [Cell(t, rowspan=2) for t in results] + [Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)],
        [Cell(t) for t in results * 2],
        values,
    ]
    return Table(rows, widths=[1.0] * 15)


def report_document(rep: Report, name: str | None = None, *, cells: Cells | None = None,
                    requests: Table | None = None) -> Document:
    """A whole report: title, the statistics-period sentence, six sections with prose and tables."""
    cells = rep.cells if cells is None else cells
    title = f"{rep.agency}{rep.year}年政府信息公开工作年度报告"
    blocks = [
        Block("title", title),
        Block("para", f"本报告根据《中华人民共和国政府信息公开条例》要求编制。所列数据统计期限为{rep.year}年1月1日至"
                      f"{rep.year}年12月31日。"),
        Block("heading", "一、总体情况"),
        *[Block("para", p) for p in rep.prose.get("一", [])],
        Block("heading", K.SECTION_LABELS[K.ACTIVE]),
        Block("table", table=active_table(rep.fmt, cells, rep.raw)),
        Block("heading", K.SECTION_LABELS[K.REQUESTS]),
        Block("table", table=requests or requests_table(rep.fmt, cells, rep.raw)),
        Block("heading", K.SECTION_LABELS[K.APPEALS]),
        Block("table", table=appeals_table(cells, rep.raw)),
        Block("heading", "五、存在的主要问题及改进情况"),
        *[Block("para", p) for p in rep.prose.get("五", ["无。"])],
        Block("heading", "六、其他需要报告的事项"),
        *[Block("para", p) for p in rep.prose.get("六", ["无其他需要报告的事项。"])],
    ]
    return Document(name or rep.name, blocks, rep.agency, rep.year)


def notice_document() -> Document:
    """Not a report: a notice about compiling reports, which mentions 年度报告 many times."""
    text = [
        "各县（区）人民政府办公室，市政府各部门：",
        "为做好2023年政府信息公开工作年度报告编制和发布工作，根据《中华人民共和国政府信息公开条例》第四十九条、第五十条规定，"
        "现将有关事项通知如下。",
        "一、各部门应于2024年1月31日前在本单位门户网站政府信息公开专栏公开本部门2023年政府信息公开工作年度报告。",
        "二、年度报告应严格按照国办公开办函〔2021〕30号规定的格式编制，数据应真实准确，表格勾稽关系应正确。",
        "三、各县（区）人民政府办公室应于2024年3月31日前公开本级政府年度报告。",
        "联系电话：0951-1234567。",
        "某市人民政府办公室",
        "2024年1月5日",
    ]
    blocks = [Block("title", "关于做好2023年政府信息公开工作年度报告编制发布工作的通知")]
    blocks += [Block("para", t) for t in text]
    return Document("notice_annual_report", blocks)


# ============================================================================================
# PDF: reportlab canvas, our own table layout so a table can break across pages like Word's.
# ============================================================================================
_NUMBER = re.compile(r"^[+\-]?\d[\d.,]*$")


class PdfWriter:
    """Draws a Document page by page on an A4 canvas with the CID font STSong-Light."""

    FONT = "STSong-Light"

    def __init__(self, path: Path, *, digits_as_runs: bool = False, break_table_after: dict[int, int] | None = None,
                 ruled: bool = True):
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        pdfmetrics.registerFont(UnicodeCIDFont(self.FONT))
        self.metrics = pdfmetrics
        self.width, self.height = A4
        self.left, self.right, self.top, self.bottom = 64.0, self.width - 64.0, self.height - 64.0, 72.0
        self.canvas = canvas.Canvas(str(path), pagesize=A4, invariant=1)
        self.canvas.setTitle(path.stem)
        self.y = self.top
        self.page = 1
        self.digits_as_runs = digits_as_runs
        self.break_table_after = break_table_after or {}  # table index -> row to start a new page at
        self.ruled = ruled  # False: tables printed without any lines, columns by position only
        self.tables_drawn = 0

    # -- page handling ------------------------------------------------------------------------
    def new_page(self) -> None:
        self._footer()
        self.canvas.showPage()
        self.page += 1
        self.y = self.top

    def _footer(self) -> None:
        self.canvas.setFont(self.FONT, 9)
        self.canvas.drawCentredString(self.width / 2, 40, f"— {self.page} —")

    def finish(self) -> None:
        self._footer()
        self.canvas.save()

    # -- text ---------------------------------------------------------------------------------
    def wrap(self, text: str, width: float, size: float, first_width: float | None = None) -> list[str]:
        """Lines of ``text`` that fit ``width`` (the first ``first_width``), broken between any
        two characters, as CJK text is."""
        lines: list[str] = []
        for part in text.split("\n"):
            line = ""
            for ch in part:
                limit = first_width if first_width is not None and not lines else width
                if line and self.metrics.stringWidth(line + ch, self.FONT, size) > limit:
                    lines.append(line)
                    line = ""
                line += ch
            lines.append(line)
        return lines

    def text_block(self, text: str, size: float, *, indent: float = 0.0, center: bool = False, gap: float = 6) -> None:
        leading = size * 1.6
        first = True
        for line in self.wrap(text, self.right - self.left, size, first_width=self.right - self.left - indent):
            if self.y - leading < self.bottom:
                self.new_page()
            self.y -= leading
            self.canvas.setFont(self.FONT, size)
            if center:
                self.canvas.drawCentredString(self.width / 2, self.y, line)
            else:
                self.canvas.drawString(self.left + (indent if first else 0), self.y, line)
            first = False
        self.y -= gap

    def draw_text(self, x_center: float, y: float, text: str, size: float) -> None:
        """One line centred at ``x_center``; numbers optionally as one text run per character,
        drawn right to left, the way some PDF producers position every glyph on its own."""
        self.canvas.setFont(self.FONT, size)
        if not (self.digits_as_runs and _NUMBER.match(text)):
            self.canvas.drawCentredString(x_center, y, text)
            return
        x = x_center - self.metrics.stringWidth(text, self.FONT, size) / 2
        positions = []
        for ch in text:
            positions.append((x, ch))
            x += self.metrics.stringWidth(ch, self.FONT, size)
        for px, ch in reversed(positions):
            self.canvas.drawString(px, y, ch)

    # -- tables -------------------------------------------------------------------------------
    def table(self, table: Table, size: float = 7.5) -> None:
        """Draw a grid table; rows that do not fit go to the next page, and a merged cell cut by
        the page end is drawn as two boxes, its text in the first, as word processors do."""
        pad, leading = 2.5, size * 1.3
        scale = (self.right - self.left) / sum(table.widths)
        xs = [self.left]
        for w in table.widths:
            xs.append(xs[-1] + w * scale)
        placed = list(table.placed())
        n_rows = len(table.rows)
        heights = [leading + 2 * pad] * n_rows
        for r, c, cell in placed:
            width = xs[min(c + cell.colspan, table.n_cols)] - xs[c] - 2 * pad
            need = len(self.wrap(cell.text, width, size)) * leading + 2 * pad
            last = r + cell.rowspan - 1
            have = sum(heights[r:last + 1])
            if need > have:
                heights[last] += need - have
        # Assign rows to pages.
        forced = self.break_table_after.get(self.tables_drawn)
        self.tables_drawn += 1
        row_page: list[int] = []
        row_top: list[float] = []
        page, y = 0, self.y - 4
        for r in range(n_rows):
            if (y - heights[r] < self.bottom and r > 0) or r == forced:
                page, y = page + 1, self.top
            row_page.append(page)
            row_top.append(y)
            y -= heights[r]
        # Draw page by page.
        for p in range(page + 1):
            if p > 0:
                self.new_page()
            for r, c, cell in placed:
                rows_here = [i for i in range(r, r + cell.rowspan) if i < n_rows and row_page[i] == p]
                if not rows_here:
                    continue
                top = row_top[rows_here[0]]
                bottom = row_top[rows_here[-1]] - heights[rows_here[-1]]
                x0, x1 = xs[c], xs[min(c + cell.colspan, table.n_cols)]
                if self.ruled:
                    self.canvas.setLineWidth(0.6)
                    self.canvas.rect(x0, bottom, x1 - x0, top - bottom, stroke=1, fill=0)
                if row_page[r] != p:
                    continue  # the continuation of a merged cell: an empty box
                lines = self.wrap(cell.text, x1 - x0 - 2 * pad, size)
                block = len(lines) * leading
                ty = (top + bottom) / 2 + block / 2 - size
                for line in lines:
                    self.draw_text((x0 + x1) / 2, ty, line, size)
                    ty -= leading
        self.y = row_top[-1] - heights[-1] - 8

    def document(self, doc: Document) -> None:
        for block in doc.blocks:
            if block.kind == "title":
                self.text_block(block.text, 16, center=True, gap=12)
            elif block.kind == "heading":
                self.text_block(block.text, 12, gap=4)
            elif block.kind == "para":
                self.text_block(block.text, 10.5, indent=21)
            elif block.kind == "table" and block.table is not None:
                self.table(block.table)
        self.finish()


def write_pdf(doc: Document, path: Path, **options: Any) -> None:
    PdfWriter(path, **options).document(doc)


def write_image_only_pdf(path: Path) -> None:
    """A scanned-looking page: one raster image of a form, no text layer at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rnd = random.Random(7)
    img = Image.new("1", (620, 877), 1)
    draw = ImageDraw.Draw(img)
    draw.rectangle((150, 50, 470, 66), fill=0)  # a "title" blob
    for i in range(12):  # prose as grey bars
        draw.rectangle((60, 100 + i * 18, 60 + rnd.randint(300, 500), 108 + i * 18), fill=0)
    for r in range(18):  # a ruled table with "digits"
        y = 340 + r * 24
        draw.line((60, y, 560, y), fill=0)
        for c in range(8):
            x = 60 + (0 if c == 0 else 200 + (c - 1) * 50)
            draw.line((x, 340, x, 340 + 17 * 24), fill=0)
            if c and r < 17:
                draw.rectangle((x + 20, y + 8, x + 28, y + 16), fill=0)
    draw.line((560, 340, 560, 340 + 17 * 24), fill=0)
    cv = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    cv.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
    cv.showPage()
    cv.save()


# ============================================================================================
# DOCX: python-docx, merged cells through Word's own gridSpan / vMerge.
# ============================================================================================
def write_docx(doc: Document, path: Path, *, split_number_runs: bool = False) -> None:
    """A Word document; ``split_number_runs`` writes each number as two runs (as Word does after
    an edit), which a reader must join without a separator."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = docx.Document()
    d.core_properties.title = doc.name
    style = d.styles["Normal"]
    style.font.name = "宋体"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    style.font.size = Pt(10.5)
    for block in doc.blocks:
        if block.kind == "title":
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(block.text)
            run.bold, run.font.size = True, Pt(16)
        elif block.kind == "heading":
            p = d.add_paragraph()
            p.add_run(block.text).bold = True
        elif block.kind == "para":
            d.add_paragraph(block.text).paragraph_format.first_line_indent = Pt(21)
        elif block.kind == "table" and block.table is not None:
            t = block.table
            grid_cols = max(c + cell.colspan for _, c, cell in t.placed())
            table = d.add_table(rows=len(t.rows), cols=grid_cols)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for r, c, cell in t.placed():
                target = table.cell(r, c)
                if cell.rowspan > 1 or cell.colspan > 1:
                    target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
                _fill_docx_cell(target, cell.text, split_number_runs)
            d.add_paragraph()
    d.save(str(path))


def _fill_docx_cell(target: Any, text: str, split_number_runs: bool) -> None:
    """Text into a cell: one paragraph per line; numbers optionally as two runs."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    lines = text.split("\n")
    first = target.paragraphs[0]
    for i, line in enumerate(lines):
        p = first if i == 0 else target.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if split_number_runs and _NUMBER.match(line) and len(line) > 1:
            half = len(line) // 2
            p.add_run(line[:half])
            p.add_run(line[half:])
        else:
            p.add_run(line)


_NUMBERED = (  # (pattern of a typed number, Word's numFmt, lvlText, where)
    (re.compile(r"^([一二三四五六])、"), "chineseCounting", "%1、", "body"),
    (re.compile(r"^([一二三四])、"), "chineseCounting", "%1、", "table"),
    (re.compile(r"^（([一二三四五六七])）"), "chineseCounting", "（%1）", "table"),
    (re.compile(r"^(\d)\."), "decimal", "%1.", "table"),
)


def auto_number_docx(path: Path) -> None:
    """Turn typed numbers (一、 （二） 3.) into Word automatic lists, as Word's AutoFormat does:
    the number leaves the text and lives in numbering.xml. Section headings in the body and
    the row labels of the tables; each "1." run restarts its own list, as in Word."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    d = docx.Document(str(path))
    numbering = d.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    next_id = 900

    def new_list(fmt: str, text: str) -> str:
        nonlocal next_id
        next_id += 1
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{next_id}"><w:multiLevelType w:val="singleLevel"/>'
            f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
            f'<w:lvlJc w:val="left"/></w:lvl></w:abstractNum>')
        first_num.addprevious(abstract) if first_num is not None else numbering.append(abstract)
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{next_id}"><w:abstractNumId w:val="{next_id}"/></w:num>'))
        return str(next_id)

    def number(paragraph: Any, num_id: str, prefix_len: int) -> None:
        runs = paragraph.runs
        runs[0].text = runs[0].text[prefix_len:]
        ppr = paragraph._p.get_or_add_pPr()
        ppr.insert(0, parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'))

    lists: dict[int, str] = {}
    for paragraph in d.paragraphs:
        m = _NUMBERED[0][0].match(paragraph.text)
        if m and paragraph.runs and paragraph.runs[0].bold:  # section headings only, not prose
            lists.setdefault(0, new_list(_NUMBERED[0][1], _NUMBERED[0][2]))
            number(paragraph, lists[0], m.end())
    for table in d.tables:
        seen: list[Any] = []  # the elements themselves: ids of freed lxml proxies get reused
        for row in table.rows:
            for cell in row.cells:
                if any(cell._tc is tc for tc in seen):  # python-docx repeats merged cells
                    continue
                seen.append(cell._tc)
                paragraph = cell.paragraphs[0]
                for i, (pattern, fmt, text, where) in enumerate(_NUMBERED[1:], start=1):
                    m = pattern.match(paragraph.text)
                    if where != "table" or not m or not paragraph.runs:
                        continue
                    if i == 3 and m.group(1) == "1":  # a new run of items restarts its list
                        lists.pop(3, None)
                    lists.setdefault(i, new_list(fmt, text))
                    number(paragraph, lists[i], m.end())
                    break
        lists = {k: v for k, v in lists.items() if k == 0}  # table lists do not go on to the next table
    d.save(str(path))


def add_docx_extra_cell(path: Path, table_index: int, row_index: int, after_cell: int, text: str) -> None:
    """Insert one more ``<w:tc>`` into a row, beyond the table grid: a row with an extra column."""
    import docx

    d = docx.Document(str(path))
    tr = d.tables[table_index]._tbl.tr_lst[row_index]
    tcs = tr.tc_lst
    new = copy.deepcopy(tcs[after_cell])
    tcs[after_cell].addnext(new)
    from docx.table import _Cell

    cell = _Cell(new, d.tables[table_index])
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    for r in cell.paragraphs[0].runs:
        r._r.getparent().remove(r._r)
    cell.paragraphs[0].add_run(text)
    d.save(str(path))


# ============================================================================================
# XLSX: openpyxl; the three tables with merged ranges and thin borders.
# ============================================================================================
def write_xlsx(doc: Document, path: Path, *, sheet_per_table: bool = False) -> None:
    """The title, section headings and tables of a report; prose left out, as in real
    spreadsheet attachments. Tables get borders; headings do not."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Side

    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    ws = wb.active
    ws.title = "年度报告"
    row = 1
    pending: list[str] = []
    for block in doc.blocks:
        if block.kind == "title":
            pending.append(block.text)
            continue
        if block.kind == "heading":  # only the heading right above a table is kept
            pending = [t for t in pending if t == doc.blocks[0].text] + [block.text]
            continue
        if block.kind != "table" or block.table is None:
            continue
        if sheet_per_table and row > 1:
            ws = wb.create_sheet(f"表{len(wb.sheetnames) + 1}")
            row = 1
        for text in pending:
            ws.cell(row=row, column=1, value=text)
            row += 2
        pending = []
        t = block.table
        for r, c, cell in t.placed():
            top, left = row + r, 1 + c
            if cell.rowspan > 1 or cell.colspan > 1:
                ws.merge_cells(start_row=top, start_column=left, end_row=top + cell.rowspan - 1,
                               end_column=left + cell.colspan - 1)
            ws.cell(row=top, column=left, value=_sheet_value(cell.text))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    target = ws.cell(row=top + dr, column=left + dc)
                    target.border = border
                    target.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        row += len(t.rows) + 1
    wb.save(str(path))


def _sheet_value(text: str) -> Any:
    """Numbers as numbers (as a person types them into Excel), everything else as text."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text.replace("\n", "")


# ============================================================================================
# LibreOffice: DOC, WPS and XLS from the DOCX and XLSX.
# ============================================================================================
def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(src: Path, target_ext: str, filter_name: str, dest: Path) -> None:
    """Convert ``src`` with LibreOffice headless into ``dest`` (filter e.g. ``MS Word 97``)."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: run scripts/install-system-deps")
    with tempfile.TemporaryDirectory(prefix="nianbao-corpus-") as tmp:
        profile = Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", f"{target_ext}:{filter_name}", "--outdir", tmp, str(src)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=180)
        out = Path(tmp) / f"{src.stem}.{target_ext}"
        if not out.exists():
            raise RuntimeError(f"LibreOffice made no {out.name} from {src.name}")
        shutil.move(str(out), dest)


# ============================================================================================
# Expected results.
# ============================================================================================
def expected_same_as(rep: Report, **extra: Any) -> dict[str, Any]:
    return {"same_as": f"seeds/{rep.name}.json", **extra}


ALL_SECTIONS = ["一", "二", "三", "四", "五", "六"]
TABLE_SECTIONS = ["二", "三", "四"]  # what a spreadsheet holds: the headings above its tables


def expected_full(rep: Report, cells: Cells, parse_status: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"agency": rep.agency, "report_year": rep.year, "format": rep.fmt, "kind": "report",
            "parse_status": parse_status, "sections_present": ALL_SECTIONS, "cells": cells, **extra}


def without_rows(cells: Cells, section: str, rows: tuple[str, ...]) -> Cells:
    out = copy.deepcopy(cells)
    for r in rows:
        out.get(section, {}).pop(r, None)
    return out


def unbalanced(cells: Cells) -> Cells:
    """The same report with 本年新收·自然人 and its total raised by 2: R1 no longer holds."""
    out = copy.deepcopy(cells)
    new = out[K.REQUESTS]["new"]
    new["natural_person"] = (new.get("natural_person") or 0) + 2
    new["total"] = (new.get("total") or 0) + 2
    return out


# ============================================================================================
# The corpus.
# ============================================================================================
@dataclass
class Item:
    """One corpus document to make: its form folder, file name, how to make it, what to expect."""

    form: str
    filename: str
    make: Callable[[Path], None]
    expected: dict[str, Any]


def corpus_items(reports: list[Report]) -> list[Item]:
    """Everything the corpus holds, in a stable order (a converted form after its source)."""
    return seed_items(reports) + variant_items(reports)


def seed_items(reports: list[Report]) -> list[Item]:
    """Each seed in every form; expected: the seed's golden."""
    items: list[Item] = []
    for rep in reports:
        doc = report_document(rep)
        pdf_options: dict[str, Any] = {}
        note = ""
        if rep.name.startswith("002"):
            pdf_options["break_table_after"] = {1: 12}  # section 三 continues on the next page
            note = "section 三 breaks across two pages inside the merged 本年度办理结果 cell"
        if rep.name.startswith("003"):
            pdf_options["digits_as_runs"] = True
            note = "every number drawn as one text run per digit, right to left"
        items.append(Item("pdf", f"{rep.name}.pdf", lambda p, d=doc, o=pdf_options: write_pdf(d, p, **o),
                          expected_same_as(rep, **({"note": note} if note else {}))))
        split = rep.name.startswith("000")
        items.append(Item("docx", f"{rep.name}.docx", lambda p, d=doc, s=split: write_docx(d, p, split_number_runs=s),
                          expected_same_as(rep, **({"note": "numbers split into two runs"} if split else {}))))
        items.append(Item("xlsx", f"{rep.name}.xlsx",
                          lambda p, d=doc, s=rep.name.startswith("004"): write_xlsx(d, p, sheet_per_table=s),
                          expected_same_as(rep, sections_present=TABLE_SECTIONS)))
    # Legacy forms converted by LibreOffice from the DOCX and XLSX above.
    for rep in reports:
        items.append(Item("doc", f"{rep.name}.doc", _converted("docx", rep.name, "doc", "MS Word 97"), expected_same_as(rep)))
        items.append(Item("xls", f"{rep.name}.xls", _converted("xlsx", rep.name, "xls", "MS Excel 97"),
                          expected_same_as(rep, sections_present=TABLE_SECTIONS)))
    for rep in reports:
        # The other common producer: a word processor's own PDF export (embedded subset
        # TrueType fonts, rows allowed to break across pages).
        items.append(Item("pdf", f"{rep.name}.libreoffice.pdf", _exported_pdf(rep.name),
                          expected_same_as(rep, note="exported to PDF by LibreOffice from the DOCX")))
    for rep in reports:
        # WPS Writer's .wps is the Word 97 binary format under another name.
        items.append(Item("wps", f"{rep.name}.wps", _converted("docx", rep.name, "doc", "MS Word 97"),
                          expected_same_as(rep, note="Word 97 binary saved as .wps, as WPS Office writes it")))
    return items


def variant_items(reports: list[Report]) -> list[Item]:
    """Broken documents, a non-report, a scan and harder layouts of the seeds' numbers."""
    items: list[Item] = []
    by_name = {r.name: r for r in reports}
    base = by_name.get("002_3d14e9be2d7413b2", reports[0])
    bad_cells = unbalanced(base.cells)
    doc_unbalanced = report_document(base, "unbalanced_totals", cells=bad_cells)
    exp_unbalanced = expected_full(base, bad_cells, note="本年新收 raised by 2: rule R1 fails, the parse itself is ok")
    missing = ("partly_disclosed",)
    doc_missing = report_document(base, "missing_row", requests=requests_table(base.fmt, base.cells, base.raw, drop_rows=missing))
    exp_missing = expected_full(base, without_rows(base.cells, K.REQUESTS, missing), parse_status="partial",
                                note="row （二）部分公开 left out of section 三")
    extra_row = "carried_in"
    doc_extra = report_document(base, "extra_column",
                                requests=requests_table(base.fmt, base.cells, base.raw, extra_cell_in=extra_row))
    exp_extra = expected_same_as(base, note="row 二、上年结转 reads 3 1 0 0 0 0 0 3, eight numbers for seven columns; "
                                            "only dropping the 1 balances the row total, so the repair is certain")
    ambiguous = copy.deepcopy(base.cells)
    ambiguous[K.APPEALS]["review"].update(upheld=None, corrected=None)
    exp_ambiguous = expected_full(
        base, ambiguous, parse_status="partial",
        note="行政复议 reads 1 0 1 0 0 1: dropping the first or the third value both balance the group total, so "
             "结果维持 and 结果纠正 cannot be decided and must not be guessed")
    notice = notice_document()
    exp_notice = {"kind": "other", "parse_status": "not_report", "cells": {},
                  "note": "a notice about compiling reports, not a report"}
    for form, writer in (("pdf", write_pdf), ("docx", write_docx)):
        items.append(Item(form, f"unbalanced_totals.{form}", lambda p, w=writer: w(doc_unbalanced, p), exp_unbalanced))
        items.append(Item(form, f"missing_row.{form}", lambda p, w=writer: w(doc_missing, p), exp_missing))
        items.append(Item(form, f"notice_annual_report.{form}", lambda p, w=writer: w(notice, p), exp_notice))
    in_sheet = lambda expected: {**expected, "sections_present": TABLE_SECTIONS}  # noqa: E731
    numbered = by_name.get("000_a4584f6e36514f0f", reports[0])
    items.append(Item("docx", f"{numbered.name}.numbered.docx",
                      lambda p: (write_docx(report_document(numbered), p), auto_number_docx(p)),
                      expected_same_as(numbered, note="headings and row labels numbered by Word lists, "
                                                      "not typed: the numbers live in numbering.xml")))
    items.append(Item("doc", f"{numbered.name}.numbered.doc",
                      _converted("docx", f"{numbered.name}.numbered", "doc", "MS Word 97"),
                      expected_same_as(numbered, note="the auto-numbered DOCX saved as Word 97 by LibreOffice")))
    items.append(Item("docx", "extra_column.docx", lambda p: _docx_with_extra_cell(report_document(base), p), exp_extra))
    items.append(Item("xlsx", "extra_column.xlsx", lambda p: write_xlsx(doc_extra, p), in_sheet(exp_extra)))
    items.append(Item("docx", "extra_cell_ambiguous.docx",
                      lambda p: _docx_with_extra_cell(report_document(base), p, table_index=2, row_index=3, after_cell=1),
                      exp_ambiguous))
    items.append(Item("xlsx", "unbalanced_totals.xlsx", lambda p: write_xlsx(doc_unbalanced, p), in_sheet(exp_unbalanced)))
    items.append(Item("doc", "missing_row.doc", _converted("docx", "missing_row", "doc", "MS Word 97"), exp_missing))
    items.append(Item("doc", "notice_annual_report.doc", _converted("docx", "notice_annual_report", "doc", "MS Word 97"),
                      exp_notice))
    items.append(Item("xls", "unbalanced_totals.xls", _converted("xlsx", "unbalanced_totals", "xls", "MS Excel 97"),
                      in_sheet(exp_unbalanced)))
    items.append(Item("pdf", f"{base.name}.borderless.pdf", lambda p: write_pdf(report_document(base), p, ruled=False),
                      {**expected_same_as(base, parse_status="partial"), "subset": True, "min_cells": 170,
                       "note": "tables printed without ruling lines: read by column position; rows whose label is "
                               "centred across several lines are left out or blank, never given a wrong number"}))
    items.append(Item("pdf", "image_only.pdf", write_image_only_pdf,
                      {"kind": "report", "parse_status": "image_only", "agency": None, "report_year": None,
                       "format": None, "sections_present": [], "cells": {},
                       "note": "a scan: one raster page, no text layer; no cells, never zeros"}))
    return items


def _docx_with_extra_cell(doc: Document, path: Path, table_index: int = 1, row_index: int = 4, after_cell: int = 1) -> None:
    """The report as DOCX, then one more cell holding "1" in a row, beyond the grid (as when a
    cell is split in Word). By default section 三's 二、上年结转 row: eight numbers for seven columns."""
    write_docx(doc, path)
    add_docx_extra_cell(path, table_index=table_index, row_index=row_index, after_cell=after_cell, text="1")


def _exported_pdf(stem: str) -> Callable[[Path], None]:
    def make(dest: Path) -> None:
        # Without a CJK font LibreOffice draws every Chinese character as one fallback glyph and
        # the PDF's text layer is garbage: refuse rather than commit such a file.
        fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout.strip()
        if not fonts:
            raise RuntimeError("no CJK font for LibreOffice's PDF export: apt-get install fonts-wqy-microhei")
        convert(CORPUS / "docx" / f"{stem}.docx", "pdf", "writer_pdf_Export", dest)

    return make


def _converted(src_form: str, stem: str, ext: str, filter_name: str) -> Callable[[Path], None]:
    def make(dest: Path) -> None:
        convert(CORPUS / src_form / f"{stem}.{src_form}", ext, filter_name, dest)

    return make


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--golden", type=Path, default=GOLDEN, help="folder holding seeds/<seed>.json goldens")
    ap.add_argument("--out", type=Path, default=None, help="corpus folder to (re)write (default tests/corpus)")
    ap.add_argument("--only", help="only forms in this comma-separated list (e.g. pdf,docx)")
    args = ap.parse_args(argv)
    global CORPUS
    CORPUS = args.out or CORPUS
    forms = set(args.only.split(",")) if args.only else None
    reports = load_reports(args.golden)
    made = 0
    for item in corpus_items(reports):
        if forms and item.form not in forms:
            continue
        folder = CORPUS / item.form
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / item.filename
        item.make(path)
        expected = path.with_suffix(".expected.json")
        expected.write_text(json.dumps(item.expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        size = path.stat().st_size
        print(f"{item.form:5} {item.filename:40} {size // 1024:5d} KB")
        made += 1
    print(f"{made} documents in {CORPUS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
