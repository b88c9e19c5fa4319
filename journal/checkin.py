"""The quick check-in: a mood and an optional note, kept as a journal entry of its own kind."""

from django import forms

from journal.models import Entry, Mood


class CheckInForm(forms.Form):
    mood = forms.TypedChoiceField(
        choices=Mood.choices,
        coerce=int,
        widget=forms.RadioSelect,
        label="How are you feeling right now?",
        error_messages={
            "required": "Choose how you are feeling.",
            "invalid_choice": "Choose how you are feeling.",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Anything you want to add? (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        # The field's own validator refuses NUL; say so in words a person understands.
        error_messages={"null_characters_not_allowed": "The note contains a character we cannot store."},
    )


def record(user, form):
    """Save a valid check-in as the user's entry."""
    return Entry.objects.create(
        owner=user,
        kind=Entry.Kind.CHECKIN,
        mood=form.cleaned_data["mood"],
        title="Check-in",
        body=form.cleaned_data["note"],
    )
