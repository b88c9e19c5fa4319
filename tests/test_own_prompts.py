"""A person's own prompts (issue 19): written, pinned, written from, retired, deleted, exported,
imported, rotated and deleted with the account; nobody else reaches them."""

import io
import json
import logging
import uuid
import zipfile

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import escape

from journal.forms import OWN_PROMPT_LIMIT, OwnPromptForm
from journal.models import MAX_OWN_PROMPTS, Draft, Entry, OwnPrompt
from tests.journal_helpers import entry_data, export_json, make_entry, raw_row, zip_bytes

pytestmark = pytest.mark.django_db

QUESTION = "What did I give up that I want back?"
TEMPLATE = "What I gave up:\n\nWhat I want back:\n"


def make_prompt(owner, text=QUESTION, **fields):
    return OwnPrompt.objects.create(owner=owner, text=text, **fields)


@pytest.fixture
def prompt(owner):
    return make_prompt(owner, template=TEMPLATE)


def upload(client, content):
    return client.post(
        "/journal/import/", {"archive": SimpleUploadedFile("j.zip", content, "application/zip")}
    )


def entries_json(client):
    response = client.get("/journal/export/")
    return json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("entries.json"))


# Privacy

GETS = ["/journal/prompts/{code}/edit/", "/journal/prompts/{code}/delete/"]
POSTS = [
    "/journal/prompts/{code}/edit/",
    "/journal/prompts/{code}/pin/",
    "/journal/prompts/{code}/unpin/",
    "/journal/prompts/{code}/retire/",
    "/journal/prompts/{code}/bring-back/",
    "/journal/prompts/{code}/delete/",
]


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("path", sorted(set(GETS + POSTS)))
def test_stranger_gets_404_for_every_prompt_view_and_method(stranger_client, prompt, path, method):
    response = getattr(stranger_client, method)(path.format(code=prompt.code), {"text": "mine now"})
    assert response.status_code == 404
    prompt.refresh_from_db()
    assert (prompt.text, prompt.pinned, prompt.retired_at) == (QUESTION, False, None)


def test_the_list_shows_nobody_elses_prompts(stranger_client, prompt):
    body = stranger_client.get("/journal/prompts/").content.decode()
    assert escape(QUESTION) not in body


def test_a_visitor_is_sent_to_sign_in(client, prompt):
    for path in ["/journal/prompts/", "/journal/prompts/add/", f"/journal/prompts/{prompt.code}/edit/"]:
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "path", ["/journal/prompts/", "/journal/prompts/add/", "/journal/prompts/{code}/edit/"]
)
def test_prompt_pages_are_private_and_never_stored(owner_client, prompt, path):
    response = owner_client.get(path.format(code=prompt.code))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", POSTS[1:5])
def test_changes_are_post_only(owner_client, prompt, path):
    response = owner_client.get(path.format(code=prompt.code))
    assert response.status_code == 405
    prompt.refresh_from_db()
    assert (prompt.pinned, prompt.retired_at) == (False, None)


def test_text_is_encrypted_at_rest_and_never_in_str(owner, prompt):
    row = raw_row("journal_ownprompt", prompt.pk)
    assert "gave up" not in row["text"] and "gave up" not in row["template"]
    assert "gave up" not in str(prompt)


def test_adding_a_prompt_logs_none_of_its_text(owner_client, caplog):
    with caplog.at_level(logging.DEBUG):
        owner_client.post("/journal/prompts/add/", {"text": "a secret only I know", "template": ""})
        owner_client.post("/journal/prompts/add/", {"text": "x" * (OWN_PROMPT_LIMIT + 1) + " secret"})
    assert "secret" not in caplog.text


# Writing and changing prompts


def test_adding_a_prompt_keeps_it_and_shows_it_in_the_list(owner, owner_client):
    response = owner_client.post("/journal/prompts/add/", {"text": f"  {QUESTION}  ", "template": TEMPLATE})
    assert response.status_code == 302 and response["Location"] == "/journal/prompts/"
    prompt = OwnPrompt.objects.get(owner=owner)
    assert (prompt.text, prompt.template) == (QUESTION, TEMPLATE)
    body = owner_client.get("/journal/prompts/").content.decode()
    assert escape(QUESTION) in body and "Your prompt is saved." in body
    assert f'href="/journal/new/?own={prompt.code}"' in body


