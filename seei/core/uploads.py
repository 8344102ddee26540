"""Uploads: never on disk in clear, bounded per file, per request and per user, and checked by their
content, not by their name.

A request's files are received by ``SealedSpoolUploadHandler``: a small file stays in memory, a larger
one streams to a temporary file encrypted with a key only that upload holds (a sealed application is
never written anywhere in clear). A file past the size limit, the files past the request's total, and
every file of a user already sending ``SEEI_UPLOADS_PER_USER`` requests are kept no further and marked;
``validate_document``, which every service calls on every upload, refuses them in the user's language.
"""

import hashlib
import io
import os
import tempfile
import time
from io import BytesIO

import filetype
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestAborted, ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.core.handlers.asgi import ASGIHandler
from django.utils.translation import gettext as _

from seei.core.client_address import client_ip

MB = 1024 * 1024
# Why a file was not kept (set on the upload as ``refused``); validate_document says it to the user.
OVER_TOTAL, BUSY = "over_total", "busy"
SLOT_SECONDS = 60  # a slot of a request that died without a word frees itself after this

# extension -> the MIME types its content may be detected as
DOCUMENT_TYPES = {
    "pdf": {"application/pdf"},
    "docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    "xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    "pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    "odt": {"application/vnd.oasis.opendocument.text"},
    "ods": {"application/vnd.oasis.opendocument.spreadsheet"},
    "png": {"image/png"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
}


def validate_document(upload, allowed=DOCUMENT_TYPES) -> str:
    """Refuse a file that is too large or whose content is not what its name says.

    Returns the detected MIME type.
    """
    refused = getattr(upload, "refused", None)
    if refused == OVER_TOTAL:
        raise ValidationError(
            _(
                "The files sent together are too large: %(limit)s MB at most in one sending. "
                "Send fewer files at a time."
            )
            % {"limit": settings.SEEI_MAX_UPLOAD_REQUEST_MB},
            code="request_too_large",
        )
    if refused == BUSY:
        raise ValidationError(
            _("You are already sending files from another page; wait until it is done, then try again."),
            code="busy",
        )
    limit = settings.SEEI_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1024 / 1024, 1), "limit": settings.SEEI_MAX_UPLOAD_MB},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in allowed:
        raise ValidationError(
            _("This type of file is not accepted. Accepted: %(types)s.")
            % {"types": ", ".join(sorted(allowed))},
            code="bad_type",
        )
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    upload.seek(0)
    if kind is None or kind.mime not in allowed[extension]:
        raise ValidationError(
            _("The content of “%(name)s” is not a valid %(ext)s file.")
            % {"name": upload.name, "ext": extension.upper()},
            code="content_mismatch",
        )
    return kind.mime


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


class EncryptedSpool(io.RawIOBase):
    """A seekable temporary file whose bytes are encrypted (AES-CTR) with a key that only this object
    holds: what it leaves on disk, even after a crash, is unreadable. Written once, then read."""

    def __init__(self):
        super().__init__()
        self._key, self._nonce = os.urandom(32), int.from_bytes(os.urandom(16), "big")
        self._file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)
        self._size = self._position = 0

    def _keystream_at(self, offset: int):
        block, skip = divmod(offset, 16)
        counter = ((self._nonce + block) % (1 << 128)).to_bytes(16, "big")
        cipher = Cipher(algorithms.AES(self._key), modes.CTR(counter)).encryptor()
        cipher.update(bytes(skip))
        return cipher

    def readable(self):
        return True

    def seekable(self):
        return True

    def writable(self):
        return True

    def write(self, data) -> int:
        self._file.seek(self._size)
        self._file.write(self._keystream_at(self._size).update(bytes(data)))
        self._size += len(data)
        return len(data)

    def readinto(self, buffer) -> int:
        count = max(0, min(len(buffer), self._size - self._position))
        self._file.seek(self._position)
        plain = self._keystream_at(self._position).update(self._file.read(count))
        buffer[: len(plain)] = plain
        self._position += len(plain)
        return len(plain)

    def seek(self, offset, whence=io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self):
        self._file.close()
        super().close()


