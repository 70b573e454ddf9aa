"""Storefront tokens in the admin: created here, the secret shown once, revoked by an action."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from storefront import services
from storefront.models import Scope, StorefrontToken


class StorefrontTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = StorefrontToken
        fields = ("name", "scopes")


@admin.register(StorefrontToken)
class StorefrontTokenAdmin(admin.ModelAdmin):
    form = StorefrontTokenForm
    list_display = ("name", "prefix", "scopes_display", "created_by", "created_at", "last_used_at", "revoked")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    list_select_related = ("created_by",)
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    @admin.display(description="Scopes")
    def scopes_display(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="Revoked", boolean=True)
    def revoked(self, obj):
        return obj.revoked_at is not None

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = services.token_create(name=obj.name, scopes=obj.scopes, created_by=request.user)
        obj.pk = token.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            format_html("Copy the token now; it is stored hashed and will not be shown again: <code>{}</code>", secret),
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = sum(services.token_revoke(token=token) for token in queryset)
        self.message_user(request, f"Revoked: {revoked}.", messages.SUCCESS)

from storefront import admin_experiments  # noqa: E402,F401  (registers Storefront > Experiments)
