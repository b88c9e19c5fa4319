from django.conf import settings

from recovery.pagecache import CSRF_PLACEHOLDER


def site(request):
    context = {"site_name": settings.SITE_NAME, "quick_exit_url": settings.QUICK_EXIT_URL}
    if getattr(request, "csrf_placeholder", False):
        # A page that will be kept (pagecache.per_user): the token goes in when it is served.
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context
