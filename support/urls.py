"""API routes of the support app, mounted under /api/v1/."""

from django.urls import path

from support import apis

urlpatterns = [
    path("tickets", apis.TicketCreateApi.as_view(), name="api-tickets"),
    path("tickets/<str:public_id>", apis.TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<str:public_id>/messages", apis.TicketMessageCreateApi.as_view(), name="api-ticket-messages"),
    path("staff/tickets", apis.StaffTicketListApi.as_view(), name="api-staff-tickets"),
    path("staff/tickets/assign", apis.StaffTicketAssignApi.as_view(), name="api-staff-tickets-assign"),
    path("staff/tickets/<str:public_id>", apis.StaffTicketDetailApi.as_view(), name="api-staff-ticket"),
    path("staff/tickets/<str:public_id>/status", apis.StaffTicketStatusApi.as_view(), name="api-staff-ticket-status"),
    path(
        "staff/tickets/<str:public_id>/predictions",
        apis.StaffTicketPredictionApi.as_view(),
        name="api-staff-ticket-predictions",
    ),
    path(
        "staff/tickets/<str:public_id>/messages", apis.StaffTicketMessageApi.as_view(), name="api-staff-ticket-messages"
    ),
    path(
        "staff/suggestions/<int:suggestion_id>/accept",
        apis.StaffSuggestionAcceptApi.as_view(),
        name="api-staff-suggestion-accept",
    ),
    path(
        "staff/suggestions/<int:suggestion_id>/edit-and-send",
        apis.StaffSuggestionEditApi.as_view(),
        name="api-staff-suggestion-edit",
    ),
    path(
        "staff/suggestions/<int:suggestion_id>/reject",
        apis.StaffSuggestionRejectApi.as_view(),
        name="api-staff-suggestion-reject",
    ),
    path("staff/suggestion-rates", apis.StaffSuggestionRatesApi.as_view(), name="api-staff-suggestion-rates"),
]
