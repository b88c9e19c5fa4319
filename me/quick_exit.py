"""Quick exit: end the session at once and leave for a neutral site, keeping what was being
written as the writer's draft."""

import logging

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from journal.drafts import TEXT_FIELDS, autosave
from recovery.middleware import CLEAR_SITE_DATA

logger = logging.getLogger(__name__)

keep_draft = csrf_protect(autosave)


@csrf_exempt
@sensitive_post_parameters(*TEXT_FIELDS)
@require_POST
@never_cache
def quick_exit(request):
    """Anyone: end the session at once and go to a neutral site; a signed-in writer's editor
    text, sent along by site.js, is kept first as their draft.

    Exempt from CSRF on purpose: leaving must work even from a page whose token has gone
    stale, and the only thing a forged request could do is sign someone out. Keeping the
    draft does check the token, so a forged exit cannot leave words in someone's journal.

    The answer is a blank page that moves on by itself rather than a redirect: a form's
    redirect to another site is refused under our `form-action 'self'`, which stays as strict
    as it is. With JavaScript the page is never shown; site.js leaves by location.replace.
    """
    if "draft" in request.POST and request.user.is_authenticated:
        try:
            keep_draft(request)
        except Exception as exc:
            # Leaving comes first. The error's name only: the request holds journal text.
            logger.warning("Quick exit kept no draft: %s", type(exc).__name__)
    logout(request)  # flushes the session too
    response = render(request, "recovery/quick_exit.html", {"exit_url": settings.QUICK_EXIT_URL})
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
