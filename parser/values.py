"""Cell text → value: integer counts, exact decimal amounts, signed changes, blanks kept blank."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

from core.keys import DECIMAL_COLUMNS, SIGNED_COLUMNS
from parser.model import Number

ValueKind = Literal["count", "decimal", "signed"]

# Printed instead of a number; the value is unknown (None) but the raw text shows it was not blank.
PLACEHOLDERS = frozenset({"—", "——", "-", "--", "---", "–", "/", "\\", "无", "空", "─", "━", "－", "／", "一一"})

# Footnote marks around a number ("12*", "3①", "0[1]", "5（注1）"). Superscript digits must go
# before NFKC, which would turn "3¹" into "31".
_FOOTNOTE = re.compile(
    r"(?:\[\d{1,2}\]|\(注\d{0,2}\)|（注\d{0,2}）|注\d{0,2}|[*＊※△▲☆★#＃†‡⁰¹²³⁴⁵⁶⁷⁸⁹①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽])+$"
)
_LEAD_MARK = re.compile(r"^[*＊※△▲☆★#＃]+")
_UNITS = (
    "人次",
    "万元",
    "亿元",
    "千元",
    "元",
    "件",
    "个",
    "项",
    "条",
    "次",
    "人",
    "份",
    "家",
    "笔",
    "宗",
    "起",
    "户",
    "篇",
    "%",
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SPACES = re.compile(r"\s+")
_SIGN_WORDS = (("增加", 1), ("减少", -1), ("增", 1), ("减", -1), ("+", 1), ("-", -1), ("↑", 1), ("↓", -1))


@dataclass(frozen=True)
class ParsedValue:
    """The reading of one cell. ``readable`` is False for text that is neither number nor placeholder."""

    value: Number | None
    raw: str
    unit: str | None = None
    placeholder: bool = False
    readable: bool = True

    @property
    def blank(self) -> bool:
        return self.raw == ""


def clean_raw(text: str) -> str:
    """The cell text as published, trimmed (NBSP and full-width spaces included)."""
    return text.strip()


def _core(raw: str) -> str:
    s = _FOOTNOTE.sub("", raw.strip())
    s = _LEAD_MARK.sub("", s)
    s = unicodedata.normalize("NFKC", s).replace("−", "-").replace("﹣", "-")
    return _SPACES.sub("", s)


@lru_cache(maxsize=8192)
def parse_cell(text: str, kind: ValueKind = "count") -> ParsedValue:
    """Read one table cell.

    ``kind`` is ``"decimal"`` for money columns (always :class:`~decimal.Decimal`, exact),
    ``"signed"`` for 本年增/减, ``"count"`` otherwise (int; a fractional count stays Decimal so
    the monitor can flag it). Blank → None with raw ''; placeholders → None with the raw kept.
    """
    raw = clean_raw(text)
    if not raw:
        return ParsedValue(None, "")
    if raw.isascii() and raw.isdigit():
        return ParsedValue(Decimal(raw) if kind == "decimal" else int(raw), raw)
    s = _core(raw)
    if not s:
        return ParsedValue(None, raw, placeholder=True)
    if s in PLACEHOLDERS or unicodedata.normalize("NFKC", raw) in PLACEHOLDERS:
        return ParsedValue(None, raw, placeholder=True)
    sign = 1
    for word, sgn in _SIGN_WORDS:
        if s.startswith(word) and len(s) > len(word):
            sign, s = sgn, s[len(word) :]
            break
    unit = None
    for u in _UNITS:
        if s.endswith(u) and len(s) > len(u):
            unit, s = u, s[: -len(u)]
            break
    if "," in s and _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    if not _NUMBER.fullmatch(s):
        return ParsedValue(None, raw, unit=None, readable=False)
    try:
        dec = Decimal(s)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return ParsedValue(None, raw, readable=False)
    dec = dec * sign if sign < 0 else dec
    value: Number
    if kind == "decimal":
        value = dec
    elif "." in s:
        value = int(dec) if dec == dec.to_integral_value() else dec
    else:
        value = int(dec)
    return ParsedValue(value, raw, unit=unit)


def is_value_text(text: str) -> bool:
    """Whether a non-empty cell reads as a value (a number or a placeholder such as —)."""
    if not text.strip():
        return False
    pv = parse_cell(text)
    return pv.readable


def value_kind(column: str) -> ValueKind:
    """How the cells of a canonical column are read."""
    if column in DECIMAL_COLUMNS:
        return "decimal"
    if column in SIGNED_COLUMNS:
        return "signed"
    return "count"
