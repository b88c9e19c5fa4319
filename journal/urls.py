from django.urls import path

from journal import drafts, printing, prompts, views

app_name = "journal"

urlpatterns = [
    path("", views.entry_list, name="list"),
    path("new/", views.new, name="new"),
    path("preview/", views.preview, name="preview"),
    path("drafts/save/", drafts.autosave, name="autosave"),
    path("drafts/<uuid:code>/discard/", drafts.discard_draft, name="discard_draft"),
    path("trash/", views.trash, name="trash"),
    path("export/", views.export, name="export"),
    path("export/therapist/", printing.export_page, name="print_form"),
    path("export/therapist/pdf/", printing.pdf, name="pdf"),
    path("export/moods.csv", printing.moods_csv, name="moods_csv"),
    path("print/", printing.print_view, name="print"),
    path("import/", views.import_entries, name="import"),
    path("import/<uuid:code>/", views.import_job, name="import_job"),
    path("import/<uuid:code>/cancel/", views.import_job_cancel, name="import_cancel"),
    path("prompts/", prompts.prompt_list, name="prompts"),
    path("prompts/add/", prompts.prompt_add, name="prompt_add"),
    path("prompts/<uuid:code>/edit/", prompts.prompt_edit, name="prompt_edit"),
    path("prompts/<uuid:code>/pin/", prompts.prompt_pin, name="prompt_pin"),
    path("prompts/<uuid:code>/unpin/", prompts.prompt_unpin, name="prompt_unpin"),
    path("prompts/<uuid:code>/retire/", prompts.prompt_retire, name="prompt_retire"),
    path("prompts/<uuid:code>/bring-back/", prompts.prompt_bring_back, name="prompt_bring_back"),
    path("prompts/<uuid:code>/delete/", prompts.prompt_delete, name="prompt_delete"),
    path("<uuid:code>/", views.detail, name="detail"),
    path("<uuid:code>/edit/", views.edit, name="edit"),
    path("<uuid:code>/delete/", views.delete, name="delete"),
    path("<uuid:code>/restore/", views.restore, name="restore"),
    path("<uuid:code>/destroy/", views.destroy, name="destroy"),
    path("<uuid:code>/download.md", printing.entry_markdown, name="entry_markdown"),
    path("<uuid:code>/download.pdf", printing.entry_pdf, name="entry_pdf"),
]
