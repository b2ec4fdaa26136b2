from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role

from .dora import dora_report
from .dora.cache import cached
from .dora.params import parse_dora_request


class DoraMetricsView(APIView):
    """The four DORA keys plus time to restore and rework rate, for a window."""

    read_role = Role.VIEWER

    @extend_schema(
        parameters=[
            OpenApiParameter("service", str, description="Service slug"),
            OpenApiParameter("team", str, description="Team slug"),
            OpenApiParameter("start", str, description="RFC 3339 with a zone"),
            OpenApiParameter("end", str, description="RFC 3339; default now"),
            OpenApiParameter("days", int, description="Window length without start"),
            OpenApiParameter("benchmark", int, description="Report year: 2023, 2024"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        params = parse_dora_request(request.query_params)
        # Shared with every caller of the same window: pipelines and agents polling
        # the figures must not each rescan the history (see dora.cache for how
        # fresh an answer is).
        identity = {"api": 1, **params.cache_identity}
        report = cached(
            identity,
            lambda: dora_report(
                **params.as_kwargs(), benchmark_year=params.benchmark_year
            ),
        )
        return Response(report)
