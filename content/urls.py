"""API routes of the content app, mounted under /api/v1/."""

urlpatterns: list = []
