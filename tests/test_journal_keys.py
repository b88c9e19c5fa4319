import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command

from journal.models import Draft, Entry
from tests.journal_helpers import make_entry, raw_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_key(settings):
    key = Fernet.generate_key().decode()
    settings.JOURNAL_KEYS = [key]
    return key


@pytest.fixture
def new_key():
    return Fernet.generate_key().decode()


def test_rotation_reencrypts_every_entry_and_draft_with_the_first_key(
    owner, owner_client, settings, old_key, new_key
):
    entries = [make_entry(owner, title=f"Entry {i}", body=f"river stone {i}") for i in range(5)]
    draft = Draft.objects.create(owner=owner, body="unsaved thought")
    settings.JOURNAL_KEYS = [new_key, old_key]

    call_command("rotate_journal_keys", "--batch-size", "2")

    settings.JOURNAL_KEYS = [new_key]  # the old key can go now
    for entry in entries:
        row = raw_row("journal_entry", entry.pk)
        assert Fernet(new_key).decrypt(row["body"].encode()).decode() == entry.body
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(row["title"].encode())
    assert Draft.objects.get(pk=draft.pk).body == "unsaved thought"
    assert owner_client.get(f"/journal/{entries[0].code}/").status_code == 200
    html = owner_client.get("/journal/?q=stone").content.decode()
    assert "5 matching entries" in html


def test_search_works_during_a_rotation_before_it_reaches_old_entries(
    owner, owner_client, settings, old_key, new_key
):
    make_entry(owner, title="Before", body="lantern")
    settings.JOURNAL_KEYS = [new_key, old_key]
    make_entry(owner, title="After", body="lantern")
    html = owner_client.get("/journal/?q=lantern").content.decode()
    assert "Before" in html and "After" in html


def test_rotation_is_resumable_and_skips_rows_already_done(owner, settings, old_key, new_key, capsys):
    for i in range(3):
        make_entry(owner, body=f"text {i}")
    settings.JOURNAL_KEYS = [new_key, old_key]
    make_entry(owner, body="written after the new key")  # already under the new key
    call_command("rotate_journal_keys")
    first = capsys.readouterr().out
    call_command("rotate_journal_keys")
    second = capsys.readouterr().out
    assert "entries: 3 of 3 re-encrypted" in first
    assert "entries:" not in second
    assert "Every journal row is encrypted with key" in second


def test_rotation_does_not_touch_updated_time_or_version(owner, settings, old_key, new_key):
    entry = make_entry(owner)
    before = Entry.objects.get(pk=entry.pk)
    settings.JOURNAL_KEYS = [new_key, old_key]
    call_command("rotate_journal_keys")
    after = Entry.objects.get(pk=entry.pk)
    assert (after.updated_at, after.version) == (before.updated_at, before.version)


def test_rotation_without_the_old_key_stops_with_a_clear_error(owner, settings, old_key, new_key):
    make_entry(owner)
    settings.JOURNAL_KEYS = [new_key]
    with pytest.raises(CommandError, match="Keep the old keys in the list"):
        call_command("rotate_journal_keys")
