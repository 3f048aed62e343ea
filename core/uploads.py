"""The one upload check: what a file *is* (by its content, never by the name or type the browser
sent) and whether it is small enough.

    kind = check_upload(request.FILES["attachment"], kinds={"pdf", "image"}, max_bytes=5 * MB)

returns the detected kind ("pdf", "image", "word", "xlsx" or "csv") or raises
:class:`core.errors.DomainError` with a translated message. :func:`detect_upload` also gives the
extension and MIME type to store and serve the file under (a "proof.html" whose content is a
PDF is stored and served as a PDF).

Content is sniffed with ``puremagic``; Office Open XML files (.docx/.xlsx, both zip archives)
are told apart by their parts, and refused when their declared uncompressed size is out of
proportion (a zip bomb). The size limit is the smaller of ``max_bytes`` and
``settings.LECTERN_UPLOAD_MAX_BYTES``, the global ceiling the request-size middleware enforces
before the body is read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError

MB = 1024 * 1024
KINDS = ("pdf", "image", "word", "xlsx", "csv")
KIND_LABELS = {
    "pdf": gettext_lazy("PDF"),
    "image": gettext_lazy("图片(JPG、PNG)"),
    "word": gettext_lazy("Word 文档"),
    "xlsx": gettext_lazy("Excel 表格(.xlsx)"),
    "csv": gettext_lazy("CSV 文本"),
}
HEAD_BYTES = 64 * 1024
# An Office file whose parts unpack to more than this many times its size, or this many bytes
# in all, is refused (real rosters and documents compress 3-20x).
MAX_ZIP_RATIO = 100
MAX_ZIP_UNPACKED = 200 * MB
MAX_ZIP_ENTRIES = 5000

_IMAGE_TYPES = {
    ".png": ("png", "image/png"),
    ".jpg": ("jpg", "image/jpeg"),
    ".jpeg": ("jpg", "image/jpeg"),
    ".jfif": ("jpg", "image/jpeg"),
    ".jpe": ("jpg", "image/jpeg"),
    ".gif": ("gif", "image/gif"),
    ".webp": ("webp", "image/webp"),
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Detected:
    kind: str  # one of KINDS
    extension: str  # without the dot, e.g. "pdf", "jpg", "docx"
    content_type: str


def upload_ceiling() -> int:
    """The global upload ceiling in bytes (settings.LECTERN_UPLOAD_MAX_BYTES)."""
    return int(
        getattr(settings, "LECTERN_UPLOAD_MAX_BYTES", None)
        or getattr(settings, "LECTERN_MAX_UPLOAD_BYTES", 10 * MB)
    )


def _mb(n: int) -> str:
    value = n / MB
    return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


def _read_head(uploaded_file) -> bytes:
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    uploaded_file.seek(0)
    return head or b""


def _magic_extensions(head: bytes, *, min_confidence: float = 0.0) -> list[str]:
    import puremagic

    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return []
    return [m.extension.lower() for m in matches if m.confidence >= min_confidence]


def _office_kind(uploaded_file, size: int) -> Detected | None:
    """A .docx or .xlsx by the parts of its zip archive; None if it is neither (or broken)."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise DomainError(_("文件结构异常(条目过多),已拒绝。"), code="upload_bomb")
            unpacked = sum(i.file_size for i in infos)
            if unpacked > MAX_ZIP_UNPACKED or unpacked > MAX_ZIP_RATIO * max(size, 1):
                raise DomainError(
                    _("文件解压后过大(压缩比异常),已拒绝。请另存为普通文件后重新上传。"),
                    code="upload_bomb",
                )
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        return None
    finally:
        uploaded_file.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return Detected("word", "docx", DOCX_TYPE)
    if "xl/workbook.xml" in names:
        return Detected("xlsx", "xlsx", XLSX_TYPE)
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    sample = head[: HEAD_BYTES - 4]  # a multi-byte character may be cut at the end
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError:
            # tolerate a character cut at the very end of the sample
            try:
                sample[:-3].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    return False


def detect_upload(uploaded_file, *, kinds) -> Detected | None:
    """What the file is, among `kinds`, judged by its content; None when it is none of them."""
    head = _read_head(uploaded_file)
    if not head:
        return None
    size = getattr(uploaded_file, "size", None) or len(head)
    extensions = _magic_extensions(head)
    if "pdf" in kinds and head.lstrip(b"\r\n\t ")[:5] == b"%PDF-":
        return Detected("pdf", "pdf", "application/pdf")
    if "image" in kinds:
        for ext in extensions[:4]:
            if ext in _IMAGE_TYPES:
                extension, ctype = _IMAGE_TYPES[ext]
                return Detected("image", extension, ctype)
    if {"word", "xlsx"} & set(kinds) and head[:4] == b"PK\x03\x04":
        office = _office_kind(uploaded_file, size)
        if office is not None and office.kind in kinds:
            return office
    if "word" in kinds and head[:8] == _OLE_MAGIC and ".doc" in extensions:
        return Detected("word", "doc", "application/msword")
    # text that a sniffer recognises as something else (HTML, script, XML...) is not a CSV
    if (
        "csv" in kinds
        and _looks_like_text(head)
        and not _magic_extensions(head, min_confidence=0.5)
    ):
        return Detected("csv", "csv", "text/csv")
    return None


def check_upload(uploaded_file, *, kinds, max_bytes: int | None = None, field=None) -> str:
    """The detected kind of an upload, or DomainError: empty, larger than `max_bytes` (and the
    global ceiling), or content that is none of `kinds` (a renamed .exe posing as a .pdf)."""
    return check_upload_detail(uploaded_file, kinds=kinds, max_bytes=max_bytes, field=field).kind


def check_upload_detail(uploaded_file, *, kinds, max_bytes: int | None = None, field=None):
    """As check_upload, returning the :class:`Detected` (kind, extension, content type)."""
    kinds = set(kinds)
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f"unknown upload kinds: {sorted(unknown)}")
    limit = min(max_bytes or upload_ceiling(), upload_ceiling())
    if uploaded_file is None:
        raise DomainError(_("请选择要上传的文件。"), field=field, code="upload_missing")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise DomainError(
            _("文件过大:不能超过 %(mb)s MB。") % {"mb": _mb(limit)},
            field=field,
            code="upload_too_large",
        )
    if not size:
        head = _read_head(uploaded_file)
        if not head:
            raise DomainError(_("文件是空的,请重新选择。"), field=field, code="upload_empty")
    try:
        detected = detect_upload(uploaded_file, kinds=kinds)
    except DomainError as exc:
        exc.field = field
        raise
    if detected is None:
        labels = "、".join(str(KIND_LABELS[k]) for k in KINDS if k in kinds)
        raise DomainError(
            _("文件内容与所需类型不符:只接受 %(types)s。请上传真实的文件,而不是改了扩展名的文件。")
            % {"types": labels},
            field=field,
            code="upload_type",
        )
    return detected
