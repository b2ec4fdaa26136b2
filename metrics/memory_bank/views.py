"""The memory bank over HTTP: each file as text/markdown, all three as a zip, and a
page that previews them."""

import io
import json
import logging
import zipfile
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.decorators import role_required
from accounts.models import Role
from incidents.markdown import render_markdown

from . import scheduling
from .export import FILE_NAMES, export_memory_bank

logger = logging.getLogger(__name__)

ZIP_NAME = "hindsight-memory-bank.zip"
# A fixed time inside the archive, so that unchanged files give a byte-identical zip.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class MarkdownRenderer(BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return json.dumps(data)


def read_file(name: str) -> bytes:
    """One exported file, exporting first if it is missing, or stale with no
    background export on its way (then the previous, whole file is served)."""
    if name not in FILE_NAMES:
        raise Http404(f"No memory-bank file named {name}")

    path = Path(settings.MEMORY_BANK_DIR) / name
    stale = scheduling.is_dirty() and not scheduling.background_export_pending()
    if stale or not path.exists():
        _export_now()
    return path.read_bytes()


def _export_now() -> None:
    if not scheduling.begin_export():
        return  # an export is running; serve the previous whole file meanwhile
    try:
        export_memory_bank()
    finally:
        scheduling.end_export()


class MemoryBankIndex(APIView):
    def get(self, request):
        def url(name: str, *args) -> str:
            return request.build_absolute_uri(reverse(name, args=args))

        return Response(
            {
                "files": [
                    {"name": name, "url": url("memory-bank-file", name)}
                    for name in FILE_NAMES
                ],
                "archive": url("memory-bank-archive"),
            }
        )


class MemoryBankFile(APIView):
    # JSON first: errors keep the one error shape; the file itself bypasses renderers.
    renderer_classes = [JSONRenderer, MarkdownRenderer]

    def handle_exception(self, exc):
        # Errors keep the API's JSON shape even when ?format=md picked the Markdown
        # renderer for the file itself.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def get(self, request, name: str):
        data = read_file(name)
        response = HttpResponse(data, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response


class MemoryBankArchive(APIView):
    def get(self, request):
        response = HttpResponse(build_archive(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{ZIP_NAME}"'
        return response


def build_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in FILE_NAMES:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, read_file(name))
    return buffer.getvalue()


@require_GET
@role_required(Role.VIEWER)
def preview(request):
    name = request.GET.get("file", FILE_NAMES[0])
    if name not in FILE_NAMES:
        raise Http404(f"No memory-bank file named {name}")

    text = read_file(name).decode()
    front, body = split_front_matter(text)
    return render(
        request,
        "metrics/memory_bank.html",
        {
            "names": FILE_NAMES,
            "current": name,
            "front_matter": front,
            "body_html": render_markdown(body),
            "size": len(text.encode()),
        },
    )


def split_front_matter(text: str) -> tuple[str, str]:
    if not text.startswith("---\n"):
        return "", text
    end = text.find("\n---\n", 4)
    if end < 0:
        return "", text
    return text[4 : end + 1], text[end + 5 :]
