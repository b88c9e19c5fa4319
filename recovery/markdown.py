"""Markdown to safe HTML: python-markdown renders, bleach cleans with an explicit allowlist.

Step content and journal entries both go through `render`, so there is one sanitiser to
review. Nothing here is called on a request for step content in steady state: the content
library keeps what it rendered (see recovery/content.py).
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import bleach
import markdown
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "h2": ["id"], "h3": ["id"], "h4": ["id"]}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}
HREF = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)

# Headings inside a journal entry start at h2 so the page keeps one h1.
_HEADING_SHIFT = re.compile(r"<(/?)h1\b")

renders = 0  # how many times Markdown was rendered in this process; tests count it


@dataclass
class Rendered:
    html: str
    toc: list = field(default_factory=list)  # [(id, text, level)] of h2 and h3 headings
    stripped: list = field(default_factory=list)  # raw HTML or unsafe links that were removed


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href.startswith(("http://", "https://", "mailto:")):
        attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[lambda source: LinkifyFilter(source, callbacks=[_set_rel], skip_tags={"pre", "code"})],
)


def _unsafe_links(html):
    for url in HREF.findall(html):
        scheme = urlsplit(url.strip()).scheme.lower()
        if scheme and scheme not in ALLOWED_PROTOCOLS:
            yield url


def render(text, *, toc=False):
    """Render Markdown to cleaned HTML, reporting anything that bleach had to remove."""
    global renders
    renders += 1
    extensions = ["tables", "sane_lists", "smarty"]
    if toc:
        extensions.append("toc")
    md = markdown.Markdown(
        extensions=extensions,
        extension_configs={"toc": {"toc_depth": "2-3"}} if toc else {},
        output_format="html",
    )
    raw = md.convert(text)
    stripped = [
        block.strip()
        for block in (str(b) for b in md.htmlStash.rawHtmlBlocks)
        if block.lstrip().startswith("<")
    ]
    stripped += list(_unsafe_links(raw))
    raw = _HEADING_SHIFT.sub(r"<\1h2", raw)
    html = _cleaner.clean(raw)
    headings = []
    if toc:
        for token in md.toc_tokens:
            headings.append((token["id"], bleach.clean(token["name"], tags=set(), strip=True), 2))
            for child in token["children"]:
                headings.append((child["id"], bleach.clean(child["name"], tags=set(), strip=True), 3))
    return Rendered(html=html, toc=headings, stripped=stripped)
