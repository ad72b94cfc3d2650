"""A case's body: Markdown rendered safely.

markdown-it-py with raw HTML off (``<script>`` and any other tag come out as text), links
only to http(s) and mailto addresses, no images (an image shows its description: nothing
is loaded from elsewhere) and headings one level down (the page's title is the only h1).
nh3 then cleans the HTML again against an allow-list, as a second line of defence.
The output has no inline scripts or styles, so the site's strict CSP holds.
"""

from __future__ import annotations

import functools
import html as htmllib

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
TAGS = {"p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
        "strong", "em", "code", "pre", "a"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def _valid_link(url: str) -> bool:
    return url.strip().lower().startswith(ALLOWED_SCHEMES)


def _image_as_text(_renderer, tokens, idx, _options, _env) -> str:
    token = tokens[idx]
    return str(escape("".join(child.content for child in (token.children or []))))


def _headings_down(state) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 1)}"


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _valid_link  # type: ignore[method-assign]
    md.add_render_rule("image", _image_as_text)
    md.core.ruler.push("headings_down", _headings_down)
    return md


def render(source: str | None) -> Markup:
    """Safe HTML of a Markdown text."""
    html = _parser().render(source or "")
    cleaned = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES,
                        url_schemes={"http", "https", "mailto"},
                        link_rel="nofollow noopener noreferrer")
    return Markup(cleaned)


def plain_text(source: str | None) -> str:
    """The text of a Markdown body without markup (search documents, feed summaries)."""
    html = _parser().render(source or "")
    return " ".join(htmllib.unescape(nh3.clean(html, tags=set())).split())
