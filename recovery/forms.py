from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms


class LoginForm(AllauthLoginForm):
    """allauth's log-in, with "On a shared device" in place of "Remember me".

    On a shared device the session ends when the browser closes; otherwise it lasts two weeks.
    """

    shared_device = forms.BooleanField(
        required=False,
        label="On a shared device (sign me out when the browser closes)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remember"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        cleaned["remember"] = not cleaned.get("shared_device")
        return cleaned
