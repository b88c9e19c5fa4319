"""Sign up, verify, log in, log out and reset a password, as a person would."""

import re

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db

PASSWORD = "a long calm password 1"


def link_in(message):
    return re.search(r"http://testserver(/accounts/[^\s]+)", message.body).group(1)


def test_signup_verify_login_logout(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    # The page that says to look for the email, not a signed-in page.
    assert response.redirect_chain[-1][0] == "/accounts/confirm-email/"
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    # The email greets the person and names the site, not the host it was sent from.
    assert mail.outbox[0].subject == "[Mending] Please confirm your email address"
    body = mail.outbox[0].body
    assert body.startswith("Hello,\n") and "Thank you for signing up to Mending." in body
    assert "Hello from" not in body and "testserver!" not in body
    assert body.rstrip().endswith("Mending")

    # Not signed in until the address is verified.
    assert client.get("/progress/").status_code == 302

    confirm = link_in(mail.outbox[0])
    page = client.get(confirm)
    assert page.status_code == 200
    assert "new@example.com" in page.content.decode()
    response = client.post(confirm, follow=True)
    assert response.status_code == 200
    assert "You have confirmed new@example.com" in response.content.decode()
    # Signed in, and offered the optional start page once.
    assert response.redirect_chain[-1][0] == "/start/"
    assert "What brings you here?" in response.content.decode()
    # The first visit after signing up is a welcome, not a welcome back.
    assert "<p>Welcome. We are glad you are here." in client.get("/").content.decode()
    client.post("/progress/check-in/", {"mood": "3", "note": ""})
    assert "<p>Welcome back." in client.get("/").content.decode()
    assert client.get("/progress/").status_code == 200

    response = client.post("/accounts/logout/", follow=True)
    assert "Sign in" in response.content.decode()
    assert client.get("/progress/").status_code == 302

    response = client.post(
        "/accounts/login/", {"login": "new@example.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "<p>Welcome back." in response.content.decode()


def test_login_with_wrong_password_says_so(client, owner):
    response = client.post("/accounts/login/", {"login": owner.email, "password": "not it"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_password_reset_by_emailed_link(client, owner):
    response = client.post("/accounts/password/reset/", {"email": owner.email}, follow=True)
    assert "We have sent you an email" in response.content.decode()
    assert len(mail.outbox) == 1
    reset = link_in(mail.outbox[0])
    form = client.get(reset, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else reset
    response = client.post(
        set_url, {"password1": "another calm password 2", "password2": "another calm password 2"}, follow=True
    )
    assert "Your password is now changed" in response.content.decode()
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"login": owner.email, "password": "another calm password 2"})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    assert response.status_code == 200  # the old password no longer works
    assert "not correct" in response.content.decode()


def test_signup_with_mismatched_passwords_keeps_the_email(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "You must type the same password each time" in body
    assert 'value="new@example.com"' in body


def test_login_page_uses_the_site_layout(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'class="skip-link"' in body
    assert "Get help now" in body
    assert "Exit this page" in body
