from django.conf import settings


def site(request):
    return {"site_name": settings.SITE_NAME, "quick_exit_url": settings.QUICK_EXIT_URL}
