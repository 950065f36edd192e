"""Staff API for campaigns: ``/api/v1/campaigns/``.

Members get 403, anonymous callers 401 (token authentication first, as everywhere).
Each endpoint parses, calls one service, and answers the campaign with its progress.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from newsletters.models import Campaign
from newsletters.selectors import campaigns_for_staff
from newsletters.serializers import CampaignSendSerializer, CampaignSerializer
from newsletters.services import (
    CampaignStateError,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_send,
    campaign_update,
)


class CampaignPermission(BasePermission):
    """Staff with the model permission the method needs: view, add or change a campaign."""

    perms = {
        "GET": "newsletters.view_campaign",
        "HEAD": "newsletters.view_campaign",
        "OPTIONS": "newsletters.view_campaign",
        "POST": "newsletters.change_campaign",
        "PATCH": "newsletters.change_campaign",
        "PUT": "newsletters.change_campaign",
    }

    def has_permission(self, request: Request, view) -> bool:  # type: ignore[no-untyped-def]
        user = request.user
        perm = self.perms.get(request.method or "")
        if getattr(view, "action", None) == "create":
            perm = "newsletters.add_campaign"
        return bool(user and perm and user.has_perm(perm))


def _state(call) -> None:  # type: ignore[no-untyped-def]
    try:
        call()
    except CampaignStateError as exc:
        raise ValidationError({"detail": str(exc)}, code="invalid_state") from None


@extend_schema_view(
    list=extend_schema(summary="Campaigns, newest first (staff)"),
    retrieve=extend_schema(summary="A campaign with its progress counts (staff)"),
    create=extend_schema(summary="Write a draft campaign (staff)"),
    partial_update=extend_schema(summary="Change a draft or scheduled campaign (staff)"),
)
class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CampaignSerializer
    permission_classes = [IsAuthenticated, CampaignPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return campaigns_for_staff()

    def perform_create(self, serializer: CampaignSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = campaign_create(
            subject=data["subject"],
            body=data["body"],
            category=data.get("category", "newsletter"),
            created_by=self.request.user,
        )

    def perform_update(self, serializer: CampaignSerializer) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = campaign_update(
                campaign=serializer.instance,
                subject=data.get("subject"),
                body=data.get("body"),
                category=data.get("category"),
            )
        except CampaignStateError as exc:
            raise ValidationError({"detail": str(exc)}, code="invalid_state") from None

    def _answer(self, pk: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=pk)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Send now, or schedule with send_at (staff)",
        request=CampaignSendSerializer,
        responses=CampaignSerializer,
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: int) -> Response:
        campaign = self.get_object()
        params = CampaignSendSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        _state(
            lambda: campaign_send(campaign=campaign, send_at=params.validated_data.get("send_at"))
        )
        return self._answer(campaign.pk)

    @extend_schema(
        summary="Pause a sending campaign (staff)", request=None, responses=CampaignSerializer
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: int) -> Response:
        campaign = self.get_object()
        _state(lambda: campaign_pause(campaign=campaign))
        return self._answer(campaign.pk)

    @extend_schema(
        summary="Resume a paused campaign where it stopped (staff)",
        request=None,
        responses=CampaignSerializer,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: int) -> Response:
        campaign = self.get_object()
        _state(lambda: campaign_resume(campaign=campaign))
        return self._answer(campaign.pk)

    @extend_schema(
        summary="Cancel a campaign for good (staff)", request=None, responses=CampaignSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: int) -> Response:
        campaign = self.get_object()
        _state(lambda: campaign_cancel(campaign=campaign))
        return self._answer(campaign.pk)
