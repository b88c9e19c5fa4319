"""Keep the Step rows in line with the step files in content/steps/."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from recovery.content import library
from recovery.models import Step
from recovery.progress import forget_step_ids, remember_step_ids


def _move_rows(old, new):
    """Point everything that points at `old` at `new` instead (a step renamed by an alias)."""
    for relation in Step._meta.related_objects:
        model, name = relation.related_model, relation.field.name
        for row in model._base_manager.filter(**{name: old}):
            try:
                with transaction.atomic():
                    setattr(row, name, new)
                    row.save(update_fields=[name])
            except IntegrityError:
                # The user already has a row for the new step (progress, say): keep theirs.
                pass


@transaction.atomic
def sync_steps():
    """Create, update, rename and retire Step rows; return a summary of what changed."""
    lib = library()
    lib.refresh()
    now = timezone.now()
    rows = {row.slug: row for row in Step.objects.select_for_update()}
    summary = {"created": [], "updated": [], "renamed": [], "retired": []}
    for step in lib.steps.values():
        row = rows.get(step.slug)
        for old in step.aliases:
            old_row = rows.get(old)
            if old_row is None:
                continue
            if row is None:
                old_row.slug = step.slug
                old_row.save(update_fields=["slug"])
                rows[step.slug] = row = old_row
                del rows[old]
                summary["renamed"].append(f"{old} -> {step.slug}")
            elif old_row.pk != row.pk:
                _move_rows(old_row, row)
                if old_row.retired_at is None:
                    old_row.retired_at = now
                    old_row.save(update_fields=["retired_at"])
                summary["renamed"].append(f"{old} -> {step.slug}")
        fields = {"title": step.title, "order": step.order, "core": step.core, "retired_at": None}
        if row is None:
            rows[step.slug] = Step.objects.create(slug=step.slug, **fields)
            summary["created"].append(step.slug)
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            row.save()
            summary["updated"].append(step.slug)
    for slug, row in rows.items():
        if slug not in lib.steps and slug not in lib.broken and row.retired_at is None:
            row.retired_at = now
            row.save(update_fields=["retired_at"])
            summary["retired"].append(slug)
    remember_step_ids({slug: row.id for slug, row in rows.items() if row.retired_at is None})
    transaction.on_commit(forget_step_ids)
    return summary
