from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from seei.accounts.models import ApiToken, Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "language", "email_verified", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "language", "email_verified"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2", "language"]})]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "buyer_type", "ice", "country", "city"]
    list_filter = ["kind", "buyer_type", "country"]
    search_fields = ["name", "ice", "rc", "national_registration"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["perimeter"]


admin.site.register(ApiToken, list_display=["name", "membership", "prefix", "created_at", "last_used_at"])

from seei.accounts.twofactor import admin as _second_factor_admin  # noqa: E402, F401  (its devices)
