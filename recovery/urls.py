"""The site's URLs. Pages that stand on both the path and the journal come from me/ and
journal/ by name, so this module imports neither."""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from recovery import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Pages link the icon; browsers and tools that ask for /favicon.ico anyway are sent to it.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/icon.svg"), permanent=True)),
    path("steps/<str:slug>/complete/", views.complete, name="step_complete"),
    path("steps/<str:slug>/revisit/", views.revisit, name="step_revisit"),
    path("steps/<str:slug>/exercises/<str:exercise_id>/", views.tick, name="exercise_tick"),
    path("journal/", include("journal.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("me.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("<slug:slug>/", views.page, name="page"),
]

handler404 = "recovery.views.not_found"
handler500 = "recovery.views.server_error"
