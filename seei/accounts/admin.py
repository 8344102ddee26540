from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seei.accounts import services
from seei.accounts.forms import AdminLoginForm
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
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups"]},
        ),  # break-glass: audited
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2", "language"]})]


admin.site.login_form = AdminLoginForm  # the same limits on wrong passwords as the site's login


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "buyer_type",
        "ice",
        "national_registration",
        "country",
        "city",
        "pending",
    ]
    list_filter = ["pending", "kind", "buyer_type", "country"]
    search_fields = ["name", "ice", "rc", "national_registration"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["perimeter"]
    readonly_fields = ["pending"]  # changed only by the audited action below
    actions = ["approve"]

    @admin.action(description=gettext_lazy("Approve: the company's identifier (ICE) is checked"))
    def approve(self, request, queryset):
        approved = 0
        for organisation in queryset.filter(pending=True):
            try:
                services.approve_company(organisation, request.user)
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
            else:
                approved += 1
        self.message_user(
            request, _("Companies approved: %(count)s.") % {"count": approved}, messages.SUCCESS
        )


admin.site.register(ApiToken, list_display=["name", "membership", "prefix", "created_at", "last_used_at"])

from seei.accounts.twofactor import admin as _second_factor_admin  # noqa: E402, F401  (its devices)
