import logging
import uuid

import pytest
from django.contrib import admin
from django.test import Client
from django.views.debug import ExceptionReporter

from journal.models import Draft, Entry, SearchToken
from recovery.models import ExerciseTick
from tests.journal_helpers import entry_data, make_entry, raw_row

pytestmark = pytest.mark.django_db

METHODS = ["get", "post", "put", "patch", "delete", "head", "options"]
SECRET_TITLE = "Letter I never sent"
SECRET_BODY = "I still think about the night at the lighthouse."


@pytest.fixture
def owned(owner, steps):
    """One of the owner's entries, one in their trash, and one of their drafts."""
    live = make_entry(
        owner, title=SECRET_TITLE, body=SECRET_BODY, step=steps["reflect"], prompt="needs-unmet"
    )
    trashed = make_entry(owner, title="Trashed", body="gone for now")
    Entry.objects.filter(pk=trashed.pk).update(deleted_at=live.created_at)
    draft = Draft.objects.create(owner=owner, entry=live, title="draft title", body="draft words")
    return {"live": live, "trashed": trashed, "draft": draft}


def entry_paths(code):
    return [
        f"/journal/{code}/",
        f"/journal/{code}/edit/",
        f"/journal/{code}/delete/",
        f"/journal/{code}/restore/",
        f"/journal/{code}/destroy/",
    ]


def test_stranger_gets_404_on_every_entry_path_and_method(owned, stranger_client):
    for entry in (owned["live"], owned["trashed"]):
        for path in entry_paths(entry.code):
            for method in METHODS:
                response = getattr(stranger_client, method)(path)
                assert response.status_code == 404, (method, path, response.status_code)
    assert Entry.objects.filter(deleted_at__isnull=True).count() == 1
    assert Entry.objects.filter(deleted_at__isnull=False).count() == 1


def test_stranger_cannot_reach_drafts_or_entries_through_the_editor(owned, stranger_client):
    live, draft = owned["live"], owned["draft"]
    assert stranger_client.get(f"/journal/new/?draft={draft.code}").status_code == 404
    assert stranger_client.get(f"/journal/{live.code}/edit/?draft={draft.code}").status_code == 404
    assert stranger_client.post(f"/journal/drafts/{draft.code}/discard/").status_code == 404
    autosave = {"draft": str(uuid.uuid4()), "entry": str(live.code), "body": "x"}
    assert stranger_client.post("/journal/drafts/save/", autosave).status_code == 404
    hijack = {"draft": str(draft.code), "body": "overwritten"}
    assert stranger_client.post("/journal/drafts/save/", hijack).status_code == 200  # a draft of their own
    draft.refresh_from_db()
    assert draft.body == "draft words"


def test_strangers_own_pages_show_nothing_of_the_owners(owned, stranger_client):
    for path in ("/journal/", "/journal/trash/", "/journal/new/", "/journal/?q=lighthouse"):
        html = stranger_client.get(path).content.decode()
        assert SECRET_TITLE not in html and "Trashed" not in html and "draft words" not in html


def test_strangers_export_holds_none_of_the_owners_entries(owned, stranger_client):
    response = stranger_client.get("/journal/export/")
    assert response.status_code == 200
    assert SECRET_BODY.encode() not in response.content


def test_owner_gets_405_for_a_method_a_path_does_not_take(owned, owner_client):
    assert owner_client.get(f"/journal/{owned['live'].code}/delete/").status_code == 405
    assert owner_client.post(f"/journal/{owned['live'].code}/").status_code == 405


@pytest.mark.parametrize(
    "path",
    ["/journal/", "/journal/new/", "/journal/trash/", "/journal/export/", "/journal/import/"],
)
def test_anonymous_visitor_is_sent_to_log_in(path, client):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_anonymous_visitor_is_sent_to_log_in_from_entry_paths(owned):
    client = Client()
    for path in entry_paths(owned["live"].code) + ["/journal/drafts/save/", "/journal/preview/"]:
        response = client.post(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/")


def test_every_journal_response_is_private_and_never_stored(owned, owner_client, client):
    live = owned["live"]
    responses = [
        owner_client.get("/journal/"),
        owner_client.get("/journal/new/"),
        owner_client.get(f"/journal/{live.code}/"),
        owner_client.get(f"/journal/{live.code}/edit/"),
        owner_client.get("/journal/trash/"),
        owner_client.get("/journal/export/"),
        owner_client.get("/journal/import/"),
        owner_client.post("/journal/new/", entry_data(mood="9")),
        owner_client.post("/journal/preview/", {"body": "hi"}),
        owner_client.post("/journal/drafts/save/", {"draft": str(uuid.uuid4()), "body": "typed"}),
        owner_client.get(f"/journal/{uuid.uuid4()}/"),
        client.get("/journal/"),
    ]
    for response in responses:
        assert response["Cache-Control"] == "private, no-store", response.request["PATH_INFO"]


def test_database_row_holds_neither_title_nor_body(owned):
    row = raw_row("journal_entry", owned["live"].pk)
    dump = " ".join(str(value) for value in row.values())
    for secret in (SECRET_TITLE, SECRET_BODY, "lighthouse", "Letter"):
        assert secret not in dump
    assert row["title"].startswith("gAAAAA") and row["body"].startswith("gAAAAA")
    assert row["body_html"].startswith("gAAAAA") and row["excerpt"].startswith("gAAAAA")


def test_draft_row_holds_none_of_the_draft_text(owned):
    row = raw_row("journal_draft", owned["draft"].pk)
    dump = " ".join(str(value) for value in row.values())
    assert "draft words" not in dump and "draft title" not in dump


def test_search_index_holds_no_words(owned):
    tokens = SearchToken.objects.filter(entry=owned["live"]).values_list("token", flat=True)
    assert tokens
    assert not {"lighthouse", "night", "letter"} & set(tokens)
    assert all(len(token) == 32 for token in tokens)


def test_entries_are_not_in_the_admin():
    assert Entry not in admin.site._registry
    assert Draft not in admin.site._registry
    assert SearchToken not in admin.site._registry
    assert ExerciseTick not in admin.site._registry


def test_journal_text_never_reaches_an_error_report(owner_client, monkeypatch, caplog):
    """The report Django mails to admins on a 500 hides the posted text and the view's locals."""

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Entry.objects, "create", broken)
    owner_client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = owner_client.post("/journal/new/", entry_data(title=SECRET_TITLE, body=SECRET_BODY))
    assert response.status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    report = ExceptionReporter(record.request, *record.exc_info, is_email=True).get_traceback_text()
    assert "database went away" in report
    assert "title = '********************'" in report and "body = '********************'" in report
    assert SECRET_BODY not in report and SECRET_TITLE not in report
    assert SECRET_BODY not in caplog.text


def test_an_entry_page_title_holds_none_of_the_entry(owner, owner_client):
    # Found as: an entry's title was the page's <title>, so the browser's history and its tab
    # list kept it (and showed it to whoever used the device next).
    entry = make_entry(owner, title="Why I still miss Alex")
    page = owner_client.get(f"/journal/{entry.code}/").content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert "Alex" not in title and title.startswith("Journal entry")
    assert "Why I still miss Alex" in page  # on the page itself, as its heading
