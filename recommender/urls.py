"""API routes of the recommender app, mounted under /api/v1/ (before the storefront's catch-all)."""

from django.urls import path

from recommender import apis

urlpatterns = [
    path("recommendations/customer/<str:customer_id>", apis.CustomerRecommendationsApi.as_view(),
         name="api-recommendations-customer"),
    path("recommendations/session/<str:session_id>", apis.SessionRecommendationsApi.as_view(),
         name="api-recommendations-session"),
    path("recommendations/products/<slug:slug>/similar", apis.SimilarProductsApi.as_view(),
         name="api-recommendations-similar"),
    path("recommendations/products/<slug:slug>/bought-together", apis.BoughtTogetherApi.as_view(),
         name="api-recommendations-bought-together"),
]
