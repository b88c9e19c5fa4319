from django.urls import path

from me import account, dashboard, design, quick_exit, safety, start, today, views

urlpatterns = [
    path("", views.home, name="home"),
    path("exit/", quick_exit.quick_exit, name="quick_exit"),
    path("steps/", views.steps, name="steps"),
    path("steps/<str:slug>/", views.step, name="step"),
    path("progress/", dashboard.progress, name="progress"),
    path("progress/check-in/", dashboard.check_in, name="check_in"),
    path("start/", start.start, name="start"),
    path("safety-plan/", safety.safety_plan, name="safety_plan"),
    path("safety-plan/print/", safety.safety_plan_print, name="safety_plan_print"),
    path("today/exercises/<str:slug>/<str:exercise_id>/", today.tick, name="today_tick"),
    path("today/counters/", today.counter_add, name="counter_add"),
    path("today/counters/<uuid:code>/reset/", today.counter_reset, name="counter_reset"),
    path("today/counters/<uuid:code>/remove/", today.counter_remove, name="counter_remove"),
    path("accounts/", account.account, name="account"),
    path("accounts/download/", account.download, name="account_download"),
    path("accounts/reminders/", account.reminders, name="reminders"),
    path("accounts/reminders/stop/<str:token>/", account.reminders_stop, name="reminders_stop"),
    path("accounts/delete/", account.delete_account, name="account_delete"),
    path("design/", design.design, name="design"),
]
