from django.contrib.auth import views as auth_views


def _todo(request, *args, **kwargs):
    raise NotImplementedError


register = verify_email = profile = switch_membership = api_tokens = _todo
LoginView = auth_views.LoginView
