"""Render the three memory-bank files and write them atomically."""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings

from . import incidents, infrastructure, metrics
from .context import build_context
from .render import final_scrub
from .writer import write_files

logger = logging.getLogger(__name__)

RENDERERS = {
    infrastructure.FILE_NAME: infrastructure.render,
    metrics.FILE_NAME: metrics.render,
    incidents.FILE_NAME: incidents.render,
}
FILE_NAMES = tuple(RENDERERS)


@dataclass
class ExportResult:
    directory: Path
    changed: list[str]
    sizes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        return f"{len(self.changed)} of {len(self.sizes)} files changed"


def render_files(
    *, now: datetime | None = None, max_bytes: int | None = None
) -> dict[str, bytes]:
    ctx = build_context(now=now, max_bytes=max_bytes)
    rendered = {}
    for name, render in RENDERERS.items():
        text = final_scrub(render(ctx))
        data = text.encode()
        if len(data) > ctx.max_bytes:
            # Even the smallest summary did not fit: keep it whole rather than cut it.
            logger.warning(
                "Memory-bank file %s is %d bytes, over the %d-byte bound",
                name,
                len(data),
                ctx.max_bytes,
            )
        rendered[name] = data
    return rendered


def export_memory_bank(
    *,
    out_dir: Path | str | None = None,
    now: datetime | None = None,
    max_bytes: int | None = None,
) -> ExportResult:
    started = time.monotonic()
    directory = Path(out_dir or settings.MEMORY_BANK_DIR)

    files = render_files(now=now, max_bytes=max_bytes)
    changed = write_files(directory, files)

    result = ExportResult(
        directory=directory,
        changed=changed,
        sizes={name: len(data) for name, data in files.items()},
        seconds=time.monotonic() - started,
    )
    logger.info(
        "Memory bank exported to %s in %.2fs: %s",
        directory,
        result.seconds,
        result.summary(),
    )
    return result
