"""Prose on a PDF page: characters → lines → paragraphs, page numbers dropped.

A PDF has no paragraphs, only positioned lines; these are joined back where a line runs to the
right edge of the text column and the next one goes on without indent, so sentences the parser
quotes (本年新收…N件) are not cut at a line end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAGE_NUMBER = re.compile(r"^[\s\-—－–_·]*(第\s*)?\d{1,4}(\s*页)?(\s*/\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[\s\-—－–_·]*$")
MARGIN_SHARE = 0.08  # top/bottom share of the page where page numbers live
# A wrapped line ends this many characters short of the right edge at most: left-aligned CJK
# text is ragged by up to two characters (punctuation may not start a line, digits run wider).
FULL_LINE_SLACK = 3.0


@dataclass
class Paragraph:
    """Prose joined from wrapped lines, and how its edges sit, to join it across pages."""

    text: str
    indented: bool  # the first line starts right of the text column
    full: bool  # the last line reaches the right edge: the paragraph may go on


def text_lines(chars: list[dict]) -> list[dict]:
    """Text lines (text, x0, x1, top, bottom, size) from characters outside tables."""
    from pdfplumber.utils import cluster_objects, extract_text

    lines = []
    for group in cluster_objects(chars, lambda c: round((c["top"] + c["bottom"]) / 2, 1), 3):
        text = extract_text(group).replace("\n", " ").strip()
        if not text:
            continue
        lines.append({
            "text": text,
            "x0": min(c["x0"] for c in group),
            "x1": max(c["x1"] for c in group),
            "top": min(c["top"] for c in group),
            "bottom": max(c["bottom"] for c in group),
            "size": max(c.get("size", 0) for c in group),
        })
    lines.sort(key=lambda ln: ln["top"])
    return lines


def paragraphs(chars: list[dict], height: float) -> list[tuple[float, Paragraph]]:
    """Join wrapped lines into paragraphs; drop page numbers in the top and bottom margins.

    A line that reaches the right edge of the text column continues on the next line; a short
    line, a larger gap, an indent or a change of font size starts a new paragraph.
    """
    lines = [ln for ln in text_lines(chars)
             if not (PAGE_NUMBER.match(ln["text"]) and (ln["top"] > height * (1 - MARGIN_SHARE) or ln["bottom"] < height * MARGIN_SHARE))]
    if not lines:
        return []
    right = max(ln["x1"] for ln in lines)
    left = min(ln["x0"] for ln in lines)
    body_size = sorted(ln["size"] for ln in lines)[len(lines) // 2]  # the median line's size
    out: list[tuple[float, Paragraph]] = []
    current: list[dict] = []

    def close() -> None:
        first, last = current[0], current[-1]
        size = first["size"] or 10
        out.append((first["top"], Paragraph(join_lines([ln["text"] for ln in current]),
                                            indented=first["x0"] > left + size / 2,
                                            full=last["x1"] >= right - FULL_LINE_SLACK * size)))

    for ln in lines:
        size = ln["size"] or 10
        prev = current[-1] if current else None
        goes_on = prev is not None and ln["top"] - prev["bottom"] < size and abs(ln["size"] - prev["size"]) < 0.5 and (
            (prev["x1"] >= right - FULL_LINE_SLACK * size  # the previous line was full (ragged right)
             and ln["x0"] <= left + size / 2)  # and this one is not indented
            or _wrapped_centred(prev, ln, left, right, body_size)
        )
        if not goes_on and current:
            close()
            current = []
        current.append(ln)
    if current:
        close()
    return out


def _wrapped_centred(prev: dict, line: dict, left: float, right: float, body_size: float) -> bool:
    """A title wrapped onto a second centred line: display-size text (larger than the body),
    both lines centred on the same axis, the first nearly as wide as the text column."""
    centre = lambda ln: (ln["x0"] + ln["x1"]) / 2  # noqa: E731
    size = prev["size"] or 10
    return (size >= 1.2 * body_size
            and abs(centre(prev) - centre(line)) < size
            and line["x0"] > left + size  # the second line is centred, not a body line
            and prev["x1"] - prev["x0"] >= 0.7 * (right - left))


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines: nothing between CJK characters or digits (a number wrapped at the
    line end stays one number), one space between Latin words."""
    if not lines:
        return ""
    text = lines[0]
    for nxt in lines[1:]:
        if text and nxt and text[-1].isascii() and text[-1].isalpha() and nxt[0].isascii() and nxt[0].isalpha():
            text += " "
        text += nxt
    return text
