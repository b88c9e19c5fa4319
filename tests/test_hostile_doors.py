"""Bad input found by probing the journal as an attacker would: each is a clear 4xx, never a
500, and nothing tells one person whether a code is someone else's."""

import uuid

import pytest

from journal.models import Draft, Entry
from tests.journal_helpers import entry_data, make_entry

pytestmark = pytest.mark.django_db


def autosave(client, **fields):
    data = {"draft": str(uuid.uuid4()), "title": "", "body": "typing", "mood": "", "step": "", "prompt": ""}
    data.update(fields)
    return client.post("/journal/drafts/save/", data)


@pytest.mark.parametrize("step", ["\x00", "reflect\x00", "%00", "x" * 5000, "../../etc", "Reflect"])
def test_a_junk_step_in_the_new_entry_link_is_a_clear_400(owner_client, steps, step):
    response = owner_client.get("/journal/new/", {"step": step, "prompt": "needs-unmet"})
    assert response.status_code == 400
    assert "There is no step called" in response.content.decode()


def test_a_version_past_the_databases_integer_is_refused_in_words(owner, owner_client):
    entry = make_entry(owner, body="first")
    data = entry_data(body="second", version="2147483648", draft=str(uuid.uuid4()))
    response = owner_client.post(f"/journal/{entry.code}/edit/", data)
    assert response.status_code == 400
    response = autosave(owner_client, entry=str(entry.code), version="2147483648")
    assert response.status_code == 400
    assert Entry.objects.get(pk=entry.pk).body == "first"


def test_autosave_with_someone_elses_draft_code_is_like_any_new_code(
    owner_client, stranger_client, owner, stranger
):
    theirs = uuid.uuid4()
    assert autosave(stranger_client, draft=str(theirs), body="the stranger's words").status_code == 200
    unknown = autosave(owner_client, draft=str(uuid.uuid4()), body="my words")
    taken = autosave(owner_client, draft=str(theirs), body="my other words")
    assert taken.status_code == unknown.status_code == 200
    assert "Draft not saved" not in taken.content.decode()
    assert Draft.objects.get(owner=stranger, code=theirs).body == "the stranger's words"
    assert Draft.objects.get(owner=owner, code=theirs).body == "my other words"


def test_discarding_someone_elses_draft_is_404_whatever_the_method(owner_client, stranger_client):
    code = uuid.uuid4()
    autosave(stranger_client, draft=str(code), body="the stranger's words")
    assert owner_client.get(f"/journal/drafts/{code}/discard/").status_code == 404
    assert owner_client.post(f"/journal/drafts/{code}/discard/").status_code == 404
    assert stranger_client.get(f"/journal/drafts/{code}/discard/").status_code == 405
    assert Draft.objects.filter(code=code).exists()
