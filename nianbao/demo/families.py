"""Page templates of the CMS families that publish 年报: fed with articles, they give URL routes.

Each template reproduces what the crawler meets on real portals (see docs/portals.md §2): TRS
lists paged by ``createPageHTML``, Hanweb columns with an inline ``<datastore>`` and a POST
``dataproxy.jsp``, VSB lists counting down with ``download.jsp`` attachments that want a Referer,
gkmlpt's JSON list API, and a hand-made "generic" list. The demo portal and the crawler tests'
simulator both build their sites from these.
"""

from __future__ import annotations

import hashlib
import html
import json
import posixpath
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Literal
from urllib.parse import quote

from nianbao.demo.server import Handler, Page, SimRequest

CST = timezone(timedelta(hours=8))


@dataclass
class Attachment:
    """A file linked from a detail page."""

    name: str  # as shown in the link, with its extension
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass
class Article:
    """One entry of a column: a report, a 解读, a notice…"""

    title: str
    published: date
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    publisher: str = ""
    path: str | None = None  # fixed URL path of the detail page (e.g. under a robots-forbidden folder)
    delay: float = 0.0  # seconds the server takes to answer the detail page


@dataclass
class Encoding:
    """How a portal encodes its pages, and what it claims about it."""

    codec: str = "utf-8"  # the bytes on the wire
    header: str | None = "utf-8"  # charset of the Content-Type header (None: no charset)
    meta: str | None = "utf-8"  # charset of the <meta> (None: no meta)
    meta_style: Literal["http-equiv", "charset", "httpequiv"] = "http-equiv"  # httpequiv: a misspelling seen live

    def content_type(self) -> str:
        return f"text/html; charset={self.header}" if self.header else "text/html"

    def meta_tag(self) -> str:
        if not self.meta:
            return ""
        if self.meta_style == "charset":
            return f'<meta charset="{self.meta}">'
        attr = "http-equiv" if self.meta_style == "http-equiv" else "httpequiv"
        name = "Content-Type" if self.meta_style == "http-equiv" else "ContentType"
        return f'<meta {attr}="{name}" content="text/html; charset={self.meta}" />'


def _published_at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 9, 30, tzinfo=CST)


class ColumnTemplate:
    """A 年报 column of one portal; subclasses render one CMS family."""

    family = ""

    def __init__(
        self,
        *,
        prefix: str,
        site_name: str,
        articles: list[Article],
        page_size: int = 10,
        encoding: Encoding | None = None,
        column_name: str = "政府信息公开年报",
        subcolumns: list[tuple[str, ColumnTemplate]] | None = None,
        site_code: str = "6400000000",
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.site_name = site_name
        self.articles = sorted(articles, key=lambda a: a.published, reverse=True)
        self.page_size = max(1, page_size)
        self.encoding = encoding or Encoding()
        self.column_name = column_name
        self.subcolumns = subcolumns or []
        self.site_code = site_code

    # What the crawler gets ------------------------------------------------------------------
    @property
    def index_path(self) -> str:
        """The path of the column's first list page: the site's start URL."""
        raise NotImplementedError

    @property
    def column_link(self) -> str:
        """What a parent column links to (the index path; gkmlpt adds its category fragment)."""
        return self.index_path

    def routes(self) -> dict[str, Handler]:
        """Every path this column serves (its sub-columns included)."""
        routes: dict[str, Handler] = {}
        for _, child in self.subcolumns:
            routes.update(child.routes())
        routes.update(self._own_routes())
        return routes

    def detail_url_paths(self) -> list[tuple[Article, str]]:
        """(article, detail path) for every article, sub-columns included."""
        out = [(a, self.detail_path(i, a)) for i, a in enumerate(self.articles)]
        for _, child in self.subcolumns:
            out.extend(child.detail_url_paths())
        return out

    def _own_routes(self) -> dict[str, Handler]:
        raise NotImplementedError

    def detail_path(self, index: int, article: Article) -> str:
        raise NotImplementedError

    # Shared rendering -----------------------------------------------------------------------
    def pages(self) -> list[list[tuple[int, Article]]]:
        items = list(enumerate(self.articles))
        chunks = [items[i : i + self.page_size] for i in range(0, len(items), self.page_size)]
        return chunks or [[]]

    def doc_id(self, index: int) -> int:
        seed = int(hashlib.sha1(self.prefix.encode() + self.index_path.encode()).hexdigest()[:4], 16)
        return 10000 + seed * 10 + index * 7

    def html_page(self, title: str, body: str, head: str = "", last_modified: datetime | None = None, delay: float = 0.0) -> Page:
        text = (
            "<!DOCTYPE html>\n<html>\n<head>\n"
            f"{self.encoding.meta_tag()}\n<title>{html.escape(title)}</title>\n{head}\n</head>\n<body>\n"
            f'<div class="header"><a href="{self.prefix}/index.html">首页</a> | <a href="{self.prefix}/zwgk/index.html">政务公开</a>'
            f' | <a href="{self.index_path}">{html.escape(self.column_name)}</a> | <a href="{self.prefix}/hdjl/index.html">互动交流</a></div>\n'
            f'<div class="crumb">首页 &gt; 政务公开 &gt; 政府信息公开 &gt; {html.escape(self.column_name)}</div>\n'
            f"{body}\n"
            f'<div class="footer">主办：{html.escape(self.site_name)}办公室　网站标识码：{self.site_code}</div>\n'
            "</body>\n</html>\n"
        )
        return Page(
            text.encode(self.encoding.codec, errors="xmlcharrefreplace"),
            content_type=self.encoding.content_type(),
            last_modified=last_modified,
            delay=delay,
        )

    def subcolumn_links(self, from_path: str) -> str:
        if not self.subcolumns:
            return ""
        links = "".join(
            f'<li><a href="{_rel(from_path, child.index_path)}{child.column_link[len(child.index_path):]}">{html.escape(label)}</a></li>'
            for label, child in self.subcolumns
        )
        return f'<div class="sub_column"><ul>{links}</ul></div>'

    def attachment_page(self, att: Attachment, published: date) -> Page:
        return Page(att.data, content_type=att.content_type, last_modified=_published_at(published))


def _rel(from_path: str, to_path: str) -> str:
    """A relative link from the page at ``from_path`` to ``to_path``, as static CMSs write them."""
    rel = posixpath.relpath(to_path, posixpath.dirname(from_path))
    return rel if rel.startswith("../") else "./" + rel


def _short(title: str, n: int = 26) -> str:
    return title if len(title) <= n else title[:n] + "..."


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# TRS WCM ------------------------------------------------------------------------------------
class TrsColumn(ColumnTemplate):
    """TRS WCM: static ``index.html``/``index_N.html`` paged by ``createPageHTML``; ``./YYYYMM/tYYYYMMDD_id.html``."""

    family = "trs"

    def __init__(self, *, column_dir: str = "zwgk/zfxxgk/zfxxgknb", pager: Literal["createPageHTML", "countPage"] = "createPageHTML", **kw: object) -> None:
        self.column_dir = column_dir.strip("/")
        self.pager = pager  # countPage: a layout table and a document.write pager (鄂尔多斯恩格贝's 信息公开年报)
        super().__init__(**kw)  # type: ignore[arg-type]

    @property
    def dir(self) -> str:
        return f"{self.prefix}/{self.column_dir}"

    @property
    def index_path(self) -> str:
        return f"{self.dir}/index.html"

    def list_path(self, page: int) -> str:
        return self.index_path if page == 0 else f"{self.dir}/index_{page}.html"

    def detail_path(self, index: int, article: Article) -> str:
        if article.path:
            return article.path
        d = article.published
        return f"{self.dir}/{d:%Y%m}/t{d:%Y%m%d}_{self.doc_id(index)}.html"

    def attachment_path(self, index: int, article: Article, n: int) -> str:
        d = article.published
        digits = f"{d:%Y%m%d}{self.doc_id(index):07d}{n:05d}"[:20].ljust(20, "0")
        return f"{posixpath.dirname(self.detail_path(index, article))}/P0{digits}.{_ext(article.attachments[n].name)}"

    def _own_routes(self) -> dict[str, Handler]:
        routes: dict[str, Handler] = {}
        pages = self.pages()
        for p, chunk in enumerate(pages):
            path = self.list_path(p)
            if self.pager == "countPage":
                routes[path] = self._count_page_list(path, p, len(pages), chunk)
                continue
            items = "\n".join(
                f'<li><a href="{_rel(path, self.detail_path(i, a))}" target="_blank" title="{html.escape(a.title)}">'
                f"{html.escape(_short(a.title))}</a><span>{a.published:%Y-%m-%d}</span></li>"
                for i, a in chunk
            )
            pager = (
                '<div class="page"><script language="JavaScript">\n'
                f"var countPage = {len(pages)};//共多少页\nvar currentPage = {p};\n"
                f'createPageHTML({len(pages)}, {p}, "index", "html");\n</script></div>'
            )
            body = f'{self.subcolumn_links(path)}<div class="list_box"><ul class="list">\n{items}\n</ul>{pager}</div>'
            routes[path] = self.html_page(self.column_name, body, head='<script src="/js/createPageHTML.js"></script>')
        for i, a in enumerate(self.articles):
            path = self.detail_path(i, a)
            links = "".join(
                f'<p>附件：<a href="./{posixpath.basename(self.attachment_path(i, a, n))}" target="_blank">{html.escape(att.name)}</a></p>'
                for n, att in enumerate(a.attachments)
            )
            head = (
                f'<meta name="SiteName" content="{html.escape(self.site_name)}"/>\n'
                f'<meta name="SiteIDCode" content="{self.site_code}"/>\n'
                f'<meta name="ColumnName" content="{html.escape(self.column_name)}"/>\n'
                f'<meta name="ArticleTitle" content="{html.escape(a.title)}"/>\n'
                f'<meta name="PubDate" content="{a.published:%Y-%m-%d} 09:30"/>\n'
                f'<meta name="ContentSource" content="{html.escape(a.publisher)}"/>\n'
                f'<meta name="DocId" content="{self.doc_id(i)}"/>'
            )
            body = (
                f'<div class="article"><h1 class="title">{html.escape(a.title)}</h1>'
                f'<div class="info">发布时间：{a.published:%Y-%m-%d} 09:30　来源：{html.escape(a.publisher)}</div>'
                f'<div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">{a.body_html}</div>'
                f'<div class="article_attachment">{links}</div></div>'
            )
            routes[path] = self.html_page(a.title, body, head, last_modified=_published_at(a.published), delay=a.delay)
            for n, att in enumerate(a.attachments):
                routes[self.attachment_path(i, a, n)] = self.attachment_page(att, a.published)
        return routes


    def _count_page_list(self, path: str, p: int, count: int, chunk: list[tuple[int, Article]]) -> Page:
        """A list page in the markup of a real TRS column (tests/recorded/trs/, 恩格贝 信息公开年报):
        a side menu of the sibling columns (``../xxgkgd/`` …, the column itself ``./``), rows of a
        layout table, the link text the whole title (no title attribute), the date in the next
        cell, and a pager written by script from ``var countPage`` with no ``createPageHTML`` call."""
        menu = "".join(
            f'<tr><td width="19"><img src="../../images/gl_ico.jpg"></td><td width="136"><a href="{f"../{folder}/" if folder else "./"}" '
            f'target="_self">{name}</a></td></tr>\n'
            for folder, name in _TRS_SIBLING_COLUMNS
        )
        side = f'<table width="155" border="0" cellspacing="0" cellpadding="0" class="gl_left"><tbody>\n{menu}</tbody></table>'
        rows = "\n".join(
            '<tr valign="top" style="padding-bottom:10px;">\n<td width="25" style="padding-top:10px;"><img src="../../images/ico2.jpg"></td>\n'
            f'<td width="550">\n\t<a href="{_rel(path, self.detail_path(i, a))}">{html.escape(a.title)}</a>\n</td>\n'
            f"<td>\n\t{a.published:%Y-%m-%d}\n</td>\n</tr>"
            for i, a in chunk
        )
        pager = (
            '<td height="572" class="page"><script language="JavaScript" type="text/javascript">\n'
            f"var currentPage = {p};//所在页从0开始\nvar prevPage = currentPage-1//上一页\nvar nextPage = currentPage+1//下一页\n"
            f"var countPage = {count}//共多少页\n"
            'document.write("&nbsp;<a href=\\"index."+"html\\">首页</a>&nbsp;|");\n'
            "if(countPage>1&&currentPage!=(countPage-1))\n"
            'document.write("&nbsp;<a href=\\"index"+"_" + nextPage + "."+"html\\">&nbsp;<span class=greyfont>下一页</span>&nbsp;</a>&nbsp;");\n'
            "</script></td>"
        )
        body = (
            f'{side}{self.subcolumn_links(path)}<table width="752" border="0" cellpadding="0" cellspacing="0" class="bor"><tbody>'
            f'<tr><td class="pos" height="27">您现在的位置是：<a href="./" title="{html.escape(self.column_name)}" class="CurrChnlCls">'
            f"{html.escape(self.column_name)}</a></td></tr>"
            f'<tr><td height="678" valign="top"><table width="682" border="0" cellspacing="0" cellpadding="0" class="gl_list"><tbody>\n{rows}\n'
            f"</tbody></table></td></tr><tr>{pager}</tr></tbody></table>"
        )
        return self.html_page(self.column_name, body)


# The side menu of the real column (tests/recorded/trs/): folder beside the 年报 column, name.
_TRS_SIBLING_COLUMNS = (
    ("xxgkgd", "信息公开规定"), ("xxgkzd", "信息公开制度"), ("xxgkzn", "信息公开指南"), ("xxgkml", "信息公开目录"),
    ("ysqgklm", "依申请公开"), ("", "信息公开年报"), ("xxgkscx", "信息公开查询"), ("rsxx", "人事信息"),
    ("cwgk", "财务公开"), ("zfcg", "政府采购"), ("yjgl", "应急管理"),
)  # fmt: skip


# Hanweb JCMS ----------------------------------------------------------------------------------
class HanwebColumn(ColumnTemplate):
    """Hanweb 大汉 JCMS: ``/col/col<id>/index.html`` with an inline ``<datastore>``, more by POST to ``dataproxy.jsp``."""

    family = "hanweb"

    def __init__(
        self,
        *,
        column_id: int = 1229000001,
        web_id: int = 3001,
        unit_id: int = 6100001,
        inline_records: int = 3,
        strict_ajax: bool = True,  # dataproxy answers nothing without X-Requested-With and the form fields
        record_style: Literal["span", "div"] = "span",  # div: the markup of a real dataproxy.jsp answer (温州市科技局)
        **kw: object,
    ) -> None:
        self.record_style = record_style
        self.column_id = column_id
        self.web_id = web_id
        self.unit_id = unit_id
        self.inline_records = inline_records
        self.strict_ajax = strict_ajax
        super().__init__(**kw)  # type: ignore[arg-type]

    @property
    def index_path(self) -> str:
        return f"{self.prefix}/col/col{self.column_id}/index.html"

    @property
    def proxy_path(self) -> str:
        return f"{self.prefix}/module/web/jpage/dataproxy.jsp"

    def detail_path(self, index: int, article: Article) -> str:
        if article.path:
            return article.path
        d = article.published
        return f"{self.prefix}/art/{d.year}/{d.month}/{d.day}/art_{self.column_id}_{self.doc_id(index)}.html"

    def _record(self, index: int, a: Article) -> str:
        if self.record_style == "div":  # title in single quotes, title and date in divs inside the link
            return (
                f'<li>\t<a href="{self.detail_path(index, a)}" target="_blank" title=\'{html.escape(a.title, quote=False)}\'>'
                f'\t  <div class="text">{html.escape(a.title)}</div>\t  <div class="text-date">{a.published:%Y-%m-%d}</div></a>  </li>'
            )
        return (
            f'<li><a href="{self.detail_path(index, a)}" target="_blank" title="{html.escape(a.title)}">'
            f"<span>{html.escape(_short(a.title, 30))}</span><i>{a.published:%Y-%m-%d}</i></a></li>"
        )

    def _datastore(self, records: list[tuple[int, Article]], total: int) -> str:
        if self.record_style == "div":  # pretty-printed as in the real answer
            recs = "\n".join(f"        <record>\n            <![CDATA[{self._record(i, a)}]]></record>" for i, a in records)
        else:
            recs = "\n".join(f"<record><![CDATA[\n{self._record(i, a)}\n]]></record>" for i, a in records)
        pages = -(-total // self.page_size)
        return (
            f"<datastore>\n<totalrecord>{total}</totalrecord><totalpage>{pages}</totalpage>\n"
            f"<nextgroup><![CDATA[<a href=\"./dataproxy.jsp?page=2&appid=1&webid={self.web_id}&path=/&columnid={self.column_id}"
            f'&unitid={self.unit_id}&webname={quote(self.site_name)}"></a>]]></nextgroup>\n'
            f"<recordset>\n{recs}\n</recordset>\n</datastore>"
        )

    def _own_routes(self) -> dict[str, Handler]:
        total = len(self.articles)
        inline = list(enumerate(self.articles))[: self.inline_records]
        script = (
            "<script type=\"text/javascript\">$(document).ready(function(){ $('#"
            f"{self.unit_id}').jpage({{ dataStore : dataStore, dataBefore:'<ul class=\"list\">', dataAfter:'</ul>', "
            f"perPage:{self.page_size}, totalRecord:{total}, proxyUrl:'{self.proxy_path}', groupSize:3, barPosition:'bottom', "
            f"ajaxParam:{{col:1,appid:1,webid:{self.web_id},path:'/',columnid:{self.column_id},sourceContentType:1,"
            f"unitid:{self.unit_id},webname:'{self.site_name}',permissiontype:0}} }}); }});</script>"
        )
        body = (
            f'{self.subcolumn_links(self.index_path)}<div class="main-list"><div id="{self.unit_id}">'
            f'<script type="text/xml">\n{self._datastore(inline, total)}\n</script>\n'
            '<script language="javascript" src="/module/jslib/jquery/jpage/jquery.jpage.js"></script>'
            f"{script}</div></div>"
        )
        routes: dict[str, Handler] = {self.index_path: self.html_page(self.column_name, body)}
        routes[self.proxy_path] = self._dataproxy
        for i, a in enumerate(self.articles):
            routes[self.detail_path(i, a)] = self._detail(i, a)
            for n, att in enumerate(a.attachments):
                routes[self._attachment_path(i, n)] = self.attachment_page(att, a.published)
        return routes

    def _attachment_path(self, index: int, n: int) -> str:
        # As on a real article (tests/recorded/hanweb/): /attach/0/<32 hex>.<ext>, no name in the URL.
        key = hashlib.md5(f"{self.prefix}/{self.column_id}/{self.doc_id(index)}/{n}".encode()).hexdigest()
        return f"{self.prefix}/attach/0/{key}.{_ext(self.articles[index].attachments[n].name)}"

    def _dataproxy(self, request: SimRequest) -> Page:
        form = request.form
        ok = form.get("columnid") == str(self.column_id) and form.get("unitid") == str(self.unit_id)
        if self.strict_ajax and (request.method != "POST" or not ok or request.headers.get("x-requested-with") != "XMLHttpRequest"):
            return Page(b"<datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>", content_type="text/xml;charset=UTF-8")
        start = max(1, int(request.query.get("startrecord", "1")))
        end = int(request.query.get("endrecord", str(start + self.page_size - 1)))
        records = list(enumerate(self.articles))[start - 1 : end]
        return Page(self._datastore(records, len(self.articles)).encode("utf-8"), content_type="text/xml;charset=UTF-8")

    def _detail(self, i: int, a: Article) -> Page:
        meta = (
            '<table class="xxgk_table" width="100%"><tbody>'
            f"<tr><td>索 引 号：</td><td>{self.site_code[:6]}/{a.published.year}-{self.doc_id(i) % 100000:05d}</td>"
            f"<td>发布机构：</td><td>{html.escape(a.publisher)}</td></tr>"
            f"<tr><td>成文日期：</td><td>{a.published:%Y-%m-%d}</td><td>发布日期：</td><td>{a.published:%Y-%m-%d}</td></tr>"
            f'<tr><td>标　　题：</td><td colspan="3">{html.escape(a.title)}</td></tr>'
            "<tr><td>文　　号：</td><td></td><td>主题分类：</td><td>综合政务\\政务公开</td></tr></tbody></table>"
        )
        # A real article (tests/recorded/hanweb/) names its files in the body text only ("附件：…",
        # without the extension) and links each as "[附件下载]" below the body.
        names = "".join(f"<p>附件：{html.escape(att.name.rsplit('.', 1)[0])}<br/></p>" for att in a.attachments)
        links = "".join(
            f'<tr><td bgcolor="#FFFFFF" style="padding:8px 0px;">\n\t<a href="{self._attachment_path(i, n)}" '
            'style="font-size:10.5pt;font-weight:bold;">[附件下载]</a>\n</td></tr>'
            for n, _ in enumerate(a.attachments)
        )
        body = (
            f'<div class="xxgk_meta"><p>信息公开元数据</p>{meta}</div>'
            f'<div class="article"><div class="title">{html.escape(a.title)}</div>'
            f'<table width="100%"><tr><td><div id="zoom"><meta name="ContentStart">{a.body_html}{names}<meta name="ContentEnd"></div></td></tr>'
            f"{links}</table></div>"
        )
        head = f'<meta name="ArticleTitle" content="{html.escape(a.title)}">\n<meta name="PubDate" content="{a.published:%Y-%m-%d} 09:30">'
        return self.html_page(a.title, body, head, last_modified=_published_at(a.published), delay=a.delay)


# VSB 博达 ----------------------------------------------------------------------------------------
class VsbColumn(ColumnTemplate):
    """VSB 博达: ``<col>.htm`` then ``<col>/N.htm`` counting down; ``/info/<tree>/<id>.htm``; ``download.jsp``."""

    family = "vsb"

    def __init__(
        self, *, column: str = "zfxxgk/zfxxgknb", tree_id: int = 1025, owner: int = 1432000000, numbers_only: bool = False, **kw: object
    ) -> None:
        self.numbers_only = numbers_only  # a pager of page numbers only: no 首页/上页/下页/尾页 links
        self.column = column.strip("/")
        self.tree_id = tree_id
        self.owner = owner
        super().__init__(**kw)  # type: ignore[arg-type]

    @property
    def index_path(self) -> str:
        return f"{self.prefix}/{self.column}.htm"

    def list_path(self, page: int, count: int) -> str:
        return self.index_path if page == 0 else f"{self.prefix}/{self.column}/{count - page}.htm"

    def detail_path(self, index: int, article: Article) -> str:
        return article.path or f"{self.prefix}/info/{self.tree_id}/{self.doc_id(index)}.htm"

    def download_path(self) -> str:
        return f"{self.prefix}/system/_content/download.jsp"

    def file_id(self, index: int, n: int) -> str:
        return hashlib.md5(f"{self.prefix}{index}/{n}".encode()).hexdigest().upper()

    def _own_routes(self) -> dict[str, Handler]:
        routes: dict[str, Handler] = {}
        pages = self.pages()
        n = len(pages)
        for p, chunk in enumerate(pages):
            path = self.list_path(p, n)
            items = "\n".join(
                f'<li id="line_u8_{k}"><a href="{_rel(path, self.detail_path(i, a))}" target="_blank" title="{html.escape(a.title)}">'
                f'{html.escape(_short(a.title))}</a><span class="time">{a.published:%Y-%m-%d}</span></li>'
                for k, (i, a) in enumerate(chunk)
            )
            routes[path] = self.html_page(self.column_name, f'{self.subcolumn_links(path)}<div class="list"><ul>\n{items}\n</ul>{self._pager(p, n, path)}</div>')
        for i, a in enumerate(self.articles):
            routes[self.detail_path(i, a)] = self._detail(i, a)
        routes[self.download_path()] = self._download
        return routes

    def _pager(self, p: int, n: int, path: str) -> str:
        total = len(self.articles)

        def link(k: int, text: str, cls: str) -> str:
            return f'<span class="{cls}"><a href="{_rel(path, self.list_path(k, n))}">{text}</a></span>'

        parts = [f'<span class="p_t">共{total}条</span> <span class="p_pages">']
        if self.numbers_only:
            for k in range(n):
                parts.append(f'<span class="p_no_d">{k + 1}</span>' if k == p else f'<a href="{_rel(path, self.list_path(k, n))}">{k + 1}</a>')
            return '<div class="pb_sys_common">' + "".join(parts) + "</span></div>"
        parts.append(link(0, "首页", "p_first p_fun") if p > 0 else '<span class="p_first_d p_fun_d">首页</span>')
        parts.append(link(p - 1, "上页", "p_prev p_fun") if p > 0 else '<span class="p_prev_d p_fun_d">上页</span>')
        for k in range(n):
            parts.append(f'<span class="p_no_d">{k + 1}</span>' if k == p else link(k, str(k + 1), "p_no"))
        parts.append(link(p + 1, "下页", "p_next p_fun") if p + 1 < n else '<span class="p_next_d p_fun_d">下页</span>')
        parts.append(link(n - 1, "尾页", "p_last p_fun") if p + 1 < n else '<span class="p_last_d p_fun_d">尾页</span>')
        parts.append(f'</span> <span class="p_t">{p + 1}/{n}</span>')
        return '<div class="pb_sys_common pb_sys_normal">' + "".join(parts) + "</div>"

    def _detail(self, i: int, a: Article) -> Page:
        links = "".join(
            f'<li>附件【<a href="{self.download_path()}?urltype=news.DownloadAttachUrl&amp;owner={self.owner}&amp;wbfileid={self.file_id(i, n)}" '
            f'target="_blank">{html.escape(att.name)}</a>】已下载<span id="nattach{self.doc_id(i)}{n}">'
            f'<script language="javascript">getClickTimes({self.doc_id(i)},{self.owner},"wbnewsfile","attach")</script></span>次</li>'
            for n, att in enumerate(a.attachments)
        )
        body = (
            f'<form name="_newscontent_fromname"><div class="content-title"><h3>{html.escape(a.title)}</h3></div>'
            f'<div class="content-info">发布时间：{a.published:%Y年%m月%d日}　来源：{html.escape(a.publisher)}　点击数：'
            f'<script>_showDynClicks("wbnews", {self.owner}, {self.doc_id(i)})</script></div>'
            f'<div id="vsb_content_2"><div class="v_news_content">{a.body_html}</div></div>'
            f'<ul style="list-style-type:none;">{links}</ul></form>'
        )
        return self.html_page(a.title, body, last_modified=_published_at(a.published), delay=a.delay)

    def _download(self, request: SimRequest) -> Page:
        for i, a in enumerate(self.articles):
            for n, att in enumerate(a.attachments):
                if request.query.get("wbfileid") != self.file_id(i, n):
                    continue
                # Real VSB sites answer a small HTML error page unless the Referer is the article.
                if not request.headers.get("referer", "").endswith(self.detail_path(i, a)):
                    return self.html_page("提示", "<script>alert('对不起，您无权下载该附件！');history.back();</script>")
                disposition = f"attachment; filename=\"{quote(att.name)}\"; filename*=UTF-8''{quote(att.name)}"
                page = self.attachment_page(att, a.published)
                page.headers["Content-Disposition"] = disposition
                return page
        return self.html_page("提示", "<p>附件不存在</p>")


# gkmlpt-style JSON platform --------------------------------------------------------------------
class GkmlptColumn(ColumnTemplate):
    """A 政府信息公开目录平台 (gkmlpt): SPA shell, ``/gkmlpt/api/all/{catid}?page=&sid=`` JSON, ``post_<id>.html``."""

    family = "gkmlpt"

    def __init__(self, *, sid: str = "200165", catid: int = 2753, **kw: object) -> None:
        self.sid = sid
        self.catid = catid
        super().__init__(**kw)  # type: ignore[arg-type]

    @property
    def index_path(self) -> str:
        return f"{self.prefix}/gkmlpt/index"

    @property
    def start_url_suffix(self) -> str:
        """The start URL carries the category in its fragment, as on real sites."""
        return f"{self.index_path}#{self.catid}"

    @property
    def column_link(self) -> str:
        return self.start_url_suffix

    def detail_path(self, index: int, article: Article) -> str:
        if article.path:
            return article.path
        doc = self.doc_id(index)
        return f"{self.prefix}/gkmlpt/content/0/{doc // 1000}/post_{doc}.html"

    def _own_routes(self) -> dict[str, Handler]:
        shell = (
            '<div id="app"></div>'
            f"<script>window._CONFIG = {{SID: '{self.sid}', SITE_NAME: '{self.site_name}', "
            "API_BASE: '/gkmlpt/api', IS_ZHENGCE: false};</script>"
            '<script src="/gkmlpt/gkml/pc/js/chunk-common.5f2b.js"></script>'
        )
        routes: dict[str, Handler] = {self.index_path: self.html_page(f"{self.site_name}政府信息公开", shell)}
        routes[f"{self.prefix}/gkmlpt/api/all/{self.catid}"] = self._api
        for i, a in enumerate(self.articles):
            routes[self.detail_path(i, a)] = self._detail(i, a)
            for n, att in enumerate(a.attachments):
                routes[self._attachment_path(i, n)] = self.attachment_page(att, a.published)
        return routes

    def _attachment_path(self, index: int, n: int) -> str:
        doc = self.doc_id(index)
        return f"{self.prefix}/attachment/0/{doc // 100}/{doc}/{doc}_{n}.{_ext(self.articles[index].attachments[n].name)}"

    def _api(self, request: SimRequest) -> Page:
        page = int(request.query.get("page", "1") or 1)
        if request.query.get("sid") != self.sid:
            return Page(b'{"error":"sid required"}', status=400, content_type="application/json")
        chunk = list(enumerate(self.articles))[(page - 1) * self.page_size : page * self.page_size]
        payload = {
            "total": len(self.articles),
            "articles": [
                {
                    "id": self.doc_id(i),
                    "title": a.title,
                    "url": "http://{host}" + self.detail_path(i, a),
                    "created_at": f"{a.published:%Y-%m-%d} 09:30:00",
                }
                for i, a in chunk
            ],
            "classify": {"post_count": len(self.articles)},
        }
        host = request.headers.get("host", "")
        body = json.dumps(payload, ensure_ascii=False).replace("{host}", host)
        return Page(body.encode("utf-8"), content_type="application/json;charset=UTF-8")

    def _detail(self, i: int, a: Article) -> Page:
        detail = {
            "id": self.doc_id(i),
            "title": a.title,
            "publisher": a.publisher,
            "date": f"{a.published:%Y-%m-%d}",
            "attachments": [{"name": att.name, "url": self._attachment_path(i, n)} for n, att in enumerate(a.attachments)],
        }
        links = "".join(f'<p>附件：<a href="{self._attachment_path(i, n)}">{html.escape(att.name)}</a></p>' for n, att in enumerate(a.attachments))
        body = (
            f"<script>window._CONFIG = {{DETAIL: {json.dumps(detail, ensure_ascii=False)}}};</script>"
            f'<div class="meta"><span>发布机构：{html.escape(a.publisher)}</span><span>发布日期：{a.published:%Y-%m-%d}</span></div>'
            f'<div class="article-title">{html.escape(a.title)}</div><div class="article-content">{a.body_html}</div>{links}'
        )
        return self.html_page(a.title, body, last_modified=_published_at(a.published), delay=a.delay)


# A hand-made list (DedeCMS-like) --------------------------------------------------------------
class GenericColumn(ColumnTemplate):
    """An old hand-edited site: a layout table of entries, ``list_N.html`` pages with a 下一页 link."""

    family = "generic"

    def __init__(self, *, column_dir: str = "xxgk/ndbg", **kw: object) -> None:
        self.column_dir = column_dir.strip("/")
        super().__init__(**kw)  # type: ignore[arg-type]

    @property
    def index_path(self) -> str:
        return f"{self.prefix}/{self.column_dir}/list_1.html"

    def list_path(self, page: int) -> str:
        return f"{self.prefix}/{self.column_dir}/list_{page + 1}.html"

    def detail_path(self, index: int, article: Article) -> str:
        return article.path or f"{self.prefix}/{self.column_dir}/{article.published:%Y/%m%d}/{self.doc_id(index)}.html"

    def _own_routes(self) -> dict[str, Handler]:
        routes: dict[str, Handler] = {}
        pages = self.pages()
        for p, chunk in enumerate(pages):
            path = self.list_path(p)
            rows = "\n".join(
                f'<TR><TD class="entry"><A href="{_rel(path, self.detail_path(i, a))}" title="{html.escape(a.title)}">'
                f'{html.escape(_short(a.title))}</A></TD><TD class="date">[{a.published:%Y-%m-%d}]</TD></TR>'
                for i, a in chunk
            )
            nav = f'<A class="next" href="{_rel(path, self.list_path(p + 1))}">下一页</A>' if p + 1 < len(pages) else ""
            body = f'{self.subcolumn_links(path)}<TABLE class="news" width="100%">\n{rows}\n</TABLE><DIV class="pagelist">共{len(pages)}页 {nav}</DIV>'
            routes[path] = self.html_page(self.column_name, body)
        for i, a in enumerate(self.articles):
            body = f'<DIV class="title">{html.escape(a.title)}</DIV><DIV class="date">日期：{a.published:%Y-%m-%d}</DIV><DIV id="content">{a.body_html}</DIV>'
            routes[self.detail_path(i, a)] = self.html_page(a.title, body, last_modified=_published_at(a.published), delay=a.delay)
        return routes


class PowerEasyColumn(GenericColumn):
    """A site built on 动易 SiteFactory, in the markup of a real column (tests/recorded/generic/,
    靖安县 政务要闻): ``/Category_<id>/Index.aspx``, then ``Index_<k>.aspx`` (k ≥ 2) by a plain pager
    with 下一页; articles ``/Item/<id>.aspx`` (no date, no CMS id in the URL: only the list's dates
    tell entries from chrome). The list is ``ul.newsList`` rows ``<span class="date">`` + link, long
    titles cut with …, a ``split`` row after every five; a menu repeats the newest entries with
    short dates (``10-20``) and a 热门排行 box without dates, as on the real page. The article page
    is this simulator's own (no real one is recorded)."""

    def __init__(self, *, category: int = 133, **kw: object) -> None:
        self.category = category
        super().__init__(**kw)

    @property
    def index_path(self) -> str:
        return f"{self.prefix}/Category_{self.category}/Index.aspx"

    def list_path(self, page: int) -> str:
        return self.index_path if page == 0 else f"{self.prefix}/Category_{self.category}/Index_{page + 1}.aspx"

    def detail_path(self, index: int, article: Article) -> str:
        return article.path or f"{self.prefix}/Item/{self.doc_id(index)}.aspx"

    def _own_routes(self) -> dict[str, Handler]:
        routes: dict[str, Handler] = {}
        pages = self.pages()
        newest = list(enumerate(self.articles))[:8]
        menu = "".join(f'<li><span class="date">{a.published:%m-%d}</span><a href="{self.detail_path(i, a)}" target="_blank">{html.escape(_cut(a.title, 20))}</a></li>' for i, a in newest)
        hot = "".join(f'<li><a href="{self.detail_path(i, a)}" target="_blank">{html.escape(_cut(a.title, 22))}</a></li>' for i, a in newest)
        chrome = (
            f'<div class="nav"><div class="m-news"><ul class="tab"><li class="on"><a href="{self.index_path}">{html.escape(self.column_name)} </a></li></ul>'
            f'<ul class="infoList infoListA">{menu}</ul></div></div>'
            f'<div class="sideBox" id="side_hot"><div class="hd"><h3 class="title">热门排行</h3></div><div class="bd"><ul class="infoList infoListA">{hot}</ul></div></div>'
        )
        for p, chunk in enumerate(pages):
            path = self.list_path(p)
            rows = "".join(
                f'<li><span class="date">{a.published:%Y-%m-%d}</span><a href="{self.detail_path(i, a)}" target="_blank">{html.escape(_cut(a.title, 26))}</a></li>'
                + ('<li class="split"></li>' if n % 5 == 4 else "")
                for n, (i, a) in enumerate(chunk)
            )
            numbers = " ".join(
                f'<span class="current">{k + 1}</span>' if k == p else f'<a href="{posixpath.basename(self.list_path(k))}">{k + 1}</a>' for k in range(len(pages))
            )
            prev = posixpath.basename(self.list_path(max(p - 1, 0)))
            nxt = f'<a href="{posixpath.basename(self.list_path(p + 1))}">下一页</a>' if p + 1 < len(pages) else '<span class="disabled">下一页</span>'
            pager = (
                f'<div class="pager">\n <a href="Index.aspx">首页</a>\n <a href="{prev}">上一页</a>\n {numbers} \n{nxt}\n'
                f' <a href="{posixpath.basename(self.list_path(len(pages) - 1))}">尾页</a>\n'
                f'<span class="disabled">共{len(self.articles)}篇文章/共{len(pages)}页</span>\n</div>'
            )
            body = (
                f'{chrome}{self.subcolumn_links(path)}<div id="mainCon"><div class="mHd"><h3 class="nodeName"><a href="{self.index_path}">{html.escape(self.column_name)}</a></h3></div>'
                f'<div class="mBd"><ul class="newsList infoListA">{rows}</ul><div class="page"><span class="pagecss"><!--{{pe.begin.pagination}}-->{pager}<!--{{pe.end.pagination}}--></span></div></div></div>'
            )
            routes[path] = self.html_page(self.column_name, body)
        for i, a in enumerate(self.articles):
            body = f'<div class="title">{html.escape(a.title)}</div><div class="property">发布时间：{a.published:%Y-%m-%d}</div><div id="fontzoom">{a.body_html}</div>'
            routes[self.detail_path(i, a)] = self.html_page(a.title, body, last_modified=_published_at(a.published), delay=a.delay)
        return routes


def _cut(title: str, n: int) -> str:
    """A title cut the way 动易 lists cut it: ``n`` characters and an ellipsis."""
    return title if len(title) <= n else title[:n] + "…"


# gkmlpt platform with several categories -------------------------------------------------------
@dataclass
class GkmlptCategory:
    """One category of a gkmlpt platform; ``whole``: served on one API page, page ≥ 2 is 404 (zhaoqing)."""

    catid: int
    name: str
    articles: list[Article]
    page_size: int = 10
    whole: bool = False
    link_field: Literal["url", "post_url"] = "url"


class GkmlptPlatform(ColumnTemplate):
    """A 政府信息公开目录平台 with a category tree: the shell ``/gkmlpt/index`` (no fragment) names its
    categories in ``window._CONFIG`` (``tree="config"``) or points to a JSON tree (``tree="api"``;
    the key and the endpoint are this simulator's, the real ones are unverified); each category's
    list is ``/gkmlpt/api/all/<catid>?page=&sid=``."""

    family = "gkmlpt"

    def __init__(self, *, sid: str = "200165", categories: list[GkmlptCategory], tree: Literal["config", "api"] = "config", **kw: object) -> None:
        self.sid = sid
        self.categories = categories
        self.tree = tree
        self._columns = [
            _CategoryColumn(
                sid=sid, catid=c.catid, prefix=str(kw.get("prefix", "")), site_name=str(kw["site_name"]), articles=c.articles,
                page_size=max(1, len(c.articles)) if c.whole else c.page_size,
            )
            for c in categories
        ]
        super().__init__(articles=[], **kw)  # type: ignore[arg-type]

    @property
    def index_path(self) -> str:
        return f"{self.prefix}/gkmlpt/index"

    def detail_url_paths(self) -> list[tuple[Article, str]]:
        return [pair for col in self._columns for pair in col.detail_url_paths()]

    def _tree(self) -> list[dict[str, object]]:
        return [{"id": c.catid, "name": c.name, "children": []} for c in self.categories]

    def _own_routes(self) -> dict[str, Handler]:
        routes: dict[str, Handler] = {}
        for category, column in zip(self.categories, self._columns, strict=True):
            routes.update(column.routes())
            routes[f"{self.prefix}/gkmlpt/api/all/{category.catid}"] = self._api(category, column)
        if self.tree == "config":
            tree = ", ".join(f"{{id: {c.catid}, name: '{c.name}', parent: 0}}" for c in self.categories)
            config = f"CATEGORIES: [{tree}]"
        else:
            config = f"CLASSIFY_TREE_URL: '{self.prefix}/gkmlpt/api/tree?sid={self.sid}'"
            tree_json = json.dumps({"data": [{"id": 0, "name": self.site_name, "children": self._tree()}]}, ensure_ascii=False)
            routes[f"{self.prefix}/gkmlpt/api/tree"] = Page(tree_json.encode("utf-8"), content_type="application/json;charset=UTF-8")
        shell = (
            '<div id="app"></div>'
            f"<script>window._CONFIG = {{SID: '{self.sid}', SITE_NAME: '{self.site_name}', API_BASE: '/gkmlpt/api', {config}}};</script>"
            '<script src="/gkmlpt/gkml/pc/js/chunk-common.5f2b.js"></script>'
        )
        routes[self.index_path] = self.html_page(f"{self.site_name}政府信息公开", shell)
        return routes

    def _api(self, category: GkmlptCategory, column: GkmlptColumn) -> Handler:
        def answer(request: SimRequest) -> Page:
            page = int(request.query.get("page", "1") or 1)
            if category.whole and page >= 2:
                return Page(b"<html><body>404 Not Found</body></html>", status=404)
            result = column._api(request)
            if category.link_field == "post_url":
                result.body = result.body.replace(b'"url":', b'"post_url":')
            return result

        return answer


class _CategoryColumn(GkmlptColumn):
    """One category of a platform: document ids apart from the other categories'."""

    def doc_id(self, index: int) -> int:
        return 100000 + self.catid * 1000 + index * 7


# DedeCMS ---------------------------------------------------------------------------------------
class DedeColumn(ColumnTemplate):
    """DedeCMS: ``/a/<dir>/index.html`` then ``list_<tid>_<n>.html`` (static) or
    ``/plus/list.php?tid=&TotalResult=&PageNo=`` (dynamic), with the standard Dede pager."""

    family = "dede"

    def __init__(self, *, column_dir: str = "a/xxgk/ndbg", tid: int = 32, dynamic: bool = False, next_link: bool = True, **kw: object) -> None:
        self.next_link = next_link  # False: a pager of numbers and 共 N页 only
        self.column_dir = column_dir.strip("/")
        self.tid = tid
        self.dynamic = dynamic
        super().__init__(**kw)  # type: ignore[arg-type]

    @property
    def index_path(self) -> str:
        return f"{self.prefix}/plus/list.php" if self.dynamic else f"{self.prefix}/{self.column_dir}/index.html"

    @property
    def column_link(self) -> str:
        return f"{self.index_path}?tid={self.tid}" if self.dynamic else self.index_path

    def list_href(self, page: int) -> str:
        """The link to 0-based list page ``page`` as the pager writes it."""
        if self.dynamic:
            return f"{self.prefix}/plus/list.php?tid={self.tid}&TotalResult={len(self.articles)}&PageNo={page + 1}"
        return "index.html" if page == 0 else f"list_{self.tid}_{page + 1}.html"

    def detail_path(self, index: int, article: Article) -> str:
        if article.path:
            return article.path
        if self.dynamic:
            return f"{self.prefix}/plus/view.php"
        return f"{self.prefix}/{self.column_dir}/{article.published:%Y/%m%d}/{self.doc_id(index)}.html"

    def detail_href(self, index: int, article: Article) -> str:
        return f"{self.prefix}/plus/view.php?aid={self.doc_id(index)}" if self.dynamic and not article.path else self.detail_path(index, article)

    def _list_page(self, p: int) -> Page:
        pages = self.pages()
        rows = "\n".join(
            f'<li><a href="{self.detail_href(i, a)}" title="{html.escape(a.title)}">{html.escape(_short(a.title))}</a>'
            f"<span>{a.published:%Y-%m-%d}</span></li>"
            for i, a in pages[p]
        )
        pager = ['<li><a href="' + self.list_href(0) + '">首页</a></li>'] if p > 0 else []
        for k in range(len(pages)):
            pager.append('<li class="thisclass"><a>' + str(k + 1) + "</a></li>" if k == p else f'<li><a href="{self.list_href(k)}">{k + 1}</a></li>')
        if p + 1 < len(pages) and self.next_link:
            pager.append(f'<li><a href="{self.list_href(p + 1)}">下一页</a></li><li><a href="{self.list_href(len(pages) - 1)}">末页</a></li>')
        pager.append(f'<li><span class="pageinfo">共 <strong>{len(pages)}</strong>页<strong>{len(self.articles)}</strong>条</span></li>')
        body = f'{self.subcolumn_links(self.index_path)}<ul class="e2">\n{rows}\n</ul><div class="dede_pages"><ul class="pagelist">{"".join(pager)}</ul></div>'
        return self.html_page(self.column_name, body)

    def _detail(self, i: int, a: Article) -> Page:
        body = f'<div class="title"><h2>{html.escape(a.title)}</h2></div><div class="info">发布时间：{a.published:%Y-%m-%d}</div><div class="content">{a.body_html}</div>'
        return self.html_page(a.title, body, last_modified=_published_at(a.published), delay=a.delay)

    def detail_url_paths(self) -> list[tuple[Article, str]]:
        return [(a, self.detail_href(i, a)) for i, a in enumerate(self.articles)]

    def _own_routes(self) -> dict[str, Handler]:
        routes: dict[str, Handler] = {}
        if self.dynamic:
            def list_php(request: SimRequest) -> Page:
                return self._list_page(max(0, int(request.query.get("PageNo", "1") or 1) - 1))

            def view_php(request: SimRequest) -> Page:
                for i, a in enumerate(self.articles):
                    if request.query.get("aid") == str(self.doc_id(i)):
                        return self._detail(i, a)
                return Page(b"not found", status=404)

            routes[self.index_path] = list_php
            routes[f"{self.prefix}/plus/view.php"] = view_php
            return routes
        for p in range(len(self.pages())):
            routes[f"{self.prefix}/{self.column_dir}/{self.list_href(p)}"] = self._list_page(p)
        for i, a in enumerate(self.articles):
            routes[self.detail_path(i, a)] = self._detail(i, a)
        return routes
