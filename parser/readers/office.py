"""DOC and WPS → DOCX with LibreOffice headless → the DOCX reader; antiword when that fails.

LibreOffice runs in a temporary folder with its own user profile (``-env:UserInstallation``),
so it never touches a person's profile and never collides with another soffice already
running; the profile is made once per process (a fresh one costs seconds of start-up) and
conversions in one process take turns, as one profile allows only one soffice at a time.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from parser.limits import current
from parser.readers import ReaderError, ReaderResult
from parser.readers.html import HtmlWriter, TableCell

OLE_MAGIC = b"\xd0\xcf\x11\xe0"

_lock = threading.Lock()
_profile_dir: str | None = None


class ConverterUnavailable(ReaderError):
    """The external converter (soffice, antiword) is not installed."""


def soffice_path() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile() -> str:
    """This process's private LibreOffice profile folder (removed at exit)."""
    global _profile_dir
    if _profile_dir is None:
        _profile_dir = tempfile.mkdtemp(prefix="nianbao-lo-profile-")
        atexit.register(shutil.rmtree, _profile_dir, True)
    return _profile_dir


def convert_with_soffice(data: bytes, in_suffix: str, target: str, timeout: float | None = None) -> bytes:
    """``data`` (a file ending in ``in_suffix``) converted by LibreOffice to ``target`` (e.g. ``docx``),
    within ``timeout`` seconds (default: the ``converter_seconds`` limit), start-up included."""
    timeout = current().converter_seconds if timeout is None else timeout
    exe = soffice_path()
    if exe is None:
        raise ConverterUnavailable("LibreOffice (soffice) is not installed; run scripts/install-system-deps")
    with _lock, tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        src = Path(tmp) / f"input{in_suffix}"
        src.write_bytes(data)
        outdir = Path(tmp) / "out"
        cmd = [exe, f"-env:UserInstallation={Path(_profile()).as_uri()}", "--headless", "--invisible",
               "--norestore", "--nolockcheck", "--convert-to", target, "--outdir", str(outdir), str(src)]
        _run(cmd, timeout, "LibreOffice")
        produced = sorted(outdir.glob(f"input.{target.split(':')[0]}"))
        if not produced:
            raise ReaderError(f"LibreOffice could not convert the {in_suffix} document to {target}")
        return produced[0].read_bytes()


def _run(cmd: list[str], timeout: float, what: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` in its own process group, killed whole on timeout (soffice forks soffice.bin)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "HOME": os.environ.get("HOME", tempfile.gettempdir())})
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ReaderError(f"limit: {what} took more than {timeout:.0f} s (limit {timeout:.0f} s) and was stopped")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def antiword_html(data: bytes) -> ReaderResult:
    """Text of a Word 97 binary by antiword: ``|a|b|`` lines become table rows, the rest paragraphs."""
    exe = shutil.which("antiword")
    if exe is None:
        raise ConverterUnavailable("antiword is not installed; run scripts/install-system-deps")
    with tempfile.TemporaryDirectory(prefix="nianbao-aw-") as tmp:
        src = Path(tmp) / "input.doc"
        src.write_bytes(data)
        done = _run([exe, "-m", "UTF-8.txt", "-w", "0", str(src)], current().converter_seconds, "antiword")
    if done.returncode != 0:
        raise ReaderError(f"antiword failed: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    writer = HtmlWriter()
    table: list[list[TableCell]] = []
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            table.append([TableCell(cell.strip()) for cell in stripped[1:-1].split("|")])
            continue
        if table:
            writer.table(table)
            table = []
        writer.paragraph(stripped)
    if table:
        writer.table(table)
    return ReaderResult(writer.render(), pages=1, text_chars=writer.text_chars, image_only=False,
                        warnings=["read with antiword: merged table cells are not kept"])


def embedded_html(data: bytes) -> str | None:
    """The HTML of a web page saved under a Word name (Word's "save as web page", MHTML, or a
    CMS serving HTML as .doc), or None for a real Word file."""
    head = data[:2048].lstrip().lower()
    if head.startswith(b"mime-version:") or b"\nmime-version:" in head[:1024]:
        import email

        message = email.message_from_bytes(data)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    return decode_html(payload)
        return None
    if head.startswith((b"<html", b"<!doctype html", b"<?xml")) and b"<html" in head:
        return decode_html(data)
    return None


def decode_html(data: bytes) -> str:
    """Bytes of a web page as text: its declared charset, else UTF-8, else GB18030."""
    m = re.search(rb'charset=["\']?([A-Za-z0-9_\-]+)', data[:4096])
    for enc in ([m.group(1).decode("ascii")] if m else []) + ["utf-8", "gb18030"]:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def plain_text(data: bytes) -> str | None:
    """``data`` as text when it is plain text (UTF-8 or GB18030, no control bytes but
    whitespace), else None."""
    if b"\x00" in data[:4096]:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n\f")
        return text if controls == 0 else None
    return None


def _text_html(text: str) -> ReaderResult:
    writer = HtmlWriter()
    for line in text.splitlines():
        writer.paragraph(line.strip())
    return ReaderResult(writer.render(), pages=1, text_chars=writer.text_chars, image_only=False,
                        warnings=["plain text under a Word name"])


class LegacyWordReader:
    """Word 97–2003 (.doc) and WPS Writer (.wps) documents."""


    def to_html(self, data: bytes) -> ReaderResult:
        from parser.readers.docx import DocxReader

        if data.startswith(b"PK\x03\x04"):  # a DOCX under an old name
            return DocxReader().to_html(data)
        page = embedded_html(data)
        if page is not None:
            return ReaderResult(page, pages=1, text_chars=len(re.sub(r"<[^>]*>|\s", "", page)), image_only=False,
                                warnings=["a web page saved under a Word name"])
        suffix = ".rtf" if data.startswith(b"{\\rtf") else ".doc" if data.startswith(OLE_MAGIC) else ".wps"
        if suffix == ".wps":
            text = plain_text(data)
            if text is not None:
                # Plain text under a Word name: read here. LibreOffice would take its text
                # importer's time (15 s for 235 KB) to give the same paragraphs.
                return _text_html(text)
        try:
            result = DocxReader().to_html(convert_with_soffice(data, suffix, "docx"))
        except ReaderError as soffice_error:
            if not data.startswith(OLE_MAGIC):
                raise
            try:
                result = antiword_html(data)
            except ReaderError as antiword_error:
                raise ReaderError(f"{soffice_error}; antiword: {antiword_error}") from antiword_error
            result.warnings.insert(0, f"LibreOffice failed ({soffice_error})")
        return result
