def notifications(request):
    raise NotImplementedError
