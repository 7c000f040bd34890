"""Fault injection for the document readers: seeds, a seeded mutator, and a runner that parses
each mutated input in a child process, timing it and watching its memory.

Used by tests/test_fuzz_readers.py (a bounded run in the suite) and bench/fuzz (a long run).
Every input is ``parse_document``'s to handle: an exception out of it, an input over its time
budget, or the child's resident memory growing past a bound is a finding.
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import os
import random
import re
import resource
import struct
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
SEEDS = ROOT / "tests" / "data" / "seeds"

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
FORMS = tuple(MEDIA_TYPES)
# Forms read through LibreOffice (seconds per input, not milliseconds): few inputs of each.
SLOW_FORMS = ("doc", "wps", "xls")
REPORT_TITLE = "某县教育局2021年政府信息公开工作年度报告"


@functools.cache
def seeds(form: str) -> list[tuple[str, bytes]]:
    """Real seed documents of ``form``: the corpus files, the seed texts, and for HTML the pages
    the DOCX reader makes from the corpus (what the parser's HTML path reads)."""
    if form == "text":
        return [(p.name, p.read_bytes()) for p in sorted(SEEDS.glob("*.txt"))]
    if form == "html":
        from parser.readers.docx import DocxReader

        docx = sorted((CORPUS / "docx").glob("*.docx"))[:3]
        pages = [(p.stem + ".html", DocxReader().to_html(p.read_bytes()).html.encode("utf-8")) for p in docx]
        text = sorted(SEEDS.glob("*.txt"))[0]
        body = "".join(f"<p>{line}</p>" for line in text.read_text("utf-8").splitlines())
        return [*pages, (text.stem + ".html", f"<html><body>{body}</body></html>".encode())]
    return [(p.name, p.read_bytes()) for p in sorted((CORPUS / form).iterdir()) if p.suffix == f".{form}"]


# ---------------------------------------------------------------------------------------------
# Mutations: each takes (rng, data) and returns the mutated bytes.
# ---------------------------------------------------------------------------------------------
def bit_flips(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncation(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def chunk_duplication(rng: random.Random, data: bytes) -> bytes:
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, 4096)]
    at = rng.randrange(len(data))
    return data[:at] + chunk * rng.randint(1, 8) + data[at:]


def zip_member_corruption(rng: random.Random, data: bytes) -> bytes:
    """A ZIP package with one member damaged: its compressed bytes flipped, its compression
    method or sizes changed in the headers, or its XML cut or flipped and packed again."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = package.infolist()
    except zipfile.BadZipFile:
        return bit_flips(rng, data)
    victim = rng.choice([i for i in infos if i.filename.endswith(".xml")] or infos)
    how = rng.choice(("content", "method", "sizes", "xml"))
    out = bytearray(data)
    local = victim.header_offset
    if how == "content" and victim.compress_size:
        name_len, extra_len = struct.unpack_from("<HH", out, local + 26)
        begin = local + 30 + name_len + extra_len
        for _ in range(rng.randint(1, 8)):
            out[begin + rng.randrange(victim.compress_size)] ^= 1 << rng.randrange(8)
        return bytes(out)
    central = _central_entry(out, victim.filename)
    if how == "method":
        method = rng.choice((1, 6, 9, 12, 14, 93, 99))  # shrink, implode, deflate64, bzip2, lzma, zstd, AES
        struct.pack_into("<H", out, local + 8, method)
        if central is not None:
            struct.pack_into("<H", out, central + 10, method)
        return bytes(out)
    if how == "sizes" and central is not None:
        size = rng.choice((0, 1, victim.file_size // 2, victim.file_size * 2, 0x7FFFFFFF))
        struct.pack_into("<I", out, central + 24, size)
        struct.pack_into("<I", out, local + 22, size)
        return bytes(out)
    content = package.read(victim)
    if content:
        content = rng.choice((bit_flips, truncation, chunk_duplication))(rng, content)
    return _repack(package, {victim.filename: content})


def _central_entry(data: bytearray, name: str) -> int | None:
    at = data.find(b"PK\x01\x02")
    encoded = name.encode("utf-8")
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_len]) == encoded:
            return at
        at = data.find(b"PK\x01\x02", at + 4)
    return None


def _repack(package: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in package.infolist():
            z.writestr(info.filename, replaced.get(info.filename, package.read(info)))
    return out.getvalue()


def oversized_dimensions(rng: random.Random, data: bytes) -> bytes:
    """Records that claim a huge document: a worksheet whose dimension and one cell sit at the
    sheet's last row and column, a merge over the whole sheet, a Word table cell spanning a
    hundred million grid columns, a PDF page tree claiming a hundred million pages, an XLS cell
    record at row 65535, column 255."""
    if data.startswith(b"PK\x03\x04"):
        try:
            package = zipfile.ZipFile(io.BytesIO(data))
            names = package.namelist()
        except zipfile.BadZipFile:
            return bit_flips(rng, data)
        sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if sheets:
            name = rng.choice(sheets)
            xml = package.read(name)
            xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)
            if rng.random() < 0.5:
                xml = xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
            else:
                merge = b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'
                xml = re.sub(rb"<mergeCells[^>]*>.*?</mergeCells>|<mergeCells[^>]*/>", b"", xml, flags=re.S)
                xml = xml.replace(b"</sheetData>", b"</sheetData>" + merge, 1)
            return _repack(package, {name: xml})
        if "word/document.xml" in names:
            xml = package.read("word/document.xml")
            spans = [m.start() for m in re.finditer(rb'<w:gridSpan w:val="\d+"', xml)]
            huge = rng.choice((b"100000000", b"65535", b"-5"))
            if spans:
                at = rng.choice(spans)
                xml = xml[:at] + re.sub(rb'w:val="\d+"', b'w:val="' + huge + b'"', xml[at:], count=1)
            else:
                xml = xml.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="' + huge + b'"/>', 1)
            return _repack(package, {"word/document.xml": xml})
        return zip_member_corruption(rng, data)
    if data.startswith(b"%PDF"):
        counts = [m.start() for m in re.finditer(rb"/Count \d+", data)]
        if counts:
            at = rng.choice(counts)
            return data[:at] + re.sub(rb"/Count \d+", b"/Count 100000000", data[at:], count=1)
        return bit_flips(rng, data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        out = bytearray(data)
        records = [m.start() for m in re.finditer(rb"(?s)[\x03\xfd\x04]\x02[\x0e\x0a\x08]\x00", data)]
        for at in rng.sample(records, min(len(records), rng.randint(1, 3))):
            struct.pack_into("<HH", out, at + 4, 0xFFFF, 0xFF)  # row 65535, column 255
        dims = data.find(b"\x00\x02\x0e\x00")
        if dims != -1:
            struct.pack_into("<IIHH", out, dims + 4, 0, 0xFFFFFF, 0, 0x4000)
        return bytes(out)
    # HTML or text: a table cell spanning a huge number of rows and columns.
    return data.replace(b"<td", b'<td rowspan="100000" colspan="100000"', 1) if b"<td" in data else chunk_duplication(rng, data)


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "bit_flips": bit_flips,
    "truncation": truncation,
    "chunk_duplication": chunk_duplication,
    "zip_member_corruption": zip_member_corruption,
    "oversized_dimensions": oversized_dimensions,
}


@dataclass
class FuzzInput:
    """One mutated document."""

    index: int
    form: str
    seed: str
    mutation: str
    data: bytes
    hints: dict[str, str]

    @property
    def label(self) -> str:
        return f"#{self.index} {self.form} {self.seed} {self.mutation} ({len(self.data):,} bytes)"


def inputs(counts: dict[str, int], seed: int) -> Iterator[FuzzInput]:
    """``counts[form]`` mutated inputs of each form, reproducible from ``seed``; forms in
    turn, so that a run cut short still covers every form."""
    rng = random.Random(seed)
    pools = {form: seeds(form) for form in counts if counts[form] > 0}
    for form, pool in pools.items():
        if not pool:
            raise AssertionError(f"no seed documents of form {form}")
    zipped = ("docx", "xlsx")
    made = dict.fromkeys(pools, 0)
    index = 0
    while any(made[f] < counts[f] for f in pools):
        for form, pool in pools.items():
            if made[form] >= counts[form]:
                continue
            name, data = rng.choice(pool)
            choices = [m for m in MUTATIONS if m != "zip_member_corruption" or form in zipped]
            mutation = rng.choice(choices)
            mutated = MUTATIONS[mutation](rng, data)
            # Half the inputs come with a report title hint: the 'published but unreadable' path.
            hints = {"title": REPORT_TITLE} if rng.random() < 0.5 else {}
            yield FuzzInput(index, form, name, mutation, mutated, hints)
            made[form] += 1
            index += 1


# ---------------------------------------------------------------------------------------------
# Running: a child process parses, the parent watches the clock.
# ---------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    label: str
    seconds: float
    status: str = ""  # kind/parse_status
    reason: str = ""  # the first warning of a failed parse
    error: str = ""  # an exception out of parse_document, with its traceback
    rss_growth_mb: float = 0.0


@dataclass
class FuzzReport:
    outcomes: list[Outcome] = field(default_factory=list)
    baseline_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    killed: list[str] = field(default_factory=list)  # inputs the child never finished

    def crashes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]

    def slow(self, budget: Callable[[str], float]) -> list[Outcome]:
        """Outcomes over ``budget(form)`` seconds, and inputs the child never finished."""
        return [o for o in self.outcomes if o.label in self.killed or o.seconds > budget(o.label.split()[1])]

    @property
    def growth_mb(self) -> float:
        return self.peak_rss_mb - self.baseline_rss_mb


def _rss_mb(field_name: str = "VmHWM") -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(conn: Any, items: list[FuzzInput], limits: dict[str, Any]) -> None:
    """Parse every input; send ("start", i) before and ("done", outcome) after each."""
    os.setsid()  # its own process group: the parent ends it and its converters together
    from parser import parse_document
    from parser.limits import DEFAULT_LIMITS
    from parser.readers import Readers
    from core.settings import DEFAULT_READERS

    readers = Readers.from_paths(DEFAULT_READERS, limits=DEFAULT_LIMITS.with_overrides(limits))
    for form in ("pdf", "docx", "xlsx", "xls"):  # warm up: libraries imported, caches filled
        name, data = seeds(form)[0]
        parse_document(data, MEDIA_TYPES[form], readers=readers)
    conn.send(("baseline", _rss_mb("VmRSS")))
    for item in items:
        conn.send(("start", item.label))
        before = _rss_mb("VmHWM")
        started = time.monotonic()
        outcome = Outcome(item.label, 0.0)
        try:
            parsed = parse_document(item.data, MEDIA_TYPES[item.form], url=f"https://fuzz.example/{item.seed}",
                                    hints=item.hints, readers=readers)
            outcome.status = f"{parsed.kind}/{parsed.parse_status}"
            outcome.reason = parsed.warnings[0] if parsed.parse_status == "failed" and parsed.warnings else ""
        except BaseException as exc:  # noqa: BLE001 - every escape is a finding
            outcome.error = "".join(traceback.format_exception(exc))[-2000:]
        outcome.seconds = time.monotonic() - started
        outcome.rss_growth_mb = max(0.0, _rss_mb("VmHWM") - before)
        conn.send(("done", outcome))
    conn.send(("peak", _rss_mb("VmHWM")))
    conn.close()


def run(items: list[FuzzInput], *, kill_after: float, limits: dict[str, Any] | None = None,
        progress: Callable[[Outcome], None] | None = None) -> FuzzReport:
    """Parse ``items`` in a child process; an input not done within ``kill_after`` seconds gets
    the child (and its process group) killed, is recorded, and a new child takes the rest."""
    import signal

    report = FuzzReport()
    ctx = multiprocessing.get_context("spawn")
    rest = list(items)
    while rest:
        parent_end, child_end = ctx.Pipe()
        child = ctx.Process(target=_child, args=(child_end, rest, limits or {}), daemon=True)
        child.start()
        child_end.close()
        current: str | None = None
        started = time.monotonic()
        done = 0
        try:
            while True:
                deadline = kill_after if current is not None else 120.0  # start-up and warm-up
                if not parent_end.poll(max(0.0, deadline - (time.monotonic() - started))):
                    report.killed.append(current or "start-up")
                    report.outcomes.append(Outcome(current or "start-up", time.monotonic() - started,
                                                   error="" if current else "child did not start"))
                    break
                try:
                    kind, value = parent_end.recv()
                except EOFError:  # the child died (a crash of a C library, the OOM killer)
                    report.outcomes.append(Outcome(current or "start-up", time.monotonic() - started,
                                                   error=f"child died with exit code {child.exitcode}"))
                    child.join(5)
                    break
                if kind == "baseline":
                    report.baseline_rss_mb = max(report.baseline_rss_mb, value)
                elif kind == "start":
                    current, started = value, time.monotonic()
                elif kind == "done":
                    report.outcomes.append(value)
                    if progress is not None:
                        progress(value)
                    current, done = None, done + 1
                    started = time.monotonic()
                elif kind == "peak":
                    report.peak_rss_mb = max(report.peak_rss_mb, value)
                    rest = []
                    break
        finally:
            if child.is_alive():
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            child.join(10)
            parent_end.close()
        if rest:
            rest = rest[done + 1 :]  # the input that hung or killed the child is recorded; go on after it
    return report
