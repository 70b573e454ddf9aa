"""Views of the API kit itself."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ecomcms.api.errors import error_body


@csrf_exempt
def not_found(request):
    """Any other path under /api/v1/: a JSON 404 like every other API error, whatever the method."""
    return JsonResponse(error_body("not_found", "There is no API endpoint at this path."), status=404)
