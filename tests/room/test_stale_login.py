"""A login that ended (password changed, account deactivated) but whose session row is still there:
its cookie is answered 401 the long way from then on, and never again takes the known login's fast
path, which counts the attempt against the person's own limits before the transaction refuses it."""

import pytest

from tests.conftest import PASSWORD
from tests.room.conftest import session_cookie
from tests.room.test_app import ORIGIN, client  # noqa: F401  (the room app's client fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_stale_cookie_does_not_use_up_the_persons_bid_limit(client, settings, open_room, lot, company):  # noqa: F811
    settings.SEEI_BID_LIMIT_PER_USER = (3, 60.0)

    def post(cookie, amount, request_id):
        return client.post(
            f"/room/lots/{lot.pk}/bids",
            json={"amount": amount, "request_id": request_id},
            headers={
                "origin": ORIGIN,
                "x-seei-room": "bid",
                "x-seei-language": "en",
                "cookie": f"sessionid={cookie}",
            },
        )

    stolen = session_cookie(company)
    # Read once (decoded): a known login from now on.
    assert (
        client.get(
            f"/room/lots/{lot.pk}/snapshot", headers={"origin": ORIGIN, "cookie": f"sessionid={stolen}"}
        ).status_code
        == 200
    )
    company.user.set_password(PASSWORD)  # the owner changes the password: that session ends
    company.user.save()
    for n in range(5):
        assert post(stolen, "500000", f"stale-{n}").status_code == 401
    assert post(session_cookie(company), "590000", "own").status_code == 201
