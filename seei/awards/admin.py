"""Read-only views of the awards for the platform's administrators: every change goes through
seei.awards.services, so that each step is checked and audited."""

from django.contrib import admin

from seei.awards.models import Award, AwardStep, Payment, Visa
from seei.core.admin import ReadOnlyAdmin


class StepInline(admin.TabularInline):
    model = AwardStep
    extra = 0
    fields = ["rank", "bidder", "company", "amount", "status", "documents_deadline", "reason", "low_price"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = ["lot", "status", "company", "amount", "currency", "final_at"]
    list_filter = ["status"]
    search_fields = ["lot__tender__reference", "company__name"]
    inlines = [StepInline]


@admin.register(Visa)
class VisaAdmin(ReadOnlyAdmin):
    list_display = ["award", "decision", "accountant_post", "decided_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["award", "paid_on", "amount", "reference", "accountant_post"]
