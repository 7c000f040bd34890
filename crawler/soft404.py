"""Soft 404s: pages answered with HTTP 200 that say the page does not exist.

Many county CMSs (TRS, Hanweb, VSB and their kin) answer a deleted document or a dropped column
with HTTP 200 and an error page: "对不起，您访问的页面不存在！", "该信息已删除", "ERROR 404",
or only a script ``alert('信息不存在或已删除')`` that sends the browser back. Such a page is a
crawl error (kind ``gone``), never a document.

The one place that decides it, by the page's shape, never by a word alone: a report whose text
mentions "404" or quotes "页面不存在" stays a report. A page is a soft 404 when

- its visible text is short (``MAX_TEXT`` characters at most: an error page with the portal's
  header and footer; a report, even a detail page that only links its PDF, carries a title, a
  publisher and navigation of its own, and the tables of a report are thousands of characters),
  and
- the phrase stands where the page names itself: its ``<title>``, a heading (``h1``–``h4``), the
  whole visible text when that is a line or two (``BARE_TEXT``) made mostly of the message, or an
  ``alert()`` of a page with next to no text.

The spider asks only about pages that link no document (a page with an attachment is kept,
whatever it says).
"""

from __future__ import annotations

import re

from parsel import Selector

MAX_TEXT = 1500  # visible characters (whitespace left out) an error page may have
BARE_TEXT = 120  # a page this short is judged by its whole text

# How Chinese government CMSs word "not found / deleted" on a 200 page (and the generic English
# and number forms their error templates use). Matched in the places above only.
NOT_FOUND_PHRASES = (
    "页面不存在", "网页不存在", "页面不见了", "页面找不到", "找不到页面", "找不到该页面", "页面未找到", "无法找到该页",
    "您访问的页面不存在", "您所访问的页面不存在", "您要访问的页面不存在", "您访问的信息不存在",
    "信息不存在", "该信息不存在", "信息已删除", "该信息已删除", "信息已被删除", "信息已撤销", "该信息已撤销",
    "文章不存在", "该文章不存在", "文章已删除", "文档不存在", "该文档不存在", "内容不存在", "该内容已删除",
    "栏目不存在", "该栏目不存在", "资源不存在", "记录不存在", "链接已失效", "页面已删除", "页面已失效",
    "not found", "page not found", "file not found",
)  # fmt: skip
_PHRASE = re.compile("|".join(re.escape(p).replace(r"\ ", r"\s*") for p in sorted(NOT_FOUND_PHRASES, key=len, reverse=True)), re.I)
# "404" counts only as an error page's name: "404", "ERROR 404", "404错误", "404页面", "404 - 找不到…"
# (a heading "404条信息…" of a report is no error page).
_NAMED_404 = re.compile(r"^\W*(?:error\s*|错误\s*)?404\s*(?:$|错误|页面|error|not\s*found|[-–—:：!！|])", re.I)
_ALERT = re.compile(r"alert\s*\(\s*['\"]([^'\"]{1,200})['\"]")
_SPACE = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[\W_]+")


def soft_404(html: str | Selector) -> str | None:
    """The reason ``html`` (an HTTP 200 page, or its parsed ``Selector``: a response's own, so the
    page is not parsed twice) is an error page saying "not found", or None."""
    page = html if isinstance(html, Selector) else Selector(text=html or "<html></html>")
    text = _SPACE.sub("", "".join(page.xpath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]").getall()))
    if len(text) > MAX_TEXT:
        return None
    places = [("title", t) for t in page.xpath("//title//text()").getall()]
    places += [("heading", h) for h in (" ".join(e.xpath(".//text()").getall()) for e in page.xpath("//h1|//h2|//h3|//h4"))]
    if len(text) <= BARE_TEXT:
        said = _says_not_found(text)
        if said and len(said) * 3 >= len(_PUNCTUATION.sub("", text)):  # the message is the page, not a note on it
            places.append(("text", text))
        places += [("alert", a) for s in page.xpath("//script/text()").getall() for a in _ALERT.findall(s)]
    for place, words in places:
        said = _says_not_found(words)
        if said:
            return f"HTTP 200 page that says {said!r} ({place}): page not found"
    return None


def _says_not_found(words: str) -> str | None:
    words = _SPACE.sub(" ", words).strip()
    m = _PHRASE.search(words)
    if m:
        return m.group(0)
    if _NAMED_404.match(words):
        return words[:40]
    return None
