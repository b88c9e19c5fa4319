"""A large import in the browser: the page shows its progress and then what was added, with and
without JavaScript, on a phone."""

import re

import pytest
from playwright.sync_api import expect

from journal import import_jobs, imports
from journal.models import ImportJob
from tests.journal_helpers import export_json, zip_bytes

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 812}


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_large_import_shows_its_progress_then_what_it_added(new_context, sign_in, person, monkeypatch, js):
    monkeypatch.setattr(imports, "INLINE_ENTRIES", 3)  # as 1,001 entries would be
    monkeypatch.setattr(imports, "BATCH", 2)
    records = [
        {
            "code": f"00000000-0000-4000-8000-00000000000{i}",
            "title": f"Evening {i}",
            "body": "By the sea.",
            "created_at": f"2026-03-0{i + 1}T20:00:00+00:00",
        }
        for i in range(7)
    ]
    context = new_context(java_script_enabled=js, viewport=PHONE)
    sign_in(context, person)
    page = context.new_page()
    page.goto("/journal/import/")
    page.get_by_label("Your file").set_input_files(
        {
            "name": "journal.zip",
            "mimeType": "application/zip",
            "buffer": zip_bytes({"entries.json": export_json(records)}),
        }
    )
    page.get_by_role("button", name="Check this file").click()
    expect(page).to_have_url(re.compile(r"/journal/import/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status")).to_contain_text("0 of 7 entries done")
    expect(page.get_by_role("progressbar")).to_be_visible()

    import_jobs.run(ImportJob.objects.get().pk)  # the job runner's worker

    status = page.get_by_role("status")
    expect(status).to_contain_text("Import finished", timeout=8_000)  # without reloading by hand
    expect(status).to_contain_text("Added 7 entries to your journal.")
    expect(page.get_by_role("button", name="Stop this import")).to_have_count(0)  # gone with the job
    status.get_by_role("link", name="Evening 3").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evening 3")
