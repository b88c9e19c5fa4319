"""Markdown to safe HTML: cmark-gfm renders, nh3 cleans with an explicit allowlist.

Step content and journal entries both go through `render`, so there is one sanitiser to
review. cmark-gfm (GitHub's CommonMark parser, in C) is built and fuzzed to run in linear time
whatever it is given, so a stranger's journal preview can never keep a worker busy: 100,000
characters of the worst known shapes render in well under 100 ms. Its safe mode never passes
raw HTML through (it leaves a comment in its place) and empties javascript:, vbscript:, file:
and data: links. Nothing here is called on a request for step content in steady state: the
content library keeps what it rendered (see recovery/content.py).
"""

import functools
import html
import re
import unicodedata
from dataclasses import dataclass, field

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}

# Smart quotes, dashes and ellipses (what python-markdown's smarty did); ~~strike~~ only with
# two tildes; tables; bare URLs made links (what bleach's linkify did). No CMARK_OPT_UNSAFE.
_OPTIONS = Options.CMARK_OPT_SMART | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE
_EXTENSIONS = ["table", "strikethrough", "autolink"]
_OMITTED = "<!-- raw HTML omitted -->"

# Patterns over cmark's own output, whose attribute values never hold a raw < or >.
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_EMPTIED_LINK = re.compile(r'<a href=""')
# Only a run of container tags with nothing between can nest deep in a body of 100,000
# characters (`>` * 99,000 is 99,000 blockquotes); nested with text between, they stop at ~300.
_OPEN_RUN = re.compile(r"(?:<(?:blockquote|ul|ol|li)\b[^>]*>\n?){41,}")
_CLOSE_RUN = re.compile(r"(?:</(?:blockquote|ul|ol|li)>\n?){41,}")
_ANY_TAG = re.compile(r"<[^>]*>\n?")
MAX_DEPTH = 40  # the sanitiser's HTML parser slows down quadratically with nesting
# The cheapest deep nesting, one character a level, is cut in the source: it would cost more to
# render and flatten than everything else a body can hold.
_QUOTE_RUN = re.compile(rf"((?:>[ \t]{{0,4}}){{{MAX_DEPTH}}})(?:>[ \t]{{0,4}})+")

# Patterns over the source, only to name what was removed for the maintainers' check. Each is
# bounded so that no input can make it scan far.
_RAW_TAG = re.compile(r"<(?:[A-Za-z][A-Za-z0-9-]{0,30}(?=[\s/>])[^<>\n]{0,200}>?|!--)")
_SCHEME = r"<?([A-Za-z][A-Za-z0-9+.-]{0,31}:[^\s()<>]{0,60})"
_LINK_URL = re.compile(r"\]\(\s*" + _SCHEME + r"|^ {0,3}\[[^\]\n]{1,200}\]:\s*" + _SCHEME, re.MULTILINE)
_AUTOLINK_URL = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]{0,60})>")

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=ALLOWED_PROTOCOLS,
    link_rel="nofollow noopener noreferrer",
    strip_comments=True,
)

renders = 0  # how many times Markdown was rendered in this process; tests count it


@dataclass
class Rendered:
    html: str
    toc: list = field(default_factory=list)  # [(id, text, level)] of h2 and h3 headings, plain text
    stripped: list = field(default_factory=list)  # raw HTML or unsafe links that were removed


def plain_text(fragment):
    """The text of an HTML fragment: tags removed, entities decoded (to be escaped once, later)."""
    return html.unescape(nh3.clean(fragment, tags=set()))


@functools.lru_cache(maxsize=256)
def _slugify(text):
    """The ids python-markdown's toc made, so links to a section keep working."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


class _Headings:
    """Shifts h1 to h2 (the page keeps its one h1) and, for a table of contents, gives h2 to h4
    ids and lists h2 and h3."""

    def __init__(self, toc):
        self.toc = toc
        self.entries = []
        self.used = set()
        self.counts = {}  # one counter per slug keeps a thousand identical headings linear

    def _unique(self, slug):
        candidate = slug
        while not candidate or candidate in self.used:
            self.counts[slug] = self.counts.get(slug, 0) + 1
            candidate = f"{slug}_{self.counts[slug]}"
        self.used.add(candidate)
        return candidate

    def __call__(self, match):
        level, inner = max(int(match[1]), 2), match[2]
        if not self.toc or level > 4:
            return f"<h{level}>{inner}</h{level}>"
        text = " ".join(html.unescape(_TAG.sub("", inner)).split())
        slug = self._unique(_slugify(text))
        if level <= 3:
            self.entries.append((slug, text, level))
        return f'<h{level} id="{slug}">{inner}</h{level}>'


def _flatten(raw):
    """Keep the outer MAX_DEPTH tags of a run of nested blocks and drop the rest. The page
    is then garbled, which only such input deserves, and never slow to clean."""
    if raw.count("<blockquote>") + raw.count("<li>") <= MAX_DEPTH:
        return raw
    raw = _OPEN_RUN.sub(lambda run: "".join(_ANY_TAG.findall(run[0])[:MAX_DEPTH]), raw)
    return _CLOSE_RUN.sub(lambda run: "".join(_ANY_TAG.findall(run[0])[-MAX_DEPTH:]), raw)


def _removed(text, raw):
    """What the safe render left out, found in the source, for the maintainers' check."""
    found = []
    if _OMITTED in raw:
        found += [m[0].strip() for m in _RAW_TAG.finditer(text)]
    for match in (*_LINK_URL.finditer(text), *_AUTOLINK_URL.finditer(text)):
        url = next(g for g in match.groups() if g)
        if url.split(":", 1)[0].lower() not in ALLOWED_PROTOCOLS:
            found.append(url)
    return found


def render(text, *, toc=False, line_breaks=False):
    """Render Markdown to cleaned HTML, reporting the raw HTML and unsafe links it removed.
    With line_breaks (journal text), a new line is kept as one, as the person typed it."""
    global renders
    renders += 1
    options = _OPTIONS | Options.CMARK_OPT_HARDBREAKS if line_breaks else _OPTIONS
    raw = cmarkgfm.markdown_to_html_with_extensions(_QUOTE_RUN.sub(r"\1", text), options, _EXTENSIONS)
    headings = _Headings(toc)
    raw = _HEADING.sub(headings, raw)
    # cmark keeps the text of a link it emptied; without its href it is just text.
    raw = _EMPTIED_LINK.sub("<a", _flatten(raw))
    html = _cleaner.clean(raw).strip()
    return Rendered(html=html, toc=headings.entries, stripped=_removed(text, raw))
