from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from journal.models import Draft, Entry, SearchToken
from tests.journal_helpers import make_entry

pytestmark = pytest.mark.django_db


def test_delete_moves_the_entry_to_the_trash_and_offers_undo(owner, owner_client):
    entry = make_entry(owner)
    response = owner_client.post(f"/journal/{entry.code}/delete/", follow=True)
    html = response.content.decode()
    entry.refresh_from_db()
    assert entry.deleted_at is not None
    assert "The entry is in the trash." in html
    assert f'action="/journal/{entry.code}/restore/"' in html
    assert "A quiet evening" not in html  # gone from the list itself


def test_undo_offer_is_shown_once(owner, owner_client):
    entry = make_entry(owner)
    owner_client.post(f"/journal/{entry.code}/delete/")
    assert "Undo" in owner_client.get("/journal/").content.decode()
    assert "Undo" not in owner_client.get("/journal/").content.decode()


def test_undo_right_after_deleting_restores_the_entry(owner, owner_client):
    entry = make_entry(owner)
    owner_client.post(f"/journal/{entry.code}/delete/")
    response = owner_client.post(f"/journal/{entry.code}/restore/")
    entry.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/journal/{entry.code}/"
    assert entry.deleted_at is None


def test_trash_lists_deleted_entries_with_when_they_go_for_good(owner, owner_client):
    entry = make_entry(owner, title="In the bin")
    owner_client.post(f"/journal/{entry.code}/delete/")
    html = owner_client.get("/journal/trash/").content.decode()
    purge_on = (timezone.now() + timedelta(days=30)).strftime("%-d %b %Y")
    assert "In the bin" in html
    assert "deleted for good on <time" in html and purge_on in html


def test_restore_from_the_trash_returns_to_the_trash(owner, owner_client):
    entry = make_entry(owner)
    owner_client.post(f"/journal/{entry.code}/delete/")
    response = owner_client.post(f"/journal/{entry.code}/restore/", {"next": "trash"})
    assert response["Location"] == "/journal/trash/"
    assert Entry.objects.for_user(owner).filter(pk=entry.pk).exists()


def test_entries_in_the_trash_cannot_be_read_or_edited(owner, owner_client):
    entry = make_entry(owner)
    owner_client.post(f"/journal/{entry.code}/delete/")
    assert owner_client.get(f"/journal/{entry.code}/").status_code == 404
    assert owner_client.get(f"/journal/{entry.code}/edit/").status_code == 404


def test_delete_forever_asks_first_then_removes_the_entry_and_its_index(owner, owner_client):
    entry = make_entry(owner)
    owner_client.post(f"/journal/{entry.code}/delete/")
    confirm = owner_client.get(f"/journal/{entry.code}/destroy/")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    response = owner_client.post(f"/journal/{entry.code}/destroy/")
    assert response["Location"] == "/journal/trash/"
    assert not Entry.objects.filter(pk=entry.pk).exists()
    assert not SearchToken.objects.filter(entry_id=entry.pk).exists()


def test_delete_forever_only_works_from_the_trash(owner, owner_client):
    entry = make_entry(owner)
    assert owner_client.post(f"/journal/{entry.code}/destroy/").status_code == 404
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_purge_trash_removes_entries_in_the_trash_for_30_days(owner, capsys):
    old = make_entry(owner, title="old")
    recent = make_entry(owner, title="recent")
    kept = make_entry(owner, title="kept")
    Entry.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    Entry.objects.filter(pk=recent.pk).update(deleted_at=timezone.now() - timedelta(days=29))
    call_command("purge_trash")
    assert set(Entry.objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}
    assert "Deleted 1 entries" in capsys.readouterr().out


def test_purge_trash_dry_run_deletes_nothing(owner, capsys):
    old = make_entry(owner)
    Entry.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=40))
    call_command("purge_trash", "--dry-run")
    assert Entry.objects.filter(pk=old.pk).exists()
    assert "1 entries would be deleted" in capsys.readouterr().out


def test_purge_trash_removes_old_markers_of_saved_drafts_but_not_unsaved_drafts(owner):
    marker = Draft.objects.create(owner=owner, used_at=timezone.now() - timedelta(days=2))
    unsaved = Draft.objects.create(owner=owner, body="still wanted")
    Draft.objects.filter(pk=unsaved.pk).update(updated_at=timezone.now() - timedelta(days=400))
    call_command("purge_trash")
    assert not Draft.objects.filter(pk=marker.pk).exists()
    assert Draft.objects.filter(pk=unsaved.pk).exists()
