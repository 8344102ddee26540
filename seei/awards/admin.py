"""Read-only views of the awards for the platform's administrators: every change goes through
seei.awards.services, so that each step is checked and audited. The companies of an award that is
not final stay sealed (seei.core.sealed_admin)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from seei.awards.models import Award, AwardStep, Commitment, Payment, Visa
from seei.core.sealed_admin import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    SealedAdmin,
    lot_revealed,
    show_sealed,
)


class StepInline(ReadOnlyInline, admin.TabularInline):
    model = AwardStep
    fields = [
        "rank",
        "bidder",
        "sealed_company",
        "amount",
        "status",
        "documents_deadline",
        "reason",
        "low_price",
    ]
    readonly_fields = fields

    @admin.display(description=_("company"))
    def sealed_company(self, step):
        return show_sealed(step, "company", lot_revealed(step.award.lot_id))


@admin.register(Award)
class AwardAdmin(SealedAdmin):
    list_display = ["lot", "status", "sealed_company", "amount", "currency", "final_at"]
    list_filter = ["status"]
    search_fields = ["lot__tender__reference"]  # not the company: a search would name it
    inlines = [StepInline]
    sealed = {"company": _("company")}

    def revealed(self, obj):
        return lot_revealed(obj.lot_id)


@admin.register(Visa)
class VisaAdmin(ReadOnlyAdmin):
    list_display = ["award", "decision", "accountant_post", "decided_at"]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["award", "amount", "budget_line", "committed_on", "accountant_post"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["award", "paid_on", "amount", "reference", "reverses", "accountant_post"]
