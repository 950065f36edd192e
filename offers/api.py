"""``/api/v1/offers/``: members list and redeem offers; editors create and change them.

One viewset, permissions per action: ``GET`` (list, retrieve) and ``POST …/redeem/`` for
any signed-in member; ``POST`` (create) needs ``offers.add_offer`` and ``PATCH``
``offers.change_offer``, both for staff. Anonymous callers get 401 (token authentication
first, as everywhere), members 403 on the editors' methods.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone as tz
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from offers.models import Offer
from offers.selectors import offer_for_member, offers_eligible_for, offers_for_staff
from offers.serializers import (
    OfferSerializer,
    OfferStaffSerializer,
    OfferUnavailableSerializer,
    RedemptionResultSerializer,
)
from offers.services import OfferUnavailable, offer_create, offer_redeem, offer_update
from offers.views import redeem_allowed, redeemed_message, unavailable_status


class OfferPermission(BasePermission):
    """Members read and redeem; writing needs the model permission (the Editors group)."""

    perms = {
        "create": "offers.add_offer",
        "update": "offers.change_offer",
        "partial_update": "offers.change_offer",
    }

    def has_permission(self, request: Request, view) -> bool:  # type: ignore[no-untyped-def]
        perm = self.perms.get(getattr(view, "action", None) or "")
        if perm is None:
            return True
        user = request.user
        return bool(user and user.has_perm(perm))


def _as_drf(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"detail": exc.messages})


@extend_schema_view(
    list=extend_schema(
        summary="Offers you may redeem now",
        description=(
            "Live offers whose audience includes you (all members; members who receive "
            "offers by email; or members whose current streak, in their own time zone, "
            "reaches the offer's `min_streak_days`), and those you already redeemed. "
            "`code` is null until you redeem the offer."
        ),
    ),
    retrieve=extend_schema(summary="One offer you may redeem (404 otherwise)"),
    create=extend_schema(
        summary="Create an offer (editors)",
        request=OfferStaffSerializer,
        responses={201: OfferStaffSerializer},
    ),
    partial_update=extend_schema(
        summary="Change an offer (editors)",
        description="Only the fields sent change. Setting `ends_at` to now ends the offer.",
        request=OfferStaffSerializer,
        responses={200: OfferStaffSerializer},
    ),
)
class OfferViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticated, OfferPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"\d+"
    queryset = Offer.objects.none()  # for the schema; each action reads through a selector

    def initial(self, request: Request, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().initial(request, *args, **kwargs)
        # Token clients are authenticated here, after the time-zone middleware ran:
        # naive date-times are read in the member's own zone, as on the pages.
        if request.user.is_authenticated:
            tz.activate(request.user.zone)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action in {"create", "update", "partial_update"}:
            return OfferStaffSerializer
        return OfferSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return offers_for_staff()

    def list(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        offers = offers_eligible_for(user=request.user)
        page = self.paginate_queryset(offers)
        serializer = OfferSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request: Request, pk: str) -> Response:  # type: ignore[override]
        offer = offer_for_member(user=request.user, offer_id=int(pk))
        if offer is None:
            raise NotFound(_("No offer for you here."))
        return Response(OfferSerializer(offer, context=self.get_serializer_context()).data)

    def perform_create(self, serializer: OfferStaffSerializer) -> None:
        try:
            serializer.instance = offer_create(
                created_by=self.request.user, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None

    def perform_update(self, serializer: OfferStaffSerializer) -> None:
        try:
            serializer.instance = offer_update(
                offer=serializer.instance, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None

    @extend_schema(
        summary="Redeem an offer",
        description=(
            "Records your redemption and answers the code: 201 the first time, 200 with the "
            "same code after. Outside the offer's window, beyond its limit or if you are not "
            "in its audience: 409 or 403 with `detail` saying why. Limited per member "
            "(`OFFERS_REDEEM_RATE`): 429 beyond it."
        ),
        request=None,
        responses={
            201: RedemptionResultSerializer,
            200: RedemptionResultSerializer,
            403: OpenApiResponse(OfferUnavailableSerializer, description="Not in the audience"),
            404: OpenApiResponse(description="No such offer"),
            409: OpenApiResponse(
                OfferUnavailableSerializer, description="Not started, ended or run out"
            ),
            429: OpenApiResponse(description="Too many attempts"),
        },
    )
    @action(detail=True, methods=["post"])
    def redeem(self, request: Request, pk: str) -> Response:
        if not redeem_allowed(request):
            raise Throttled(detail=_("Too many attempts. Wait a minute and try again."))
        try:
            result = offer_redeem(offer_id=int(pk), user=request.user)
        except Offer.DoesNotExist:
            raise NotFound(_("No offer for you here.")) from None
        except OfferUnavailable as exc:
            return Response(
                {"detail": str(exc), "code": exc.reason}, status=unavailable_status(exc)
            )
        data = {
            "offer": result.offer.pk,
            "code": result.code,
            "redeemed_at": result.redemption.redeemed_at,
            "created": result.created,
            "detail": redeemed_message(result),
        }
        return Response(
            RedemptionResultSerializer(data).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
