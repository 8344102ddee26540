"""Uploads: kept in memory, never on disk, and checked by their content, not by their name."""

import hashlib
from io import BytesIO

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

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


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Every uploaded file stays in memory, whatever its size, never in a temporary file: a sealed
    application is encrypted before it is written anywhere. A file is kept up to the size limit
    and one byte more; its real size goes with it, so that ``validate_document`` refuses it as too
    large (settings.DATA_UPLOAD_MAX_NUMBER_FILES bounds how many a request may hold)."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = BytesIO()

    def receive_data_chunk(self, raw_data, start):
        room = settings.SEEI_MAX_UPLOAD_MB * 1024 * 1024 + 1 - self.file.tell()
        if room > 0:
            self.file.write(raw_data[:room])
        return None  # handled: no other handler gets the bytes

    def file_complete(self, file_size):
        self.file.seek(0)
        return InMemoryUploadedFile(
            self.file,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )
