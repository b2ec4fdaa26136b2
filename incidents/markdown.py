"""Markdown to safe HTML. python-markdown renders; nh3 (the Ammonia sanitizer) then
keeps only an allow-list of tags, attributes and URL schemes, so no script, event
handler, javascript:/data: link or inline style survives, whatever the Markdown held.

The allow-list is deliberately small. Attributes that could make stored text pose as
the page around it are filtered by value: ``class`` only as a fenced block's
``language-*`` (and the table of contents' ``toc``), and heading ids only with the
``pm-`` prefix that our slugify gives them, so a heading cannot clobber the ids the
edit form relies on."""

import re

import markdown as md
import nh3
from markdown.extensions.toc import slugify_unicode

_HEADING_ID_PREFIX = "pm-"

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol",
    "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "div": {"class"},
    **{heading: {"id"} for heading in _HEADINGS},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_HEADING_ID = re.compile(re.escape(_HEADING_ID_PREFIX) + r"[\w-]{0,200}")
_ALIGN = {"left", "right", "center"}


def _slugify(value: str, separator: str) -> str:
    return _HEADING_ID_PREFIX + slugify_unicode(value, separator)


_EXTENSIONS = ["tables", "fenced_code", "toc", "sane_lists", "nl2br"]
_EXTENSION_CONFIGS = {
    "tables": {"use_align_attribute": True},
    "toc": {"slugify": _slugify, "permalink": False},
}


def render_markdown(text: str) -> str:
    # A fresh Markdown instance per call: instances keep state (toc ids) between
    # conversions and are not safe to share between threads.
    converter = md.Markdown(
        extensions=_EXTENSIONS,
        extension_configs=_EXTENSION_CONFIGS,
        output_format="html",
    )
    return sanitize_html(converter.convert(text or ""))


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        if tag == "code" and _LANGUAGE_CLASS.fullmatch(value):
            return value
        if tag == "div" and value == "toc":
            return value
        return None
    if attribute == "id":
        return value if _HEADING_ID.fullmatch(value) else None
    if attribute == "align":
        return value if value in _ALIGN else None
    return value


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        # Remote images are allowed, but they learn nothing about the page.
        set_tag_attribute_values={"img": {"referrerpolicy": "no-referrer"}},
        strip_comments=True,
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def escape_markdown(text: str) -> str:
    """Make user text (a title, an alert name) appear literally inside a Markdown
    body that Hindsight writes itself, so that it cannot add links, images or
    markup to the timeline."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
