import uuid

import pytest

from journal.models import Draft, Entry
from tests.journal_helpers import entry_data, make_entry, raw_row

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def autosave(client, **fields):
    data = {"draft": str(uuid.uuid4()), "title": "", "body": ""}
    data.update(fields)
    return client.post("/journal/drafts/save/", data, headers=HTMX)


def test_autosave_keeps_an_encrypted_draft_and_says_saved_with_the_time(owner, owner_client):
    response = autosave(owner_client, title="Half a thought", body="I was going to say")
    html = response.content.decode()
    draft = Draft.objects.get(owner=owner)
    assert response.status_code == 200
    assert html.strip().startswith('<p id="autosave-status"')
    assert "Draft saved at <time" in html
    assert (draft.title, draft.body, draft.entry) == ("Half a thought", "I was going to say", None)
    assert "going to say" not in str(raw_row("journal_draft", draft.pk))


def test_later_autosaves_update_the_same_draft(owner, owner_client):
    code = str(uuid.uuid4())
    autosave(owner_client, draft=code, body="one")
    autosave(owner_client, draft=code, body="one two", mood="2")
    draft = Draft.objects.get(owner=owner)
    assert (draft.body, draft.mood) == ("one two", 2)


def test_autosave_with_nothing_typed_stores_nothing(owner_client):
    response = autosave(owner_client, body="   ")
    assert response.status_code == 204
    assert not Draft.objects.exists()


def test_a_draft_is_offered_back_on_the_next_visit(owner, owner_client):
    autosave(owner_client, body="words from a closed tab")
    html = owner_client.get("/journal/new/").content.decode()
    draft = Draft.objects.get(owner=owner)
    assert "You have unsaved writing" in html
    assert "words from a closed tab" in html
    assert f"/journal/new/?draft={draft.code}" in html


def test_continuing_a_draft_fills_the_editor_and_saving_uses_it_up(owner, owner_client, steps):
    autosave(
        owner_client, title="Kept", body="from the draft", step="reflect", prompt="needs-unmet", mood="4"
    )
    draft = Draft.objects.get(owner=owner)
    html = owner_client.get(f"/journal/new/?draft={draft.code}").content.decode()
    assert "from the draft</textarea>" in html
    assert f'name="draft" value="{draft.code}"' in html
    assert 'name="prompt" value="needs-unmet"' in html
    assert 'value="4" checked' in html
    owner_client.post(
        "/journal/new/",
        entry_data(
            title="Kept", body="from the draft", step="reflect", prompt="needs-unmet", draft=str(draft.code)
        ),
    )
    draft.refresh_from_db()
    assert Entry.objects.get(owner=owner).body == "from the draft"
    assert draft.used_at is not None and draft.body == "" and draft.title == ""
    assert "You have unsaved writing" not in owner_client.get("/journal/new/").content.decode()


def test_an_autosave_arriving_after_the_save_does_not_bring_the_draft_back(owner, owner_client):
    code = str(uuid.uuid4())
    owner_client.post("/journal/new/", entry_data(body="saved text", draft=code))
    response = autosave(owner_client, draft=code, body="saved text")
    assert response.status_code == 200
    assert not Draft.objects.for_user(owner).pending().exists()


def test_an_edit_draft_is_offered_on_that_entry_and_restores_its_base_version(owner, owner_client):
    entry = make_entry(owner, body="saved")
    autosave(owner_client, entry=str(entry.code), version="1", body="unsaved change")
    html = owner_client.get(f"/journal/{entry.code}/edit/").content.decode()
    draft = entry.drafts.get()
    assert "You have unsaved changes to this entry" in html and "unsaved change" in html
    restored = owner_client.get(f"/journal/{entry.code}/edit/?draft={draft.code}").content.decode()
    assert "unsaved change</textarea>" in restored
    assert 'name="version" value="1"' in restored
    assert "You have unsaved writing" not in owner_client.get("/journal/new/").content.decode()


def test_one_tap_on_discard_asks_first_and_loses_nothing(owner, owner_client):
    autosave(owner_client, body="Words I Might Still Want")
    draft = Draft.objects.get(owner=owner)
    response = owner_client.post(f"/journal/drafts/{draft.code}/discard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Discard this draft?" in page and "Words I Might Still Want" in page
    assert Draft.objects.filter(pk=draft.pk).exists()
    response = owner_client.post(f"/journal/drafts/{draft.code}/discard/", {"confirm": "yes"})
    assert response.status_code == 302
    assert not Draft.objects.exists()


def test_the_journal_list_offers_unsaved_writing_instead_of_nothing_here_yet(owner, owner_client):
    autosave(owner_client, body="Half a thought, Written Late")
    draft = Draft.objects.get(owner=owner)
    page = owner_client.get("/journal/").content.decode()
    assert "Half a thought, Written Late" in page
    assert f'href="/journal/new/?draft={draft.code}">Continue writing</a>' in page


def test_autosave_over_the_limit_is_refused_with_a_message(owner_client):
    response = autosave(owner_client, body="x" * 100_001)
    assert response.status_code == 400
    assert "Draft not saved: Your entry is 100,001 characters long" in response.content.decode()
    assert not Draft.objects.exists()


def test_autosave_keeps_text_the_editor_would_refuse(owner, owner_client, steps):
    autosave(owner_client, body="odd\x00char", mood="9", step="no-such-step", prompt="x")
    draft = Draft.objects.get(owner=owner)
    assert (draft.body, draft.mood, draft.step, draft.prompt) == ("odd\x00char", None, None, "")


def test_autosave_for_an_entry_in_the_trash_is_404(owner, owner_client):
    entry = make_entry(owner)
    owner_client.post(f"/journal/{entry.code}/delete/")
    assert autosave(owner_client, entry=str(entry.code), body="late").status_code == 404
