"""DOCX → simple HTML: the body in document order, tables with Word's merges as spans.

The package is opened with zipfile and the main part (found through the package relationships,
whatever its name) parsed with plain lxml. python-docx is not used at run time: opening a
document with it parses every part and wraps each element in its own classes, which took more
than half of the time of a whole parse; and its table API repeats a merged cell in every grid
position it covers, losing where the merge began.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from typing import Any, Iterator

from parser.limits import check_archive, read_member
from parser.readers import ReaderError, ReaderResult
from parser.readers.docx_numbering import Numbering
from parser.readers.html import HtmlWriter, TableCell, TableRow

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_DOCUMENT = "/officeDocument"  # relationship type suffix of the main part
NUMBERING, STYLES = "/numbering", "/styles"  # relationship type suffixes of the parts we read


class DocxReader:
    """Reads Word 2007+ documents."""


    def to_html(self, data: bytes) -> ReaderResult:
        body, numbering = read_package(data)
        return body_to_html(body, numbering)


def read_package(data: bytes) -> tuple[Any, Numbering]:
    """The ``<w:body>`` element of a DOCX package and its list numbering."""
    import lxml.etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            check_archive(package, "docx")  # declared sizes first: a bomb is refused unread
            main = _related(package, "", OFFICE_DOCUMENT) or "word/document.xml"
            root = lxml.etree.fromstring(read_member(package, main, "docx"), _xml_parser())
            numbering_name = _related(package, main, NUMBERING)
            numbering_xml = (lxml.etree.fromstring(read_member(package, numbering_name, "docx"), _xml_parser())
                             if numbering_name in package.namelist() else None)
            styles_name = _related(package, main, STYLES)
            styles_bytes = read_member(package, styles_name, "docx") if styles_name in package.namelist() else b""
    # What a damaged package raises: a bad header, an unknown compression method, a truncated
    # or corrupt deflate stream, a bad CRC, an encrypted member, XML that is not well formed.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, zlib.error, EOFError, RuntimeError,
            ValueError, KeyError, lxml.etree.XMLSyntaxError, OSError) as exc:
        raise ReaderError(f"not a readable DOCX: {type(exc).__name__}: {exc}") from exc
    body = root.find(W + "body")
    if body is None:
        raise ReaderError("DOCX main part has no w:body (not a Word document)")

    def load_styles() -> Any | None:
        if b"numPr" not in styles_bytes:  # no style carries numbering: skip the parse
            return None
        try:
            return lxml.etree.fromstring(styles_bytes, _xml_parser())
        except lxml.etree.XMLSyntaxError:
            return None

    return body, Numbering.from_parts(numbering_xml, load_styles)


def _related(package: zipfile.ZipFile, source: str, type_suffix: str) -> str | None:
    """The part name a relationship of ``source`` ('' for the package) of that type points to."""
    import lxml.etree

    folder, name = posixpath.split(source)
    rels_name = posixpath.join(folder, "_rels", f"{name}.rels") if source else "_rels/.rels"
    if rels_name not in package.namelist():
        return None
    rels = lxml.etree.fromstring(read_member(package, rels_name, "docx"), _xml_parser())
    for rel in rels.iter(PKG_REL + "Relationship"):
        if (rel.get("Type") or "").endswith(type_suffix) and rel.get("TargetMode") != "External":
            target = rel.get("Target") or ""
            return posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))
    return None


def _xml_parser() -> Any:
    import lxml.etree

    # No entity expansion or network access: the file comes from the web.
    return lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def body_to_html(body: Any, numbering: Numbering | None = None) -> ReaderResult:
    """HTML from a ``<w:body>`` element (also used for DOC/WPS converted by LibreOffice)."""
    numbering = numbering or Numbering()
    writer = HtmlWriter()
    for kind, element in iter_blocks(body):
        if kind == "p":
            writer.paragraph(paragraph_text(element, numbering))
        else:
            writer.table(table_rows(element, numbering))
    return ReaderResult(writer.render(), pages=1, text_chars=writer.text_chars, image_only=False)


def iter_blocks(parent: Any) -> Iterator[tuple[str, Any]]:
    """Paragraphs and tables in document order, looking through content controls and the
    ``mc:AlternateContent`` wrappers (whose ``Choice`` is taken, like Word does)."""
    for child in parent.iterchildren():
        tag = child.tag
        if tag == W + "p":
            yield "p", child
        elif tag == W + "tbl":
            yield "table", child
        elif tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None:
                yield from iter_blocks(content)
        elif tag in (W + "customXml", W + "ins", W + "smartTag"):
            yield from iter_blocks(child)
        elif tag == MC + "AlternateContent":
            choice = child.find(MC + "Choice")
            if choice is not None:
                yield from iter_blocks(choice)


def paragraph_text(p: Any, numbering: Numbering | None = None) -> str:
    """The text of one paragraph: its automatic list number, then the runs joined as they are
    (a number split into runs stays one number), tabs as tabs, breaks as newlines; deleted
    text and field codes left out."""
    parts: list[str] = [numbering.label(p)] if numbering is not None else []
    for el in p.iter():
        tag = el.tag
        if tag == W + "t":
            if not _inside(el, W + "del", p):
                parts.append(el.text or "")
        elif tag == W + "tab" and el.getparent() is not None and el.getparent().tag == W + "r":
            parts.append("\t")
        elif tag in (W + "br", W + "cr"):
            parts.append("\n")
        elif tag == W + "noBreakHyphen":
            parts.append("-")
    return "".join(parts)


def _inside(el: Any, tag: str, stop: Any) -> bool:
    node = el.getparent()
    while node is not None and node is not stop:
        if node.tag == tag:
            return True
        node = node.getparent()
    return False


def cell_text(tc: Any, numbering: Numbering | None = None) -> str:
    """A cell's paragraphs joined with newlines; a nested table's cells are read in order."""
    lines = []
    for kind, element in iter_blocks(tc):
        if kind == "p":
            lines.append(paragraph_text(element, numbering))
        else:
            for row in table_rows(element, numbering):
                lines.extend(cell.text for cell in row)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.strip() for line in lines)


def _int_val(el: Any, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(W + "val"))
    except (TypeError, ValueError):
        return default


def table_rows(tbl: Any, numbering: Numbering | None = None) -> list[TableRow]:
    """Rows of a ``<w:tbl>`` with ``gridSpan`` as colspan and ``vMerge`` runs as rowspan.

    A ``vMerge`` without ``val="restart"`` continues the cell above in the same grid column,
    so it is not a cell of its own: it adds one to the rowspan of the cell it continues.
    ``gridBefore`` (cells skipped at the start of a row) shifts the row's cells right. Grid
    columns a few twips wide (left by converters when borders almost line up) are folded into
    their neighbour, so they do not turn one column into two.
    """
    new_pos = _grid_positions(tbl)
    rows: list[TableRow] = []
    open_merge: dict[int, TableCell] = {}  # grid column -> cell a vMerge may continue
    for tr in tbl.iterchildren(W + "tr"):
        row: TableRow = []
        tr_pr = tr.find(W + "trPr")
        col = _int_val(tr_pr.find(W + "gridBefore") if tr_pr is not None else None, 0)
        seen_cols: set[int] = set()
        for tc in _row_cells(tr):
            tc_pr = tc.find(W + "tcPr")
            span = max(1, _int_val(tc_pr.find(W + "gridSpan") if tc_pr is not None else None, 1))
            vmerge = tc_pr.find(W + "vMerge") if tc_pr is not None else None
            continues = vmerge is not None and vmerge.get(W + "val") in (None, "continue")
            if continues and col in open_merge:
                open_merge[col].rowspan += 1
            else:
                text = cell_text(tc, numbering)
                width = new_pos(col + span) - new_pos(col)
                cell = TableCell(text, 1, max(1, width))
                if width > 0 or text.strip():  # an empty sliver cell is no cell
                    row.append(cell)
                open_merge[col] = cell  # any cell may start a merge, even without "restart"
            seen_cols.add(col)
            col += span
        # A column not present in this row ends any merge running through it.
        for c in list(open_merge):
            if c not in seen_cols:
                del open_merge[c]
        rows.append(row)
    return rows


NARROW_GRID_COLUMN = 30  # twips (1.5 pt): narrower grid columns are converter noise


def _grid_positions(tbl: Any) -> Any:
    """A function: old grid column index → index on the grid without sliver columns."""
    grid = tbl.find(W + "tblGrid")
    widths = []
    for col in grid.iterchildren(W + "gridCol") if grid is not None else ():
        try:
            widths.append(int(float(col.get(W + "w", "0"))))
        except ValueError:
            widths.append(0)
    if not widths or all(w == 0 for w in widths):  # no widths given: every column counts
        return lambda j: j
    kept_before = [0]
    for w in widths:
        kept_before.append(kept_before[-1] + (1 if w >= NARROW_GRID_COLUMN else 0))

    def new_pos(j: int) -> int:
        # Positions past the declared grid (a row with extra cells) keep counting one by one.
        return kept_before[j] if j < len(kept_before) else kept_before[-1] + (j - len(widths))

    return new_pos


def _row_cells(tr: Any) -> Iterator[Any]:
    """The ``<w:tc>`` of a row, also inside content controls and custom XML."""
    for child in tr.iterchildren():
        if child.tag == W + "tc":
            yield child
        elif child.tag in (W + "sdt", W + "customXml"):
            inner = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
            if inner is not None:
                yield from _row_cells(inner)
