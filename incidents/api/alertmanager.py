"""``POST /api/webhooks/alertmanager/``: Alertmanager's webhook format, version 4
(https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)."""

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services import alerts as alert_services
from ..timeparse import (
    TimeFormatError,
    check_plausible,
    is_go_zero_time,
    parse_instant,
)

logger = logging.getLogger(__name__)

SUPPORTED_VERSION = "4"
# Alertmanager sends every alert of a group unless its max_alerts says otherwise
# (0, the default, is no limit), so the cap is generous; the request body limit
# (DATA_UPLOAD_MAX_MEMORY_SIZE) usually binds first.
MAX_ALERTS = 10_000


def _labels(**kwargs) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False), **kwargs
    )


def _instant(value: str, *, allow_zero: bool, plausible: bool = True):
    if allow_zero and (not value or is_go_zero_time(value)):
        return None
    try:
        instant = parse_instant(value)
        if plausible:
            check_plausible(instant)
    except TimeFormatError as error:
        raise serializers.ValidationError(str(error)) from None
    return instant


class AlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    labels = _labels(allow_empty=False)
    annotations = _labels(required=False, default=dict)
    startsAt = serializers.CharField()
    endsAt = serializers.CharField(required=False, allow_blank=True, default="")
    # Any length: the link is only shown, and the service leaves out one too long
    # to follow rather than refusing the alert.
    generatorURL = serializers.CharField(required=False, allow_blank=True, default="")
    fingerprint = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64
    )

    def validate_startsAt(self, value):
        if is_go_zero_time(value):
            raise serializers.ValidationError("An alert needs a real start time.")
        return _instant(value, allow_zero=False)

    def validate_endsAt(self, value):
        return _instant(value, allow_zero=True, plausible=False)

    def validate(self, attrs):
        ends, starts = attrs.get("endsAt"), attrs["startsAt"]
        if attrs["status"] == "firing":
            # A firing alert's end is only Alertmanager's forecast, unused here; an
            # odd one must not cost the whole notification.
            attrs["endsAt"] = None
            return attrs
        if ends is None:
            return attrs
        try:
            check_plausible(ends)
        except TimeFormatError as error:
            raise serializers.ValidationError({"endsAt": [str(error)]}) from None
        if ends < starts:
            raise serializers.ValidationError({"endsAt": ["Is before startsAt."]})
        return attrs


def _to_alert(data: dict) -> alert_services.Alert:
    return alert_services.Alert(
        status=data["status"],
        labels=data["labels"],
        annotations=data["annotations"],
        starts_at=data["startsAt"],
        ends_at=data["endsAt"],
        fingerprint=data["fingerprint"],
        generator_url=data["generatorURL"],
    )


class AlertmanagerNotificationSerializer(serializers.Serializer):
    version = serializers.CharField()
    groupKey = serializers.CharField(max_length=10_000)
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    receiver = serializers.CharField(required=False, allow_blank=True, default="")
    alerts = AlertSerializer(many=True, allow_empty=False, max_length=MAX_ALERTS)
    groupLabels = _labels(required=False, default=dict)
    commonLabels = _labels(required=False, default=dict)
    commonAnnotations = _labels(required=False, default=dict)
    externalURL = serializers.CharField(required=False, allow_blank=True, default="")
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0, default=0)

    def validate_version(self, value):
        if value != SUPPORTED_VERSION:
            raise serializers.ValidationError(
                f"Only version {SUPPORTED_VERSION} of Alertmanager's webhook format "
                "is supported."
            )
        return value

    def to_notification(self) -> alert_services.Notification:
        data = self.validated_data
        return alert_services.Notification(
            group_key=data["groupKey"],
            status=data["status"],
            alerts=[_to_alert(alert) for alert in data["alerts"]],
            receiver=data["receiver"],
            group_labels=data["groupLabels"],
            common_labels=data["commonLabels"],
            common_annotations=data["commonAnnotations"],
            external_url=data["externalURL"],
            truncated_alerts=data["truncatedAlerts"],
        )


class AlertmanagerWebhookView(APIView):
    """Each integration posts with its own token (an integration user)."""

    integration_methods = ("POST",)

    @extend_schema(
        request=AlertmanagerNotificationSerializer, responses=OpenApiTypes.OBJECT
    )
    def post(self, request):
        serializer = AlertmanagerNotificationSerializer(data=request.data)
        if not serializer.is_valid():
            logger.warning(
                "Refused an Alertmanager notification: %s", serializer.errors
            )
            serializer.is_valid(raise_exception=True)

        outcome = alert_services.receive_notification(
            notification=serializer.to_notification(), actor=request.user
        )
        incident = outcome.incident
        body = {
            "incident": incident.key if incident else None,
            "id": incident.pk if incident else None,
            "status": incident.status if incident else None,
            "created": outcome.created,
            "recorded": outcome.recorded,
        }
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return Response(body, status=code)
