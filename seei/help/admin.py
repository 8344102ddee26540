from django.contrib import admin

from seei.help.models import HelpRequest


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    list_display = ["subject", "name", "email", "language", "created_at", "handled"]
    list_filter = ["handled", "language"]
    list_editable = ["handled"]
    search_fields = ["subject", "name", "email", "message"]
    readonly_fields = ["name", "email", "subject", "message", "user", "language", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # requests come from the contact page