@pytest.mark.parametrize(
    ("text", "template", "phrase"),
    [
        ("", "", "Write the question you would like to answer."),
        ("   \n ", "", "Write the question you would like to answer."),
        ("x" * (OWN_PROMPT_LIMIT + 1), "", f"the limit is {OWN_PROMPT_LIMIT:,}"),
        ("a\x00b", "", "NUL character"),
        (QUESTION, "x\x00", "NUL character"),
        (QUESTION, "x" * 100_001, "the limit is 100,000"),
    ],
)
def test_bad_input_is_a_400_with_a_clear_message_and_keeps_nothing(owner_client, text, template, phrase):
    response = owner_client.post("/journal/prompts/add/", {"text": text, "template": template})
    assert response.status_code == 400
    assert phrase in response.content.decode()
    assert not OwnPrompt.objects.exists()


def test_a_lone_surrogate_is_refused_with_a_message(owner_client):
    # What a browser cannot send but a crafted request can: the bytes of half a character.
    body = b"text=a%ED%A0%80b&template=%ED%B0%80"
    response = owner_client.generic(
        "POST", "/journal/prompts/add/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (302, 400)
    for prompt in OwnPrompt.objects.all():  # kept only as readable text, never as broken text
        prompt.text.encode("utf-8")


def test_the_form_refuses_a_lone_surrogate_in_words():
    form = OwnPromptForm({"text": "a\ud800b", "template": ""})
    assert not form.is_valid()
    assert "broken character" in form.errors["text"][0]


def test_a_person_can_keep_only_so_many_prompts(owner, owner_client):
    OwnPrompt.objects.bulk_create([OwnPrompt(owner=owner, text=f"q {i}") for i in range(MAX_OWN_PROMPTS)])
    response = owner_client.post("/journal/prompts/add/", {"text": "one more"})
    assert response.status_code == 400
    assert f"You have {MAX_OWN_PROMPTS} prompts" in response.content.decode()
    assert OwnPrompt.objects.count() == MAX_OWN_PROMPTS


def test_editing_changes_the_question_and_template(owner_client, prompt):
    assert (
        escape(TEMPLATE.splitlines()[0])
        in owner_client.get(f"/journal/prompts/{prompt.code}/edit/").content.decode()
    )
    response = owner_client.post(
        f"/journal/prompts/{prompt.code}/edit/", {"text": "Better words?", "template": ""}
    )
    assert response.status_code == 302
    prompt.refresh_from_db()
    assert (prompt.text, prompt.template) == ("Better words?", "")


def test_pin_unpin_retire_and_bring_back(owner_client, prompt):
    url = f"/journal/prompts/{prompt.code}"
    owner_client.post(f"{url}/pin/")
    prompt.refresh_from_db()
    assert prompt.pinned
    owner_client.post(f"{url}/retire/")
    prompt.refresh_from_db()
    assert prompt.retired and not prompt.pinned  # a retired prompt is never pinned
    body = owner_client.get("/journal/prompts/").content.decode()
    assert "Retired" in body and "Bring back" in body
    owner_client.post(f"{url}/bring-back/")
    prompt.refresh_from_db()
    assert not prompt.retired and not prompt.pinned
    owner_client.post(f"{url}/pin/")
    owner_client.post(f"{url}/unpin/")
    prompt.refresh_from_db()
    assert not prompt.pinned


def test_the_list_page_costs_a_few_queries_however_many_prompts(
    owner, owner_client, django_assert_max_num_queries
):
    for i in range(30):
        p = make_prompt(owner, text=f"Question {i}?", pinned=i % 3 == 0)
        make_entry(owner, body="an answer", own_prompt=p)
    with django_assert_max_num_queries(5):
        response = owner_client.get("/journal/prompts/")
    body = response.content.decode()
    assert body.count("1 entry answers it.") == 30
    # Pinned first.
    assert body.index("Question 27?") < body.index("Question 29?")


# Writing from a prompt


def test_writing_from_a_prompt_shows_the_question_prefills_the_body_and_links_the_entry(
    owner, owner_client, prompt
):
    response = owner_client.get(f"/journal/new/?own={prompt.code}")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert f"<blockquote><p>{escape(QUESTION)}</p></blockquote>" in body
    assert f">{escape(TEMPLATE)}</textarea>" in body
    assert f'name="own" value="{prompt.code}"' in body

    response = owner_client.post(
        "/journal/new/", entry_data(body="I want my Sundays back.", own=str(prompt.code))
    )
    assert response.status_code == 302
    entry = Entry.objects.get(owner=owner)
    assert entry.own_prompt == prompt
    detail = owner_client.get(f"/journal/{entry.code}/").content.decode()
    assert "Answering your own prompt" in detail and escape(QUESTION) in detail


@pytest.mark.parametrize("which", ["retired", "stranger", "missing", "junk", "nul"])
def test_an_unavailable_prompt_in_the_link_is_said_and_the_editor_still_opens(
    owner_client, stranger, prompt, which
):
    code = {
        "retired": lambda: (
            OwnPrompt.objects.filter(pk=prompt.pk).update(retired_at=timezone.now()),
            prompt.code,
        )[1],
        "stranger": lambda: make_prompt(stranger, text="The stranger's question").code,
        "missing": uuid.uuid4,
        "junk": lambda: "not-a-code" * 200,
        "nul": lambda: "\x00",
    }[which]()
    response = owner_client.get("/journal/new/", {"own": str(code)})
    body = response.content.decode()
    assert response.status_code == 400
    assert "The prompt you chose is not available" in body
    assert '<textarea name="body"' in body
    assert "stranger" not in body and 'name="own"' not in body


def test_a_stranger_cannot_link_their_entry_to_my_prompt(stranger, stranger_client, prompt):
    stranger_client.post("/journal/new/", entry_data(body="mine", own=str(prompt.code)))
    entry = Entry.objects.get(owner=stranger)
    assert entry.own_prompt is None


def test_a_junk_own_code_in_a_save_is_a_400_with_words(owner_client):
    response = owner_client.post("/journal/new/", entry_data(own="\x00not a code"))
    assert response.status_code == 400
    assert "The prompt you chose is not available" in response.content.decode()


def test_the_editor_offers_pinned_prompts_first_and_not_retired_ones(owner, owner_client):
    make_prompt(owner, text="Old and retired", retired_at=timezone.now())
    plain = make_prompt(owner, text="Plain one")
    pinned = make_prompt(owner, text="Pinned one", pinned=True)
    body = owner_client.get("/journal/new/").content.decode()
    assert "Write from your own prompt" in body
    assert body.index(f"?own={pinned.code}") < body.index(f"?own={plain.code}")
    assert "Old and retired" not in body


def test_retiring_a_prompt_keeps_it_on_the_entries_that_answered_it(owner, owner_client, prompt):
    entry = make_entry(owner, own_prompt=prompt)
    owner_client.post(f"/journal/prompts/{prompt.code}/retire/")
    detail = owner_client.get(f"/journal/{entry.code}/").content.decode()
    assert escape(QUESTION) in detail and "since retired" in detail
    edit = owner_client.get(f"/journal/{entry.code}/edit/").content.decode()
    assert escape(QUESTION) in edit
    # An edit keeps the link.
    owner_client.post(f"/journal/{entry.code}/edit/", entry_data(body="changed", version="1"))
    entry.refresh_from_db()
    assert entry.body == "changed" and entry.own_prompt_id == prompt.pk


def test_deleting_a_prompt_asks_first_and_leaves_its_entries(owner, owner_client, prompt):
    entry = make_entry(owner, own_prompt=prompt)
    confirm = owner_client.get(f"/journal/prompts/{prompt.code}/delete/").content.decode()
    assert "The 1 entry that answered it stays in your journal" in confirm
    assert OwnPrompt.objects.filter(pk=prompt.pk).exists()
    response = owner_client.post(f"/journal/prompts/{prompt.code}/delete/")
    assert response.status_code == 302
    assert not OwnPrompt.objects.filter(pk=prompt.pk).exists()
    entry.refresh_from_db()
    assert entry.own_prompt is None and entry.body
    assert owner_client.get(f"/journal/{entry.code}/").status_code == 200


def test_a_prompt_deleted_while_writing_saves_the_entry_without_it(owner, owner_client, prompt):
    code = str(prompt.code)
    prompt.delete()
    response = owner_client.post("/journal/new/", entry_data(body="still here", own=code), follow=True)
    assert "saved without it" in response.content.decode()
    assert Entry.objects.get(owner=owner).own_prompt is None


# Today


def test_today_shows_pinned_prompts_with_one_click_to_write(owner, owner_client, steps):
    make_prompt(owner, text="Not pinned")
    pinned = make_prompt(owner, text="Pinned question", pinned=True)
    body = owner_client.get("/").content.decode()
    assert "Pinned question" in body and "Not pinned" not in body
    assert f'href="/journal/new/?own={pinned.code}"' in body


def test_today_shows_the_newest_prompt_when_none_is_pinned(owner, owner_client, steps):
    make_prompt(owner, text="Older")
    make_prompt(owner, text="Newer")
    make_prompt(owner, text="Retired one", retired_at=timezone.now())
    body = owner_client.get("/").content.decode()
    assert "Newer" in body and "Older" not in body and "Retired one" not in body


def test_today_without_own_prompts_shows_none(owner_client, steps):
    assert "Your own prompts" not in owner_client.get("/").content.decode()


# Export, import, keys, account


def test_export_then_import_round_trips_prompts_and_links_and_adds_nothing_twice(
    owner, owner_client, stranger, stranger_client, prompt
):
    retired = make_prompt(owner, text="Retired question", retired_at=timezone.now())
    OwnPrompt.objects.filter(pk=prompt.pk).update(pinned=True)
    make_entry(owner, title="Answer", own_prompt=prompt)
    make_entry(owner, title="Old answer", own_prompt=retired)
    make_entry(owner, title="No prompt")
    response = owner_client.get("/journal/export/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("entries.json"))
    assert {p["text"] for p in document["own_prompts"]} == {QUESTION, "Retired question"}
    by_title = {e["title"]: e for e in document["entries"]}
    assert by_title["Answer"]["own_prompt"] == str(prompt.code)
    assert by_title["No prompt"]["own_prompt"] is None
    answer_file = next(n for n in archive.namelist() if "answer" in n and "old" not in n)
    assert "own_prompt_text" in archive.read(answer_file).decode()

    # Into another account: everything, under new codes, with the links kept.
    report = upload(stranger_client, response.content).content.decode()
    assert "Added 2 own prompts." in report
    theirs = {p.text: p for p in OwnPrompt.objects.filter(owner=stranger)}
    assert set(theirs) == {QUESTION, "Retired question"}
    assert theirs[QUESTION].template == TEMPLATE and theirs[QUESTION].pinned
    assert theirs["Retired question"].retired and not theirs["Retired question"].pinned
    assert prompt.code not in {p.code for p in theirs.values()}
    entries = {e.title: e for e in Entry.objects.filter(owner=stranger)}
    assert entries["Answer"].own_prompt == theirs[QUESTION]
    assert entries["Old answer"].own_prompt == theirs["Retired question"]
    assert entries["No prompt"].own_prompt is None

    # A second import of the same file adds nothing; nor does one into the account it came from.
    again = upload(stranger_client, response.content).content.decode()
    assert "2 prompts were already here" in again
    assert upload(owner_client, response.content).status_code == 200
    assert OwnPrompt.objects.filter(owner=stranger).count() == 2
    assert OwnPrompt.objects.filter(owner=owner).count() == 2
    assert Entry.objects.filter(owner=stranger).count() == 3


def test_an_import_links_entries_to_prompts_listed_after_them(owner, owner_client):
    code = "0b8a3a6e-5d0c-4d0e-9b7b-1a2b3c4d5e6f"
    entry = {
        "code": "2f1d7a52-8f4e-4c43-9a43-6f0c4f2f7a11",
        "title": "t",
        "body": "b",
        "own_prompt": code,
        "created_at": "2026-01-02T10:00:00+00:00",
    }
    document = {
        "format": "mending-journal",
        "version": 1,
        "entries": [entry],
        "own_prompts": [{"code": code, "text": "Late?", "created_at": "2026-01-01T10:00:00+00:00"}],
    }
    response = upload(owner_client, zip_bytes({"entries.json": json.dumps(document)}))
    assert response.status_code == 200
    assert Entry.objects.get(owner=owner).own_prompt.text == "Late?"


OK_PROMPT = {
    "code": "0b8a3a6e-5d0c-4d0e-9b7b-1a2b3c4d5e6f",
    "text": "Q?",
    "created_at": "2026-01-01T10:00:00+00:00",
}


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"text": ""}, "Own prompt 1: its text is empty"),
        ({"text": "x" * (OWN_PROMPT_LIMIT + 1)}, f"its text is {OWN_PROMPT_LIMIT + 1:,} characters long"),
        ({"text": "a\x00b"}, "its text contains a NUL character"),
        ({"text": "a\ud800b"}, "a broken character (a lone surrogate)"),
        ({"template": 5}, "its template is not text"),
        ({"template": "x" * 100_001}, "its template is 100,001 characters long"),
        ({"pinned": "yes"}, "its pinned “yes” is not true or false"),
        ({"code": "nope"}, "its code “nope” is not a UUID"),
        ({"created_at": "soon"}, "its created at date “soon” is not a date and time"),
        ({"retired_at": "2999-01-01T00:00:00+00:00"}, "not between 1 January 1970 and tomorrow"),
    ],
)
def test_a_bad_own_prompt_in_an_import_is_named_and_nothing_is_imported(owner_client, change, phrase):
    document = json.loads(export_json([]))
    document["own_prompts"] = [{**OK_PROMPT, **change}]
    content = json.dumps(document, ensure_ascii=True)  # a lone surrogate travels as \\ud800
    response = upload(owner_client, zip_bytes({"entries.json": content}))
    assert response.status_code == 400
    assert phrase in response.content.decode()
    assert not OwnPrompt.objects.exists()


