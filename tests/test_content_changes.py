"""A maintainer adds or copies a step file: readers, signed in or not, never meet an error, and
the file that is wrong is the one reported, with its line."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from journal.models import Entry
from recovery.content import library
from recovery.models import Step

pytestmark = pytest.mark.django_db


def copy_step(content_dir, source, slug, order=None):
    text = (content_dir / "steps" / f"{source}.md").read_text()
    text = re.sub(r"^slug: .*$", f"slug: {slug}", text, count=1, flags=re.M)
    text = re.sub(r"^aliases:.*?(?=^\w)", "", text, count=1, flags=re.M | re.S)
    if order is not None:
        text = re.sub(r"^order: .*$", f"order: {order}", text, count=1, flags=re.M)
    (content_dir / "steps" / f"{slug}.md").write_text(text)
    return text


def test_a_new_step_file_works_for_a_signed_in_reader_without_any_command(owner_client, steps, content_dir):
    copy_step(content_dir, "grieving", "a-new-step", order=990)
    assert not Step.objects.filter(slug="a-new-step").exists()

    page = owner_client.get("/steps/a-new-step/")
    assert page.status_code == 200
    doc = library().steps["a-new-step"]
    exercise, prompt = doc.exercises[0].id, doc.prompts[0].id
    assert owner_client.post(f"/steps/a-new-step/exercises/{exercise}/", {"done": "1"}).status_code == 302
    assert owner_client.post("/steps/a-new-step/complete/").status_code == 302
    assert owner_client.get(f"/journal/new/?step=a-new-step&prompt={prompt}").status_code == 200
    response = owner_client.post(
        "/journal/new/", {"title": "", "body": "About the new step", "step": "a-new-step", "prompt": prompt}
    )
    assert response.status_code == 302
    assert Entry.objects.get().step.slug == "a-new-step"
    assert 'aria-pressed="true"' in owner_client.get("/steps/a-new-step/").content.decode()


def test_a_copy_with_a_taken_order_never_takes_the_live_step_down(owner_client, client, steps, content_dir):
    original = (content_dir / "steps" / "self-care.md").read_text()
    order = re.search(r"^order: (\d+)", original, flags=re.M).group(1)
    order_line = next(i for i, line in enumerate(original.split("\n"), 1) if line.startswith("order:"))
    # "a-copy" sorts before "self-care": the new file would win if file names decided.
    copy_step(content_dir, "self-care", "a-copy")

    for reader in (owner_client, client):
        assert reader.get("/steps/self-care/").status_code == 200
        assert reader.get("/steps/a-copy/").status_code in (404, 500)  # 500: DEBUG's error page
    problems = [str(p) for p in library().problems if p.field == "order"]
    copy, live = content_dir / "steps" / "a-copy.md", library().steps["self-care"].path
    assert problems == [f"{copy}:{order_line}: field 'order': {order} is already used by {live}"]


def test_after_a_restart_the_step_the_database_knows_keeps_its_order(client, steps, content_dir):
    from recovery import content

    copy_step(content_dir, "self-care", "a-copy")
    content.reset()  # a new process: nothing served yet, only the database remembers
    assert client.get("/steps/self-care/").status_code == 200
    assert "a-copy" not in library().steps
    with pytest.raises(SystemCheckError, match="a-copy.md"):
        call_command("check", "--fail-level", "ERROR")
