import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.views.decorators.debug import sensitive_variables

from journal import search
from journal.models import Mood
from recovery.content import library
from recovery.frontmatter import SLUG
from recovery.models import Step
from recovery.progress import step_id

BODY_LIMIT = 100_000
VERSION_MAX = 2_147_483_647  # the largest the database's integer column holds
TITLE_LIMIT = 200
OWN_PROMPT_LIMIT = 500  # characters of a question a person writes for themselves
KEPT_ON_PAGE = "Shorten it; what you typed is still on this page."
NUL_MESSAGE = (
    "Your text contains a NUL character (an invisible control character, often from a pasted "
    "file), which cannot be saved. Remove it or retype that part; the rest of your text is kept."
)

LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def no_broken_characters(value):
    """Refuse a lone surrogate (half of a character), which cannot be encrypted or stored."""
    if LONE_SURROGATE.search(value):
        raise ValidationError(
            "Your text contains a broken character (half of an emoji or a symbol, often from a "
            "pasted text), which cannot be saved. Retype that part; the rest of your text is kept.",
            code="lone_surrogate",
        )


def limit(most, what, advice="Shorten it or split it into two entries. Your text is kept below."):
    """A length check with a message that says how long the text is and what to do."""

    def check(value):
        if len(value) > most:
            raise ValidationError(
                f"{what} is {len(value):,} characters long; the limit is {most:,}. {advice}",
                code="too_long",
            )

    return check


class TextField(forms.CharField):
    """Free text with our own messages. No maxlength attribute: a browser would silently cut
    a pasted text short, and the server says clearly what is too long instead."""

    default_error_messages = {"null_characters_not_allowed": NUL_MESSAGE}


class DraftText(forms.CharField):
    """Text of a draft, kept as typed. A NUL cannot hurt an encrypted draft, and refusing it
    here would lose the text; the editor asks for it to be removed when the entry is saved."""

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=False, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


def _keeps(entry, step, prompt=None):
    """True when the entry being edited already points there (at a step retired since, say)."""
    if entry is None or entry.step_id is None or entry.step_id != step.pk:
        return False
    return prompt is None or entry.prompt == prompt


def step_row(slug):
    """The Step row for a slug, made on first use for a step file the database does not know
    yet; None for anything that is not a step (a NUL or other junk never reaches a query)."""
    if not slug or len(slug) > 100 or not SLUG.match(slug):
        return None
    if slug in library().steps:
        return Step.objects.get(pk=step_id(slug))
    return Step.objects.filter(slug=slug).first()  # a retired step that entries still point at


def clean_link(slug, prompt, entry=None):
    """The Step row (or None) and prompt id for a step slug and a prompt id from a form or a
    link; a ValidationError names the field that is wrong and says why."""
    slug, prompt = (slug or "").strip(), (prompt or "").strip()
    step = None
    if slug:
        step = step_row(slug)
        if step is None or (step.retired_at and not _keeps(entry, step)):
            message = f"There is no step called “{slug[:100]}”. Choose a step from the list, or none."
            raise ValidationError({"step": ValidationError(message, code="unknown_step")})
    if prompt:
        if step is None:
            message = "A prompt belongs to a step: choose its step as well."
            raise ValidationError({"prompt": ValidationError(message, code="prompt_without_step")})
        doc = library().steps.get(step.slug)
        if (doc is None or doc.prompt(prompt) is None) and not _keeps(entry, step, prompt):
            message = f"“{prompt[:100]}” is not one of the prompts of the step “{step.title}”."
            raise ValidationError({"prompt": ValidationError(message, code="unknown_prompt")})
    return step, prompt


def mood_field(label):
    return forms.TypedChoiceField(
        required=False,
        choices=Mood.choices,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        label=label,
        error_messages={
            "invalid_choice": "Choose one of the five moods, from 1 (very low) to 5 (very good), or none."
        },
    )