@pytest.mark.parametrize(
    ("own_prompts", "phrase"),
    [
        ("{}", "its own prompts are not a list"),
        ('["x"]', "Own prompt 1: it is not a set of fields"),
        (json.dumps([OK_PROMPT] * (MAX_OWN_PROMPTS + 1)), f"more than {MAX_OWN_PROMPTS} own prompts"),
    ],
)
def test_own_prompts_that_are_not_a_list_of_prompts_are_refused(owner_client, own_prompts, phrase):
    content = f'{{"format": "mending-journal", "version": 1, "own_prompts": {own_prompts}, "entries": []}}'
    response = upload(owner_client, zip_bytes({"entries.json": content}))
    assert response.status_code == 400
    assert phrase in response.content.decode()


def test_an_entry_naming_an_own_prompt_that_is_not_a_uuid_is_refused(owner_client):
    entry = {
        "code": "2f1d7a52-8f4e-4c43-9a43-6f0c4f2f7a11",
        "body": "b",
        "own_prompt": 7,
        "created_at": "2026-01-02T10:00:00+00:00",
    }
    response = upload(owner_client, zip_bytes({"entries.json": export_json([entry])}))
    assert response.status_code == 400
    assert "its own prompt 7 is not a UUID" in response.content.decode()


def test_an_import_never_links_to_someone_elses_prompt(owner, owner_client, stranger):
    theirs = make_prompt(stranger, text="Theirs")
    entry = {
        "code": "2f1d7a52-8f4e-4c43-9a43-6f0c4f2f7a11",
        "body": "b",
        "own_prompt": str(theirs.code),
        "created_at": "2026-01-02T10:00:00+00:00",
    }
    assert upload(owner_client, zip_bytes({"entries.json": export_json([entry])})).status_code == 200
    assert Entry.objects.get(owner=owner).own_prompt is None


