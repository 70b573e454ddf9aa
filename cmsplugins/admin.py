"""A guard on one django CMS admin view that answers a malformed request with a 500."""

from __future__ import annotations

import json

from cms.admin.settingsadmin import SettingsAdmin
from cms.models import UserSettings
from django.contrib import admin
from django.http import HttpResponseBadRequest


class GuardedSettingsAdmin(SettingsAdmin):
    """django CMS's user settings admin, with ``session_store`` refusing a POST without ``settings``.

    Upstream (django CMS 5.1) reads ``request.POST['settings']`` unchecked in
    ``/admin/cms/usersettings/session_store/``, so a staff POST without it raises ``KeyError``: a 500.
    Such a POST is a 400 here; everything else is the CMS's own view, unchanged.
    """

    def session_store(self, request):
        if request.method == "POST" and request.user.is_staff and "settings" not in request.POST:
            return HttpResponseBadRequest(json.dumps("The POST needs a 'settings' field."),
                                          content_type="application/json")
        return super().session_store(request)


# The CMS registered its own first (`cms` comes before `cmsplugins` in INSTALLED_APPS).
admin.site.unregister(UserSettings)
admin.site.register(UserSettings, GuardedSettingsAdmin)
