"""The one Markdown renderer against hostile input: linear time, and nothing that can run script."""

import time
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journal.forms import BODY_LIMIT
from recovery import markdown
from tests.test_safety import XSS, executable

CPU_BOUND = 0.5  # seconds; the target is 0.2 s, the slack is for a busy machine

# The shapes that kept python-markdown busy for seconds or minutes, each near the body limit.
PATHOLOGICAL = {
    "open-brackets": "[" * 99_000,
    "star-a": "*a" * 49_000,
    "underscore-a": "_a" * 49_000,
    "open-tags": "<a" * 49_000,
    "nested-brackets": "[" * 49_000 + "x" + "]" * 49_000,
    "nested-links": "[a](" * 19_000 + ")" * 19_000,
    "table-16000-rows": "|a|b|\n|-|-|\n" + "|x|y|\n" * 16_000,
    "deep-list-one-line": "- " * 5_000 + "x",
    "deep-list-indented": "".join("  " * i + "- x\n" for i in range(300)),
    "ordered-list-one-line": "1. " * 33_000 + "x",
    "deep-blockquote": "> " * 5_000 + "x",
    "blockquote-run": ">" * 99_000,
    "list-in-quote-run": "> - " * 24_000 + "x",
    "backtick-run": "`" * 99_000,
    "backtick-ladder": "".join("`" * n + "a" for n in range(1, 440)),
    "unclosed-tags": "<div>" * 19_000,
    "unclosed-attribute": "<a href='x " * 9_000,
    "unclosed-comment": "<!--" * 24_000,
    "link-reference-flood": "".join(f"[r{i}]: /u{i}\n" for i in range(2_500)) + "\n" + "[r1] " * 12_000,
    "quotes": "\"a 'b " * 8_000 + "c' d\" " * 8_000,
    "entities": "&#" * 49_000,
    "autolinks": "<http://a" * 11_000,
    "bare-urls": "www.a." * 16_000,
    "same-heading": "## a\n" * 19_000,
    "emphasis-mixed": "*_~" * 33_000,
}


@pytest.mark.slow_input
@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_hostile_body_renders_in_linear_time(name):
    text = PATHOLOGICAL[name]
    assert len(text) <= BODY_LIMIT
    for toc in (False, True):
        start = time.process_time()
        markdown.render(text, toc=toc)
        spent = time.process_time() - start
        assert spent < CPU_BOUND, f"{name} took {spent:.2f} s of CPU"


@pytest.mark.slow_input
def test_preview_of_a_hostile_body_answers_quickly(owner_client):
    start = time.process_time()
    response = owner_client.post("/journal/preview/", {"body": "[" * 99_000}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert time.process_time() - start < 1.0


@pytest.mark.parametrize("payload", XSS)
def test_xss_payload_never_survives_the_renderer(payload):
    for toc in (False, True):
        assert executable(markdown.render(payload, toc=toc).html) == [], payload
        assert executable(markdown.render(f"# {payload}\n\ntext {payload} text", toc=toc).html) == []


def test_headings_with_quotes_give_plain_text_in_the_table_of_contents():
    rendered = markdown.render('Intro.\n\n## Why it\'s "hard" & <b>slow</b>\n\n### A `code` part', toc=True)
    assert rendered.toc == [
        ("why-its-hard-slow", "Why it’s “hard” & slow", 2),
        ("a-code-part", "A code part", 3),
    ]
    assert '<h2 id="why-its-hard-slow">Why it’s “hard” &amp; slow</h2>' in rendered.html


def test_same_heading_twice_gets_two_ids():
    rendered = markdown.render("## Notes\n\n## Notes\n\n## Notes", toc=True)
    assert [entry[0] for entry in rendered.toc] == ["notes", "notes_1", "notes_2"]


def test_journal_h1_becomes_h2_and_has_no_id():
    assert markdown.render("# Today").html.strip() == "<h2>Today</h2>"


def test_tables_lists_emphasis_strikethrough_and_dashes_render():
    html = markdown.render(
        "| a | b |\n| --- | --: |\n| 1 | 2 |\n\n* one\n* two\n\n1. first\n\n*soft* **strong** ~~gone~~ -- --- ..."
    ).html
    for part in ("<table>", "<th>b</th>", "<td>1</td>", "<ul>\n<li>one</li>", "<ol>\n<li>first</li>"):
        assert part in html
    assert "<em>soft</em> <strong>strong</strong> <del>gone</del> – — …" in html


def test_raw_html_and_unsafe_links_are_removed_and_reported():
    rendered = markdown.render('Hi <b onclick="x()">there</b> [x](javascript:alert(1)) [y](ftp://e.org/f)')
    assert (
        "onclick" not in rendered.html and "javascript:" not in rendered.html and "ftp:" not in rendered.html
    )
    assert "there" in rendered.html
    assert '<b onclick="x()">' in rendered.stripped
    assert any(s.startswith("javascript:") for s in rendered.stripped)
    assert any(s.startswith("ftp:") for s in rendered.stripped)


def test_links_keep_their_scheme_and_carry_rel():
    html = markdown.render("[a](https://example.org) [m](mailto:a@example.org) www.example.org").html
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">a</a>' in html
    assert 'href="mailto:a@example.org"' in html
    assert 'href="http://www.example.org"' in html


# Property: whatever Markdown-ish text comes in, only allowed markup comes out, and quickly.

FRAGMENTS = [
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href=\"javascript:x\">", "<svg onload=x>",
    "javascript:", "JaVaScRiPt:", "&#106;avascript:", "data:text/html,", "[", "]", "(", ")", "](", "![",
    "*", "**", "_", "~~", "`", "```", "\n", "\n\n", "> ", "- ", "1. ", "# ", "## ", "|", "|-|", "<", ">",
    "&", "&amp;", "&#", "\"", "'", "www.x.org", "http://a.b/", "<http://a.b>", "[r]: ", "onclick=", " ",
    "\t", "\\", "<!--", "-->", "<div>", "<style>", "<iframe>", "</", "x", "é", "\u202e", "\x00",
]  # fmt: skip


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]


@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=60), st.booleans())
def test_any_markdownish_text_renders_clean_and_fast(parts, toc):
    text = "".join(parts)
    start = time.process_time()
    html = markdown.render(text, toc=toc).html
    assert time.process_time() - start < CPU_BOUND
    markup = _Markup()
    markup.feed(html)
    markup.close()
    assert "<script" not in html.lower()
    assert markup.tags <= markdown.ALLOWED_TAGS, markup.tags
    for tag, name, value in markup.attrs:
        assert name in markdown.ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, name)
        assert not name.startswith("on")
        if name == "href":
            squashed = "".join(ch for ch in value if ch > " ").lower()
            assert not squashed.startswith(("javascript:", "vbscript:", "data:")), value
    assert executable(html) == []