def test_account_download_includes_own_prompts(owner_client, prompt):
    response = owner_client.get("/accounts/download/")
    document = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("entries.json"))
    assert [p["text"] for p in document["own_prompts"]] == [QUESTION]


def test_rotating_keys_reencrypts_own_prompts(owner, owner_client, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.JOURNAL_KEYS = [old]
    prompt = make_prompt(owner, template=TEMPLATE)
    settings.JOURNAL_KEYS = [new, old]
    call_command("rotate_journal_keys")
    settings.JOURNAL_KEYS = [new]
    row = raw_row("journal_ownprompt", prompt.pk)
    assert Fernet(new).decrypt(row["text"].encode()).decode() == QUESTION
    assert Fernet(new).decrypt(row["template"].encode()).decode() == TEMPLATE
    with pytest.raises(InvalidToken):
        Fernet(old).decrypt(row["text"].encode())
    assert escape(QUESTION) in owner_client.get("/journal/prompts/").content.decode()


def test_deleting_the_account_deletes_its_prompts(owner, owner_client, stranger, prompt):
    theirs = make_prompt(stranger, text="The stranger's")
    make_entry(owner, own_prompt=prompt)
    response = owner_client.post("/accounts/delete/", {"password": owner.raw_password})
    assert response.status_code == 302
    assert not OwnPrompt.objects.filter(pk=prompt.pk).exists()
    assert list(OwnPrompt.objects.all()) == [theirs]


def test_a_draft_begun_from_an_own_prompt_keeps_it_when_writing_is_continued(owner, owner_client, prompt):
    # Found as: an entry begun from an own prompt, autosaved and continued later from "Continue
    # writing", was saved without its prompt.
    page = owner_client.get(f"/journal/new/?own={prompt.code}")
    draft = page.context["form"]["draft"].value()
    saved = owner_client.post(
        "/journal/drafts/save/",
        {"draft": draft, "title": "", "body": "What I gave up: evenings", "own": str(prompt.code)},
    )
    assert saved.status_code == 200
    later = owner_client.get(f"/journal/new/?draft={draft}")
    assert QUESTION in later.content.decode()
    data = {"title": "", "body": "What I gave up: evenings", "mood": "", "step": "", "prompt": ""}
    owner_client.post("/journal/new/", {**data, "draft": draft, "own": later.context["form"]["own"].value()})
    assert Entry.objects.get(owner=owner).own_prompt == prompt


def test_an_autosave_with_someone_elses_prompt_code_keeps_no_prompt(owner, stranger, owner_client):
    theirs = make_prompt(stranger, text="Their question")
    draft = str(uuid.uuid4())
    owner_client.post("/journal/drafts/save/", {"draft": draft, "body": "Mine.", "own": str(theirs.code)})
    assert Draft.objects.get(owner=owner).own_prompt is None


def test_an_import_adds_no_prompt_past_the_most_a_person_keeps(owner, owner_client, monkeypatch):
    from journal import imports

    monkeypatch.setattr(imports, "MAX_OWN_PROMPTS", 2)
    make_prompt(owner, text="One")
    codes = ["0b8a3a6e-5d0c-4d0e-9b7b-1a2b3c4d5e6f", "1b8a3a6e-5d0c-4d0e-9b7b-1a2b3c4d5e6f"]
    document = json.loads(export_json([]))
    document["own_prompts"] = [
        {"code": code, "text": f"Question {n}", "created_at": "2026-01-01T10:00:00+00:00"}
        for n, code in enumerate(codes)
    ]
    response = upload(owner_client, zip_bytes({"entries.json": json.dumps(document)}))
    page = response.content.decode()
    assert OwnPrompt.objects.filter(owner=owner).count() == 2
    assert "Added 1 own prompt." in page and "1 of the file’s own prompt was not added" in page
