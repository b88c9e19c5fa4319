from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from recovery import account_views, dashboard, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Pages link the icon; browsers and tools that ask for /favicon.ico anyway are sent to it.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/icon.svg"), permanent=True)),
    path("exit/", views.quick_exit, name="quick_exit"),
    path("steps/", views.steps, name="steps"),
    path("steps/<str:slug>/", views.step, name="step"),
    path("steps/<str:slug>/complete/", dashboard.complete, name="step_complete"),
    path("steps/<str:slug>/revisit/", dashboard.revisit, name="step_revisit"),
    path("steps/<str:slug>/exercises/<str:exercise_id>/", dashboard.tick, name="exercise_tick"),
    path("progress/", dashboard.progress, name="progress"),
    path("progress/check-in/", dashboard.check_in, name="check_in"),
    path("journal/", include("journal.urls")),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include(account_views.urlpatterns)),
    path(settings.ADMIN_URL, admin.site.urls),
    path("<slug:slug>/", views.page, name="page"),
]

handler404 = "recovery.views.not_found"
