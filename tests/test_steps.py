"""Step modules from Markdown: the path, one step, validation, renders, and Step rows."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from recovery import content, markdown
from recovery.checks import check_content
from recovery.models import Step

ROOT = Path(__file__).resolve().parent.parent
CORE = [
    "acknowledge-feelings",
    "boundaries",
    "self-compassion",
    "grieving",
    "reflect",
    "finding-support",
    "self-care",
    "staying-safe",
]
OPTIONAL = [
    "rebuilding-self-trust",
    "reconnecting-with-people",
    "rewriting-your-story",
    "thinking-about-getting-back-together",
    "forgiveness",
    "keeping-going",
]
pytestmark = pytest.mark.django_db


def write_step(folder, slug, front, body="Some words.\n\n## A heading\n\nMore words."):
    path = folder / "steps" / f"{slug}.md"
    path.write_text(f"---\n{front}\n---\n{body}\n")
    return path


VALID = """title: A new step
slug: {slug}
order: {order}
summary: One sentence.
core: false
help: Reach out.
prompts:
  - id: one
    text: A prompt?
exercises:
  - id: do-it
    text: Do a thing.
in_brief:
  - One short line.
try_today: do-it
sources:
  - how-to-get-my-ex-back"""


def test_path_lists_core_steps_in_order_then_optional(client):
    response = client.get("/steps/")
    body = response.content.decode()
    positions = [body.index(f'href="/steps/{slug}/"') for slug in CORE + OPTIONAL]
    assert positions == sorted(positions)
    assert "min read" in body
    assert "Optional modules" in body


@pytest.mark.parametrize("slug", CORE + OPTIONAL)
def test_every_step_reads_without_an_account(client, slug):
    response = client.get(f"/steps/{slug}/")
    assert response.status_code == 200
    body = response.content.decode()
    doc = content.library().steps[slug]
    assert f'<h1 id="step-title">{doc.title}' in body
    assert "When to reach out for help" in body
    assert f'href="/journal/new/?step={slug}&amp;prompt={doc.prompts[0].id}"' in body
    assert "Write about this" in body
    assert "On this page" in body
    assert "Sources" in body


def test_step_content_meets_the_writing_brief():
    lib = content.library()
    assert [s.slug for s in lib.core] == CORE
    assert [s.slug for s in lib.optional] == OPTIONAL
    for doc in lib.path:
        text = (ROOT / doc.path).read_text()
        body = text.split("\n---\n", 1)[1]
        words = len(body.split())
        assert 600 <= words <= 1500, f"{doc.slug}: {words} words"
        assert 3 <= len(doc.prompts) <= 6, doc.slug
        assert 3 <= len(doc.exercises) <= 6, doc.slug
        assert doc.help and doc.sources


def test_content_note_is_shown_before_the_text(client):
    doc = content.library().steps["forgiveness"]
    assert doc.content_note
    body = client.get("/steps/forgiveness/").content.decode()
    assert body.index("Content note:") < body.index('class="step-body"')


def test_previous_and_next_links(client):
    body = client.get("/steps/reflect/").content.decode()
    assert 'rel="prev" href="/steps/grieving/"' in body
    assert 'rel="next" href="/steps/finding-support/"' in body


def test_unknown_step_is_a_404_in_the_layout(client):
    response = client.get("/steps/not-a-step/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


@pytest.mark.parametrize("slug", ["..%2F..%2Fsettings", "%2E%2E", "..", "steps%2F..%2F..%2Fmanage.py"])
def test_slug_with_path_characters_never_reads_outside_content(client, slug, monkeypatch):
    opened = []
    real_read = Path.read_bytes

    def spy(self):
        opened.append(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    response = client.get(f"/steps/{slug}/")
    assert response.status_code == 404
    assert all("content" in str(p) for p in opened)


def test_plain_pages_are_served(client):
    for slug in ("about", "privacy", "how-to-use", "help", "quick-exit"):
        response = client.get(f"/{slug}/")
        assert response.status_code == 200, slug


def test_help_page_links_every_number_and_text_line(client):
    body = client.get("/help/").content.decode()
    assert '<a href="tel:116123">116 123</a>' in body
    assert '<a href="tel:08082000247">0808 2000 247</a>' in body
    assert '<a href="sms:85258?body=SHOUT">85258</a>' in body
    assert '<a href="tel:999">999</a>' in body
    assert "press 55" in body
    assert "not therapy" in body


def test_help_page_has_a_jump_list_by_country_that_needs_no_javascript(client):
    body = client.get("/help/").content.decode()
    for country in ("united-kingdom", "ireland", "united-states", "canada", "australia", "new-zealand"):
        assert f'href="#lines-{country}"' in body
        assert f'id="lines-{country}"' in body
    # The emergency numbers come first, once.
    assert body.index("tel:911") < body.index('id="lines-heading"')
    assert body.count('href="tel:911"') == 1


def test_help_page_links_staying_safe(client):
    body = client.get("/help/").content.decode()
    assert 'href="/steps/staying-safe/"' in body


def test_help_page_claims_no_verification_that_nobody_did(client):
    body = client.get("/help/").content.decode()
    assert "last checked" not in body
    assert "(verified on" not in body


def test_verified_date_is_shown_only_where_set(client, content_dir):
    path = content_dir / "pages" / "help.md"
    text = path.read_text()
    path.write_text(
        text.replace(
            "        url: https://www.samaritans.org\n",
            "        url: https://www.samaritans.org\n        verified: 2026-11-20\n",
            1,
        )
    )
    body = client.get("/help/").content.decode()
    assert body.count("(verified on") == 1
    assert "verified on 20 November 2026" in body


def test_unverified_and_stale_crisis_lines_are_listed_as_info_not_warnings(content_dir):
    import datetime

    from django.core import checks

    from recovery.checks import check_crisis_lines_verified

    path = content_dir / "pages" / "help.md"
    stale = datetime.date.today() - datetime.timedelta(days=400)
    path.write_text(
        path.read_text().replace(
            "        url: https://www.samaritans.org\n",
            f"        url: https://www.samaritans.org\n        verified: {stale:%Y-%m-%d}\n",
            1,
        )
    )
    messages = check_crisis_lines_verified()
    assert messages and all(m.level == checks.INFO and m.id == "content.I001" for m in messages)
    texts = [m.msg for m in messages]
    assert any(
        "'Samaritans' (United Kingdom) was last verified on" in m and "more than a year ago" in m
        for m in texts
    )
    assert any("'Shout' (United Kingdom) has never been verified" in m for m in texts)
    assert all(m.startswith("content/pages/help.md:") or "help.md:" in m for m in texts), texts


def test_crisis_line_with_a_bad_number_or_date_names_the_field(content_dir):
    path = content_dir / "pages" / "help.md"
    text = (
        path.read_text()
        .replace("call: 116 123", "call: ring us", 1)
        .replace("added: 2026-11-24", "added: soon", 1)
    )
    path.write_text(text)
    messages = [m.msg for m in check_content() if "help.md" in m.msg]
    assert any("lines[0].call': must be a phone number" in m for m in messages), messages
    assert any("lines[0].added': must be the date" in m for m in messages), messages


def test_step_page_shows_in_brief_and_try_today_with_a_link_to_the_exercise(client):
    doc = content.library().steps["boundaries"]
    body = client.get("/steps/boundaries/").content.decode()
    assert "In brief" in body and "Try this today" in body
    for line in doc.in_brief:
        assert line.replace("'", "&#x27;") in body
    assert f'href="#exercise-{doc.try_today.id}"' in body
    assert f'id="exercise-{doc.try_today.id}"' in body


def test_help_box_links_to_the_help_page(client):
    body = client.get("/steps/boundaries/").content.decode()
    help_box = body[body.index('id="help-heading"') :]
    assert re.search(r'<a href="/help/"[^>]*>help page</a>', help_box)


def test_in_brief_must_be_one_to_three_lines_of_text(content_dir):
    front = VALID.format(slug="brief", order=43).replace(
        "in_brief:\n  - One short line.", "in_brief:\n  - One.\n  - Two.\n  - ''\n  - Four."
    )
    write_step(content_dir, "brief", front)
    messages = [m.msg for m in check_content() if "brief.md" in m.msg]
    assert any("brief.md:" in m and "field 'in_brief': must have 1 to 3 lines" in m for m in messages), (
        messages
    )
    assert any("brief.md:17: field 'in_brief[2]': must be a line of text" in m for m in messages), messages


def test_try_today_must_name_an_exercise_of_the_step(content_dir):
    write_step(
        content_dir,
        "today",
        VALID.format(slug="today", order=44).replace("try_today: do-it", "try_today: nap"),
    )
    messages = [m.msg for m in check_content() if "today.md" in m.msg]
    assert any(
        "today.md:16: field 'try_today': 'nap' is not the id of an exercise of this step" in m
        for m in messages
    ), messages


def test_every_step_has_a_content_note_in_brief_and_try_today():
    for doc in content.library().path:
        assert doc.content_note, doc.slug
        assert len(doc.in_brief) == 3, doc.slug
        assert doc.try_today in doc.exercises, doc.slug


def test_no_prompt_asks_two_questions():
    for doc in content.library().path:
        for prompt in doc.prompts:
            assert prompt.text.count("?") == 1, (doc.slug, prompt.id)


def test_content_in_the_repo_passes_the_check():
    assert [str(m) for m in check_content()] == []


def test_markdown_is_not_rendered_again_on_requests(client):
    client.get("/steps/reflect/")  # the library is read and rendered once
    before = markdown.renders
    for slug in CORE:
        client.get(f"/steps/{slug}/")
    client.get("/steps/")
    client.get("/about/")
    assert markdown.renders == before


def test_edit_shows_on_next_request_and_only_that_file_renders_again(client, content_dir):
    client.get("/steps/reflect/")
    path = content_dir / "steps" / "reflect.md"
    path.write_text(path.read_text().replace("title: Reflect and learn", "title: Reflect and learn (fixed)"))
    before = markdown.renders
    body = client.get("/steps/reflect/").content.decode()
    assert "Reflect and learn (fixed)" in body
    assert markdown.renders == before + 2  # the reading and the help box


def test_invalid_yaml_is_an_error_naming_the_file_and_line(content_dir):
    write_step(content_dir, "broken", "title: [unclosed\nslug: broken")
    messages = [str(m.msg) for m in check_content()]
    # YAML notices the unclosed bracket on the next line, where the mapping goes on.
    assert any(m.startswith(f"{content_dir / 'steps' / 'broken.md'}:3:") for m in messages), messages
    assert any("not valid YAML" in m for m in messages)


def test_missing_and_wrongly_typed_fields_name_the_field(content_dir):
    write_step(
        content_dir,
        "bad-fields",
        VALID.format(slug="bad-fields", order="'twelve'").replace("summary: One sentence.\n", ""),
    )
    messages = [m.msg for m in check_content() if "bad-fields.md" in m.msg]
    assert any("field 'summary': is missing" in m for m in messages), messages
    assert any("field 'order': must be a whole number" in m and "bad-fields.md:4" in m for m in messages), (
        messages
    )


def test_duplicate_order_and_prompt_id_are_errors(content_dir):
    write_step(
        content_dir,
        "dup",
        VALID.format(slug="dup", order=1).replace(
            "  - id: one\n    text: A prompt?",
            "  - id: one\n    text: A prompt?\n  - id: one\n    text: Again?",
        ),
    )
    messages = [m.msg for m in check_content() if "dup.md" in m.msg]
    assert any("id 'one' is used twice" in m for m in messages), messages
    write_step(content_dir, "dup", VALID.format(slug="dup", order=1))
    messages = [m.msg for m in check_content()]
    assert any("field 'order': 1 is already used by" in m for m in messages), messages


def test_slug_must_match_file_name(content_dir):
    write_step(content_dir, "file-name", VALID.format(slug="other-name", order=40))
    messages = [m.msg for m in check_content()]
    assert any("file-name.md" in m and "field 'slug'" in m for m in messages), messages


def test_related_slug_that_does_not_exist_is_a_warning(content_dir):
    write_step(content_dir, "lonely", VALID.format(slug="lonely", order=41) + "\nrelated: [nowhere]")
    found = [m for m in check_content() if "lonely.md" in m.msg]
    assert any(m.level == 30 and "'nowhere' is not the slug of any step" in m.msg for m in found), found


def test_script_and_javascript_link_are_removed_and_reported(client, content_dir):
    write_step(
        content_dir,
        "unsafe",
        VALID.format(slug="unsafe", order=42),
        body='Hello.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) and <b onclick="x()">b</b>',
    )
    warnings = [m.msg for m in check_content() if "unsafe.md" in m.msg]
    assert any("<script>" in m for m in warnings), warnings
    assert any("javascript:" in m for m in warnings), warnings
    body = client.get("/steps/unsafe/").content.decode()
    assert "<script>alert" not in body
    assert "javascript:" not in body
    assert "onclick" not in body


def test_one_broken_file_never_takes_down_the_other_pages(client, content_dir, settings):
    path = content_dir / "steps" / "reflect.md"
    path.write_text("---\ntitle: [broken\n---\n")
    assert client.get("/steps/boundaries/").status_code == 200
    assert client.get("/steps/").status_code == 200
    settings.DEBUG = False
    assert client.get("/steps/reflect/").status_code == 404
    settings.DEBUG = True
    response = client.get("/steps/reflect/")
    assert f"{content_dir / 'steps' / 'reflect.md'}:2" in response.content.decode()


def test_sync_creates_rows_for_every_step(steps):
    assert set(steps) == set(CORE + OPTIONAL)
    assert Step.objects.live().count() == 14


def test_removed_file_retires_the_step_but_keeps_the_row(client, content_dir, steps):
    (content_dir / "steps" / "self-care.md").unlink()
    call_command("sync_content")
    row = Step.objects.get(slug="self-care")
    assert row.retired_at is not None
    assert "/steps/self-care/" not in client.get("/steps/").content.decode()


def test_rename_through_aliases_moves_rows_and_redirects(client, content_dir, steps, owner):
    from recovery.models import StepProgress

    StepProgress.objects.create(user=owner, step=steps["self-care"], status="completed")
    old = content_dir / "steps" / "self-care.md"
    text = (
        old.read_text()
        .replace("slug: self-care", "slug: caring-for-yourself")
        .replace("aliases: []", "aliases: [self-care]")
    )
    (content_dir / "steps" / "caring-for-yourself.md").write_text(text)
    old.unlink()
    call_command("sync_content")
    progress = StepProgress.objects.get(user=owner)
    assert progress.step.slug == "caring-for-yourself"
    response = client.get("/steps/self-care/")
    assert response.status_code == 301
    assert response["Location"] == "/steps/caring-for-yourself/"


def test_anonymous_step_page_uses_at_most_two_queries(client, django_assert_max_num_queries, steps):
    client.get("/steps/reflect/")
    with django_assert_max_num_queries(2):
        assert client.get("/steps/reflect/").status_code == 200


def test_signed_in_step_page_is_read_in_few_queries_after_a_write(
    owner_client, django_assert_max_num_queries, steps
):
    # The first visit reads progress, ticks and answers and records itself.
    with django_assert_max_num_queries(7):
        assert owner_client.get("/steps/reflect/").status_code == 200
    owner_client.post("/steps/reflect/exercises/signs-check/", {"done": "1"})
    # Session, user, progress, ticks and this step's answers.
    with django_assert_max_num_queries(5):
        assert owner_client.get("/steps/reflect/").status_code == 200
