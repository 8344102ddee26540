"""The site's URLs plus one page reserved to buyer agents, to test ``role_required`` end to end."""

from django.http import HttpResponse
from django.urls import path

from seei.accounts.decorators import role_required
from seei.urls import urlpatterns as site_urlpatterns


@role_required("buyer_agent")
def buyer_page(request):
    return HttpResponse("buyer page")


urlpatterns = [path("test-buyer-page/", buyer_page, name="test_buyer_page"), *site_urlpatterns]