class EntryForm(forms.Form):
    """The journal editor. Step and prompt arrive as a slug and a prompt id (PRODUCT.md)."""

    title = TextField(
        required=False,
        strip=True,
        label="Title (optional)",
        validators=[limit(TITLE_LIMIT, "The title", "Shorten it; your text is kept below.")],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = TextField(
        required=False,
        strip=False,
        label="Your entry",
        validators=[limit(BODY_LIMIT, "Your entry")],
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    mood = mood_field("How are you feeling? (optional)")
    step = forms.CharField(required=False, label="Step (optional)")
    prompt = forms.CharField(required=False)
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX, widget=forms.HiddenInput)
    draft = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The code of the person's own prompt a new entry answers; the view looks it up among theirs.
    own = forms.UUIDField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "The prompt you chose is not available. Save again to keep your entry without it."
        },
    )

    def __init__(self, *args, entry=None, **kwargs):
        self.entry = entry
        super().__init__(*args, **kwargs)

    @sensitive_variables()
    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["step"], cleaned["prompt"] = clean_link(
                cleaned.get("step", ""), cleaned.get("prompt", ""), self.entry
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        title, body = cleaned.get("title"), cleaned.get("body")
        if not self.has_error("title") and not self.has_error("body") and not title and not body.strip():
            raise ValidationError("Write a title or a few words before saving.", code="empty")
        return cleaned

    def link(self):
        """(step slug, prompt id) as the editor shows them: posted, or from the initial data."""
        data = self.data if self.is_bound else self.initial
        return (data.get("step") or "").strip(), (data.get("prompt") or "").strip()


class OwnPromptForm(forms.Form):
    """A question a person writes for themselves, and what an entry answering it starts with."""

    text = TextField(
        strip=True,
        label="Your question",
        help_text="Something you would like to come back to, in your own words. Only you see it.",
        validators=[
            limit(OWN_PROMPT_LIMIT, "The question", "Shorten it; your text is kept below."),
            no_broken_characters,
        ],
        error_messages={"required": "Write the question you would like to answer."},
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )
    template = TextField(
        required=False,
        strip=False,
        label="Start each entry with",
        help_text="Words a new entry from this prompt begins with, such as headings to fill in.",
        validators=[limit(BODY_LIMIT, "The starting text", KEPT_ON_PAGE), no_broken_characters],
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def clean_template(self):
        # Only spaces and new lines is nothing to start from.
        template = self.cleaned_data["template"]
        return template if template.strip() else ""


class DraftForm(forms.Form):
    """What an autosave carries. Lenient on purpose: a draft keeps whatever was typed, and a
    step or mood that does not fit is simply left out of it."""

    draft = forms.UUIDField()
    entry = forms.UUIDField(required=False)
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)
    title = DraftText(validators=[limit(BODY_LIMIT, "The title", KEPT_ON_PAGE)])
    body = DraftText(validators=[limit(BODY_LIMIT, "Your entry", KEPT_ON_PAGE)])
    mood = forms.CharField(required=False)
    step = forms.CharField(required=False)
    prompt = forms.CharField(required=False)
    own = forms.UUIDField(required=False)  # the code of the person's own prompt, looked up by the view

    def clean_mood(self):
        value = self.cleaned_data["mood"]
        return int(value) if value in {"1", "2", "3", "4", "5"} else None

    def clean_step(self):
        # Retired steps too: an edit of an entry linked to one must not lose the link.
        return step_row(self.cleaned_data["step"].strip())

    def clean(self):
        cleaned = super().clean()
        step, prompt = cleaned.get("step"), (cleaned.get("prompt") or "").strip()
        doc = library().steps.get(step.slug) if step else None
        cleaned["prompt"] = prompt[:100] if step and (doc is None or doc.prompt(prompt)) else ""
        return cleaned


class FilterForm(forms.Form):
    """The list's filters. A search needs at least one word the index knows (journal/search.py)."""

    step = forms.ChoiceField(required=False, label="Step")
    mood = mood_field("Mood")
    q = forms.CharField(required=False, max_length=200, label="Search your entries")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [("", "Any step")] + [(s.slug, s.title) for s in library().path]
        self.fields["step"].error_messages["invalid_choice"] = "There is no step called “%(value)s”."
        self.fields["mood"].choices = [("", "Any mood"), *Mood.choices]

    def clean_q(self):
        query = self.cleaned_data["q"].strip()
        if query and not search.words(query):
            raise ValidationError("Search for whole words of two letters or more.", code="no_words")
        return query


class ImportForm(forms.Form):
    archive = forms.FileField(
        label="Your file",
        help_text=(
            "A zip downloaded from “Export” on this site, a Day One export (.zip), a Daylio CSV "
            "export, a jrnl JSON export, or Markdown files (.md, or a .zip of them). Entries you "
            "already have are skipped."
        ),
        error_messages={"required": "Choose the zip file to import.", "empty": "That file is empty."},
    )


NO_MOOD = ""


class MoodMapForm(forms.Form):
    """For a Daylio file: which of our five moods each of its mood names becomes. The fields are
    numbered in the order the names first appear in the file, which is read again on confirm."""

    def __init__(self, labels, *args, defaults=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = list(labels)
        choices = [(NO_MOOD, "No mood"), *sorted(Mood.choices, reverse=True)]
        for number, label in enumerate(self.labels):
            initial = (defaults or {}).get(label)
            self.fields[f"mood_{number}"] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=NO_MOOD if initial is None else initial,
            )

    def mapping(self):
        """{Daylio mood name: 1 to 5, or None}: the choices made, or the defaults before any."""
        chosen = getattr(self, "cleaned_data", {})
        return {
            label: chosen.get(f"mood_{n}", self.fields[f"mood_{n}"].initial or None)
            for n, label in enumerate(self.labels)
        }


class PrintForm(forms.Form):
    """What goes into the document for a therapist (journal/printing.py): a range of days, and
    optionally some steps, some moods, the check-ins, a title and the site's name."""

    DATE_MESSAGES = {
        "required": "Enter a date, like 2026-11-01.",
        "invalid": "Enter a real date, like 2026-11-01.",
    }

    DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    start = forms.DateField(label="From", widget=DATE_INPUT, error_messages=DATE_MESSAGES)
    end = forms.DateField(label="To", widget=DATE_INPUT, error_messages=DATE_MESSAGES)
    steps = forms.MultipleChoiceField(
        required=False, label="Only these steps", widget=forms.CheckboxSelectMultiple
    )
    moods = forms.TypedMultipleChoiceField(
        required=False,
        choices=Mood.choices,
        coerce=int,
        label="Only entries with these moods",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose moods from 1 (very low) to 5 (very good)."},
    )
    checkins = forms.BooleanField(required=False, label="Include check-ins")
    title = TextField(
        required=False,
        max_length=TITLE_LIMIT,
        label="Title on the first page",
        error_messages={"max_length": f"Keep the title to {TITLE_LIMIT} characters or fewer."},
    )
    name_site = forms.BooleanField(required=False, label="Name this site in the document")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["steps"].choices = [(s.slug, s.title) for s in library().path]
        self.fields["steps"].error_messages["invalid_choice"] = "There is no step called “%(value)s”."

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ValidationError("The first date is after the last one. Swap them, or choose again.")
        return data
