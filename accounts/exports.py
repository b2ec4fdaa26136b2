import csv

from django.http import HttpResponse

from .models import AuditEvent

COLUMNS = ["at_utc", "action", "actor", "target", "ip_address", "detail"]


def audit_csv_response(events) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hindsight-audit.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    for event in events.order_by("at", "id"):
        writer.writerow(_row(event))
    return response


def _row(event: AuditEvent) -> list[str]:
    # A leading =, +, - or @ would make a spreadsheet run the cell as a formula.
    def safe(text: str) -> str:
        return f"'{text}" if text[:1] in {"=", "+", "-", "@"} else text

    return [
        event.at.isoformat().replace("+00:00", "Z"),
        event.action,
        safe(event.actor_name),
        safe(event.target),
        event.ip_address or "",
        safe(str(event.detail or "")),
    ]
