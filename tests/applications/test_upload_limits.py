"""What one request, and one user, may send in files (seei.core.uploads): a total per request, large
files streamed to a temporary file that only holds ciphertext, and a bounded number of requests sending
files at once per user; each refusal a clear message on the field, nothing stored."""

import asyncio
import hashlib
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from seei.applications.models import Application, ApplicationDocument
from seei.core import uploads
from tests.api.conftest import ApiClient, token_for
from tests.applications.conftest import pdf_bytes
from tests.applications.test_api import application_form
from tests.conftest import off_loop

pytestmark = pytest.mark.urls("tests.applications.urls")


def upload(company, language="en", **files):
    client = ApiClient(token_for(company), language)
    return client.upload(
        f"/notices/{company.tender.pk}/application", **application_form(company.tender, **files)
    )


@pytest.fixture
def sender(tender, company):
    company.tender = tender
    return company


def test_the_files_of_one_request_are_capped_in_total(sender, settings):
    settings.SEEI_MAX_UPLOAD_REQUEST_MB = 1

    def parts():
        return [SimpleUploadedFile(f"plan-{n}.pdf", pdf_bytes(b"x" * 400_000)) for n in range(3)]

    response = upload(sender, language="fr", technical=parts())

    assert response.status_code == 400
    assert response.json()["errors"]["technical"] == [
        "plan-2.pdf: Les fichiers envoyés ensemble sont trop volumineux : 1 Mo au plus par envoi. "
        "Envoyez moins de fichiers à la fois."
    ]
    assert not Application.objects.exists() and not ApplicationDocument.objects.exists()
    settings.SEEI_MAX_UPLOAD_REQUEST_MB = 2
    assert upload(sender, technical=parts()).status_code == 201


def test_a_large_file_streams_to_a_temporary_file_holding_only_ciphertext(sender, monkeypatch):
    written = []

    class RecordedFile(io.BytesIO):  # stands for the temporary file on disk
        def write(self, data):
            written.append(bytes(data))
            return super().write(data)

    monkeypatch.setattr(uploads.tempfile, "TemporaryFile", lambda dir=None: RecordedFile())
    content = pdf_bytes(b"prix-confidentiel " * 300_000)  # 5.4 MB, above FILE_UPLOAD_MAX_MEMORY_SIZE

    response = upload(sender, technical=[SimpleUploadedFile("offre.pdf", content)])

    assert response.status_code == 201, response.content
    on_disk = b"".join(written)
    assert len(on_disk) >= len(content) - 2 * 1024 * 1024  # streamed out of memory
    assert b"prix-confidentiel" not in on_disk and b"%PDF" not in on_disk
    stored = ApplicationDocument.objects.get(kind="technical")
    assert stored.sha256 == hashlib.sha256(content).hexdigest()


def test_an_encrypted_spool_reads_back_what_was_written_from_any_offset():
    data = bytes(range(256)) * 100
    spool = uploads.EncryptedSpool()
    for start in range(0, len(data), 1000):
        spool.write(data[start : start + 1000])

    spool.seek(0)
    assert spool.read() == data
    spool.seek(4097)
    assert spool.read(33) == data[4097:4130]
    spool.close()


def test_a_user_sends_files_from_a_bounded_number_of_requests_at_once(sender, settings):
    settings.SEEI_UPLOADS_PER_USER = 2
    elsewhere = [uploads.UploadSlots(SimpleNamespace(user=sender.user, META={})) for _ in range(2)]
    assert all(slots.acquire() for slots in elsewhere)  # two requests of this user still sending

    refused = upload(sender)
    elsewhere[0].release()
    accepted = upload(sender)

    assert refused.status_code == 400
    assert refused.json()["errors"]["administrative"] == [
        "statuts.pdf: You are already sending files from another page; wait until it is done, then try again."
    ]
    assert accepted.status_code == 201, accepted.content
    assert Application.objects.count() == 1
    assert uploads.UploadSlots(SimpleNamespace(user=sender.user, META={})).acquire()  # the slot was freed


def test_a_request_that_fails_while_sending_frees_its_slot(sender, settings):
    """Two sendings cut short (here: too many files, as a dropped connection would) do not keep the
    user from sending again for a minute."""
    settings.SEEI_UPLOADS_PER_USER = 2
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    for _ in range(2):
        assert upload(sender).status_code == 400
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 30
    accepted = upload(sender)
    assert accepted.status_code == 201, accepted.content


def test_a_large_body_reaches_django_through_asgi_only_as_ciphertext_on_disk(monkeypatch):
    """seei.asgi serves the pages and the API: Django's own ASGI handler would spool this body (the
    files of a sealed application) to a temporary file in clear before any upload handler runs."""
    from seei import asgi

    written = []

    class RecordedFile(io.BytesIO):
        def write(self, data):
            written.append(bytes(data))
            return super().write(data)

    monkeypatch.setattr(uploads.tempfile, "TemporaryFile", lambda dir=None: RecordedFile())
    content = b"prix-confidentiel " * 300_000
    size = 65536
    messages = [
        {"type": "http.request", "body": content[i : i + size], "more_body": i + size < len(content)}
        for i in range(0, len(content), size)
    ]

    async def receive():
        return messages.pop(0)

    body = off_loop(asyncio.run, asgi.django_application.read_body(receive))

    assert body.read() == content
    body.seek(100_000)
    assert body.readline() == content[100_000:].split(b"\n")[0]
    assert len(b"".join(written)) > 3_000_000 and b"prix-confidentiel" not in b"".join(written)


def test_an_anonymous_uploader_behind_the_proxy_is_counted_by_its_own_address(settings, rf):
    settings.SEEI_TRUSTED_PROXIES = ["127.0.0.1"]
    request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    request.user = SimpleNamespace(is_authenticated=False)
    assert uploads._owner(request) == "addr:203.0.113.5"
