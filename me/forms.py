"""Forms of the account page: preferences, reminders and deleting the account."""

import zoneinfo

from django import forms
from django.views.decorators.debug import sensitive_variables

from me.models import WEEKDAYS


class PreferencesForm(forms.Form):
    collapse_content_notes = forms.BooleanField(
        required=False,
        label="Fold steps with a content note shut until I choose to open them",
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password, to confirm",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    @sensitive_variables("password")
    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not right. Nothing has been deleted.")
        return password


# Every IANA zone name this machine knows, for the reminders' time zone select.
TIME_ZONES = sorted(zoneinfo.available_timezones())


class ReminderForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Send me a reminder by email")
    weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAYS)),
        coerce=int,
        required=False,
        label="On these days",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose days of the week from the list."},
    )
    at = forms.TimeField(
        label="At this time",
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
        error_messages={"required": "Choose a time.", "invalid": "Enter a time like 19:30."},
    )
    time_zone = forms.ChoiceField(
        choices=[(name, name.replace("_", " ")) for name in TIME_ZONES],
        label="In this time zone",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )
    show_site_name = forms.BooleanField(
        required=False,
        label="Mention the site’s name in the emails",
        help_text="Left off, the emails say only “A moment for yourself”, so nobody glancing at "
        "your inbox learns what they are about.",
    )

    def clean(self):
        data = super().clean()
        if data.get("enabled") and not data.get("weekdays"):
            self.add_error("weekdays", "Choose at least one day, or turn reminders off.")
        return data

    def weekday_bits(self):
        return sum(1 << day for day in self.cleaned_data["weekdays"])
