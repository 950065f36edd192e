"""A campaign's body: Markdown to a safe HTML subset, and a plain-text part."""

from __future__ import annotations

import functools
import re

import nh3
from django.conf import settings
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "s",
    "a",
    "blockquote",
    "code",
    "pre",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML switched off: "<script>" is shown as text, never kept.
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def markdown_html(source: str) -> str:
    """Markdown -> HTML, then sanitised by nh3 (Ammonia) to the tags above.

    Site-relative links (``/library/``) become absolute: an email has no base address.
    """
    html = _markdown().render(source or "")
    html = re.sub(r'href="/(?!/)', f'href="{settings.SITE_URL}/', html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def markdown_text(source: str) -> str:
    """The plain-text part: Markdown is written to be read as it is; links show their
    address ("text (https://...)"), relative ones made absolute."""

    def link(match: re.Match[str]) -> str:
        url = match.group(2)
        if url.startswith("/") and not url.startswith("//"):
            url = settings.SITE_URL + url
        return f"{match.group(1)} ({url})"

    text = _LINK.sub(link, (source or "").replace("\r\n", "\n"))
    return _ESCAPED.sub(r"\1", text).strip()


_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")


def markdown_escape(text: str) -> str:
    """Text (a series title) as literal Markdown."""
    return _SPECIAL.sub(r"\\\1", text)