def _owner(request) -> str:
    """Whose uploads these are: the user (by session or API token), else the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    membership = getattr(request, "auth", None)
    if getattr(membership, "user_id", None):
        return f"user:{membership.user_id}"
    return f"addr:{client_ip(request)}"  # the visitor behind the proxy, as the login limits count it


class UploadSlots:
    """At most SEEI_UPLOADS_PER_USER requests with files at once per user, in the shared cache (Redis
    in production, so every process counts the same slots). A slot is refreshed while its request
    sends, so that one of a request that died frees itself within SLOT_SECONDS."""

    def __init__(self, request):
        self.prefix = f"seei:uploads:{_owner(request)}:"
        self.key = None
        self.touched = 0.0

    def acquire(self) -> bool:
        for index in range(settings.SEEI_UPLOADS_PER_USER):
            if cache.add(f"{self.prefix}{index}", 1, SLOT_SECONDS):
                self.key, self.touched = f"{self.prefix}{index}", time.monotonic()
                return True
        return False

    def keep(self) -> None:
        if self.key and time.monotonic() - self.touched > SLOT_SECONDS / 4:
            cache.touch(self.key, SLOT_SECONDS)
            self.touched = time.monotonic()

    def release(self) -> None:
        if self.key:
            cache.delete(self.key)
            self.key = None


class SealedSpoolUploadHandler(FileUploadHandler):
    """Every file of a request: in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then in an
    ``EncryptedSpool``; kept up to the file size limit and one byte more (its real size goes with it,
    so that ``validate_document`` refuses it as too large), and within the request's total
    (SEEI_MAX_UPLOAD_REQUEST_MB). DATA_UPLOAD_MAX_NUMBER_FILES bounds how many files a request holds."""

    def __init__(self, request=None):
        super().__init__(request)
        self.total, self.slots, self.refusal = 0, None, None  # the refusal of every later file

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.slots = UploadSlots(self.request)
        if not self.slots.acquire():
            self.refusal = BUSY
            return
        # A request whose parsing fails (the client gone, too many files) never reaches
        # upload_complete: its slot is freed with the request, not SLOT_SECONDS later.
        close_request = self.request.close

        def close_and_release():
            self.slots.release()
            close_request()

        self.request.close = close_and_release

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = BytesIO()
        self.kept = 0
        self.refused = self.refusal

    def receive_data_chunk(self, raw_data, start):
        if self.refused:
            return None
        if self.slots:
            self.slots.keep()
        room = settings.SEEI_MAX_UPLOAD_MB * MB + 1 - self.kept
        request_room = settings.SEEI_MAX_UPLOAD_REQUEST_MB * MB - self.total
        if len(raw_data) > request_room:
            self.refused = self.refusal = OVER_TOTAL
            self.file.close()
            self.file = BytesIO()  # nothing of a refused file is kept
            return None
        data = raw_data[: max(room, 0)]
        if isinstance(self.file, BytesIO) and self.kept + len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
            spool = EncryptedSpool()
            spool.write(self.file.getbuffer())
            self.file = spool
        self.file.write(data)
        self.kept += len(data)
        self.total += len(raw_data)
        return None  # handled: no other handler gets the bytes

    def file_complete(self, file_size):
        self.file.seek(0)
        upload = InMemoryUploadedFile(
            self.file,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )
        upload.refused = self.refused
        return upload

    def upload_complete(self):
        if self.slots:
            self.slots.release()

    upload_interrupted = upload_complete


class SealedBodyASGIHandler(ASGIHandler):
    """Django's ASGI handler (``seei.asgi``), whose request body goes past FILE_UPLOAD_MAX_MEMORY_SIZE
    into an ``EncryptedSpool``: Django's own ``read_body`` spools it to a temporary file in clear,
    a sealed application's files among them, before any upload handler sees them."""

    async def read_body(self, receive):
        body = BytesIO()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                raise RequestAborted()
            chunk = message.get("body", b"")
            if isinstance(body, BytesIO) and body.tell() + len(chunk) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
                spool = io.BufferedRandom(EncryptedSpool())
                spool.write(body.getvalue())
                body = spool
            body.write(chunk)
            if not message.get("more_body", False):
                break
        body.seek(0)
        return body
