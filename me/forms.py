"""Forms of the account page: preferences and deleting the account."""

from django import forms
from django.views.decorators.debug import sensitive_variables


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
