"""Step modules from Markdown: the path, one step, validation, renders, and Step rows."""

from pathlib import Path

import pytest
from django.core.management import call_command

from recovery import content, markdown
from recovery.checks import check_content
from recovery.models import Step

ROOT = Path(__file__).resolve().parent.parent
CORE = ["acknowledge-feelings", "reflect", "boundaries", "self-compassion", "forgiveness", "grieving"]
OPTIONAL = [
    "finding-support",
    "self-care",
    "rebuilding-self-trust",
    "rewriting-your-story",
    "reconnecting-with-people",
    "thinking-about-getting-back-together",
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
    assert 'rel="prev" href="/steps/acknowledge-feelings/"' in body
    assert 'rel="next" href="/steps/boundaries/"' in body


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


def test_help_page_shows_last_checked_dates(client):
    body = client.get("/help/").content.decode()
    assert "last checked 24 November 2026" in body
    assert "not therapy" in body


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
    assert markdown.renders == before + 1


def test_invalid_yaml_is_an_error_naming_the_file_and_line(content_dir):
    write_step(content_dir, "broken", "title: [unclosed\nslug: broken")
    messages = [str(m.msg) for m in check_content()]
    assert any(m.startswith("content/steps/broken.md:2") or "broken.md:" in m for m in messages), messages
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
    assert (
        "content/steps/reflect.md" in response.content.decode() or "reflect.md" in response.content.decode()
    )


def test_sync_creates_rows_for_every_step(steps):
    assert set(steps) == set(CORE + OPTIONAL)
    assert Step.objects.live().count() == 12


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
