from datetime import timedelta


def test_publish_and_search(published_tender, clock):
    from seei.tenders.search import matching
    from seei.tenders.selectors import public_tenders

    assert published_tender.status == "published"
    assert list(matching(public_tenders(), "fauteuils")) == [published_tender]
    assert list(matching(public_tenders(), "wheelchairs")) == [published_tender]
    assert list(matching(public_tenders(), "charbon")) == []
    clock.advance(timedelta(days=1))
