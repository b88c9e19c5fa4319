import functools

from django import template
from django.urls import reverse

from recovery import devices
from recovery.models import StepProgress

register = template.Library()
LABELS = dict(StepProgress.Status.choices)


@register.filter
def status_label(status):
    return LABELS.get(status, status)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def contains(collection, item):
    return item in collection if collection else False


@functools.lru_cache(maxsize=4096)
def _reverse(name, args):
    return reverse(name, args=args)


@register.simple_tag
def link(name, *args):
    """{% url %}, the one way our templates write a URL, remembered for names and step slugs:
    our URLs never change while the process runs, and reversing them was a quarter of a step
    page's time. A URL with an entry's or a draft's code (a UUID) is never kept."""
    if all(isinstance(arg, str) for arg in args):
        return _reverse(name, args)
    return reverse(name, args=args)


@register.filter
def device(agent):
    """A browser's user-agent string in plain words: "Firefox on Android"."""
    return devices.describe(agent or "")


@register.filter
def widget(field):
    """A form field's input, described by its help and its error and marked invalid when it
    is; placeholders are dropped, as every field has a visible label."""
    described = []
    attrs = {"placeholder": False}
    if field.help_text:
        described.append(f"{field.auto_id}-help")
    if field.errors:
        described.append(f"{field.auto_id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
