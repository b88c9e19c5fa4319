"""Own prompts in a real browser, on a phone: a person writes a question of their own, pins it,
writes from it on Today in one click, and finds the entry in their journal."""

import random
import re

import pytest
from playwright.sync_api import expect

from journal.models import Entry, OwnPrompt
from tests.browser.keyboard import type_like_a_person

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
QUESTION = "What Do I Miss, Really?"
STARTS_WITH = "I miss:"
TITLE = "Sunday Mornings"


def test_a_person_adds_a_prompt_pins_it_and_writes_from_it_on_today(new_context, sign_in, person, steps):
    rng = random.Random(19)
    context = new_context(viewport=PHONE)
    sign_in(context, person)
    page = context.new_page()

    page.goto("/journal/")
    page.get_by_role("link", name="Your own prompts").click()
    page.get_by_role("link", name="Add a prompt").click()
    page.get_by_label("Your question").click()
    type_like_a_person(page, QUESTION, rng)
    page.get_by_label("Start each entry with").click()
    type_like_a_person(page, STARTS_WITH, rng)
    page.get_by_role("button", name="Save prompt").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your own prompts")
    expect(page.locator(".messages")).to_contain_text("Your prompt is saved.")
    mine = page.locator(".own-prompt").filter(has_text=QUESTION)
    mine.get_by_role("button", name="Pin").click()
    expect(page.locator(".own-prompt").filter(has_text=QUESTION)).to_contain_text("Pinned")

    page.goto("/")
    today = page.locator(".today-item").filter(has_text="Something to write about")
    expect(today).to_contain_text(QUESTION)
    today.get_by_role("link", name="Write from this prompt").click()  # the one click

    expect(page.locator("#own-prompt blockquote")).to_have_text(QUESTION)
    expect(page.locator("#id_body")).to_have_value(STARTS_WITH)
    page.locator("#id_title").click()
    type_like_a_person(page, TITLE, rng)
    page.locator("#id_body").click()
    page.keyboard.press("End")
    type_like_a_person(page, " Slow Coffee.", rng)
    page.get_by_role("button", name="Save entry").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".journal-prompt blockquote")).to_have_text(QUESTION)
    expect(page.locator(".entry-body")).to_contain_text("I miss: Slow Coffee.")
    # Typing capitals, Shift held each time, never set off the quick exit: still on the entry.
    expect(page).to_have_url(re.compile(r"/journal/[0-9a-f-]{36}/$"))

    page.get_by_role("link", name="Your journal").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator(".journal-prompt blockquote")).to_have_text(QUESTION)
    entry = Entry.objects.get(owner=person)
    assert entry.own_prompt == OwnPrompt.objects.get(owner=person, pinned=True)
    assert entry.body == "I miss: Slow Coffee."
