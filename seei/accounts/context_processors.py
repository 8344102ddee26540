def membership(request):
    current = getattr(request, "membership", None)
    unread = 0
    if request.user.is_authenticated:
        unread = request.user.notifications.filter(read_at__isnull=True).count()
    return {"membership": current, "role": current.role if current else None, "unread_notifications": unread}
