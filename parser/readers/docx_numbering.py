"""Word's automatic list numbers (一、 （二） 3.) as the text a reader of the page sees.

Word turns a typed "一、" at the start of a paragraph into an automatic list, and headings styles
often carry numbering: the number is then not in the paragraph's text at all, only in
``numbering.xml``. Section headings (一、总体情况) and row labels (（一）予以公开) would lose the
very part the parser matches on, so the reader puts the rendered number back in front.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

_CN_DIGITS = "零一二三四五六七八九"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def chinese_counting(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 105 → 一百零五 (Word's chineseCounting)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + _CN_DIGITS[rest] if rest < 10 else
                                     ("一" + chinese_counting(rest) if rest < 20 else chinese_counting(rest)))
        return _CN_DIGITS[n // 100] + "百" + tail
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    # Word repeats the letter past Z: AA, BB, …
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def format_number(n: int, fmt: str) -> str:
    """One level's counter in Word's ``numFmt`` (unknown formats fall back to decimal)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "japaneseCounting",
               "taiwaneseCounting", "taiwaneseCountingThousand", "ideographLegalTraditional"):
        return chinese_counting(n)
    if fmt in ("ideographTraditional",) and 0 < n <= len(_TIANGAN):
        return _TIANGAN[n - 1]
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "upperLetter":
        return _letters(n)
    if fmt == "lowerLetter":
        return _letters(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("none", "bullet"):
        return ""
    return str(n)


@dataclass
class Level:
    """One level of a list definition."""

    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


@dataclass
class Numbering:
    """The document's list definitions and the running counters while the body is read."""

    levels: dict[str, dict[int, Level]] = field(default_factory=dict)  # numId -> ilvl -> Level
    abstract_of: dict[str, str] = field(default_factory=dict)  # numId -> abstractNumId
    counters: dict[str, list[int]] = field(default_factory=dict)  # abstractNumId -> counter per level
    # Styles are parsed only when a styled paragraph is met in a document that has lists: the
    # styles part is often far larger than the text (350 KB in Word's default template).
    load_styles: Callable[[], Any | None] | None = None
    _style_numpr: dict[str, tuple[str, int]] | None = None  # paragraph style -> (numId, ilvl)

    @classmethod
    def from_parts(cls, numbering_xml: Any | None, load_styles: Callable[[], Any | None] | None = None) -> "Numbering":
        out = cls(load_styles=load_styles)
        if numbering_xml is not None:
            abstract: dict[str, dict[int, Level]] = {}
            for an in numbering_xml.iterchildren(W + "abstractNum"):
                abstract[an.get(W + "abstractNumId")] = {
                    int(lvl.get(W + "ilvl", "0")): _level(lvl) for lvl in an.iterchildren(W + "lvl")}
            for num in numbering_xml.iterchildren(W + "num"):
                num_id = num.get(W + "numId")
                ref = num.find(W + "abstractNumId")
                abstract_id = ref.get(W + "val") if ref is not None else None
                levels = dict(abstract.get(abstract_id, {}))
                for override in num.iterchildren(W + "lvlOverride"):
                    ilvl = int(override.get(W + "ilvl", "0"))
                    lvl = override.find(W + "lvl")
                    if lvl is not None:
                        levels[ilvl] = _level(lvl)
                    start = override.find(W + "startOverride")
                    if start is not None and ilvl in levels:
                        levels[ilvl] = Level(_int(start, 1), levels[ilvl].fmt, levels[ilvl].text)
                out.levels[num_id] = levels
                out.abstract_of[num_id] = abstract_id or num_id
        return out

    def style_numbering(self, style_id: str) -> tuple[str, int] | None:
        """(numId, ilvl) a paragraph style gives its paragraphs, if any."""
        if self._style_numpr is None:
            styles = self.load_styles() if self.load_styles else None
            self._style_numpr = _style_numbering(styles) if styles is not None else {}
        return self._style_numpr.get(style_id)

    def label(self, p: Any) -> str:
        """The rendered list number of paragraph ``p`` ('' when it is not in a list); advances
        the counters, so paragraphs must be asked in document order."""
        found = self._numpr(p)
        if found is None:
            return ""
        num_id, ilvl = found
        levels = self.levels.get(num_id)
        if not levels or num_id == "0" or ilvl not in levels:
            return ""
        key = self.abstract_of.get(num_id, num_id)
        counters = self.counters.setdefault(key, [0] * 9)
        if counters[ilvl] == 0:
            counters[ilvl] = levels[ilvl].start
        else:
            counters[ilvl] += 1
        for deeper in range(ilvl + 1, len(counters)):  # a new item restarts its sub-lists
            counters[deeper] = 0
        text = levels[ilvl].text
        for lvl in range(ilvl + 1):
            placeholder = f"%{lvl + 1}"
            if placeholder in text:
                level = levels.get(lvl, Level())
                value = counters[lvl] or level.start
                text = text.replace(placeholder, format_number(value, level.fmt))
        return text if levels[ilvl].fmt != "bullet" else ""

    def _numpr(self, p: Any) -> tuple[str, int] | None:
        if not self.levels:  # no list definitions: nothing is numbered
            return None
        ppr = p.find(W + "pPr")
        if ppr is None:
            return None
        numpr = ppr.find(W + "numPr")
        style = ppr.find(W + "pStyle")
        from_style = self.style_numbering(style.get(W + "val")) if style is not None else None
        if numpr is None:
            return from_style
        num_id = numpr.find(W + "numId")
        ilvl = numpr.find(W + "ilvl")
        nid = num_id.get(W + "val") if num_id is not None else (from_style[0] if from_style else None)
        if nid is None:
            return None
        return nid, _int(ilvl, from_style[1] if from_style else 0)


def _int(el: Any, default: int) -> int:
    try:
        return int(el.get(W + "val")) if el is not None else default
    except (TypeError, ValueError):
        return default


def _level(lvl: Any) -> Level:
    fmt = lvl.find(W + "numFmt")
    text = lvl.find(W + "lvlText")
    return Level(
        start=_int(lvl.find(W + "start"), 1),
        fmt=fmt.get(W + "val", "decimal") if fmt is not None else "decimal",
        text=text.get(W + "val", "") if text is not None else "",
    )


def _style_numbering(styles_xml: Any) -> dict[str, tuple[str, int]]:
    """Paragraph style id → (numId, ilvl), following ``basedOn`` to inherited numbering."""
    direct: dict[str, tuple[str | None, int | None]] = {}
    based_on: dict[str, str] = {}
    for style in styles_xml.iterchildren(W + "style"):
        sid = style.get(W + "styleId")
        if not sid:
            continue
        base = style.find(W + "basedOn")
        if base is not None:
            based_on[sid] = base.get(W + "val")
        numpr = style.find(f"{W}pPr/{W}numPr")
        if numpr is not None:
            num_id = numpr.find(W + "numId")
            ilvl = numpr.find(W + "ilvl")
            direct[sid] = (num_id.get(W + "val") if num_id is not None else None, _int(ilvl, 0) if ilvl is not None else None)
    out: dict[str, tuple[str, int]] = {}
    for sid in set(direct) | set(based_on):
        num_id, ilvl, seen, cur = None, None, set(), sid
        while cur and cur not in seen:
            seen.add(cur)
            d_num, d_lvl = direct.get(cur, (None, None))
            num_id = num_id or d_num
            ilvl = ilvl if ilvl is not None else d_lvl
            cur = based_on.get(cur)
        if num_id:
            out[sid] = (num_id, ilvl or 0)
    return out
