"""REST API v1 of the library, the member's session logs and progress: thin views."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from routines.filters import SeriesFilter
from routines.models import BodyPart, RestDay, SessionLog
from routines.selectors import (
    favourite_series_ids,
    member_has_acknowledged,
    member_local_today,
    member_stats_json,
    practice_plan_for,
    routine_for_player,
    series_detail_for,
    series_search,
    series_visible_to,
    session_log_for,
    session_logs_for,
)
from routines.serializers import (
    BodyPartSerializer,
    FavouriteRequestSerializer,
    MemberStatsSerializer,
    PracticePlanSerializer,
    RestDaySerializer,
    RoutineDetailSerializer,
    SeriesDetailSerializer,
    SeriesSerializer,
    SessionLogSerializer,
    SessionLogUpdateSerializer,
    StatsQuerySerializer,
)
from routines.services import (
    favourite_set,
    practice_plan_update,
    rest_day_mark,
    safety_acknowledge,
    session_log_create,
    session_log_delete,
    session_log_update,
)

__all__ = ["field_errors"]  # shared with the editor's API


@contextlib.contextmanager
def field_errors() -> Iterator[None]:
    """A service's ValidationError becomes a 400 with the same field messages."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        raise ValidationError(detail) from None


# --- Library (public: published series for everyone, editors also see unpublished ones) ------


class BodyPartList(generics.ListAPIView):
    """Body parts, in the library's order."""

    permission_classes = [permissions.AllowAny]
    serializer_class = BodyPartSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[BodyPart]:
        return BodyPart.objects.order_by("position", "name")


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "max_minutes",
                {"type": "integer", "minimum": 1, "maximum": 1000},
                description="Only series estimated at most this long.",
            )
        ]
    )
)
class SeriesList(generics.ListAPIView):
    """Series you can see, by title; filter by body part, text and duration."""

    permission_classes = [permissions.AllowAny]
    serializer_class = SeriesSerializer
    filterset_class = SeriesFilter

    def get_queryset(self) -> QuerySet:
        return series_search(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "favourite_ids": favourite_series_ids(user=self.request.user),
        }


class SeriesDetail(generics.RetrieveAPIView):
    """One series with its routines and their steps, in order."""

    permission_classes = [permissions.AllowAny]
    serializer_class = SeriesDetailSerializer
    lookup_field = "slug"

    def get_object(self) -> Any:
        return series_detail_for(user=self.request.user, slug=self.kwargs["slug"])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        series = self.get_object()
        context = {"request": request, "view": self}
        if request.user.is_authenticated:
            context["favourite_ids"] = favourite_series_ids(user=request.user)
            context["acknowledged"] = member_has_acknowledged(user=request.user, series=series)
        return Response(SeriesDetailSerializer(series, context=context).data)


class RoutineDetail(generics.RetrieveAPIView):
    """One routine of a visible series, with its steps in order."""

    permission_classes = [permissions.AllowAny]
    serializer_class = RoutineDetailSerializer

    def get_object(self) -> Any:
        return routine_for_player(user=self.request.user, routine_id=self.kwargs["pk"])


class SafetyAcknowledgementView(APIView):
    """Confirm a series' contraindication checklist (once is enough; repeats are harmless)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, slug: str) -> Response:
        series = get_object_or_404(series_visible_to(request.user), slug=slug)
        safety_acknowledge(user=request.user, series=series)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- The member's session logs -----------------------------------------------------------------


class SessionLogList(generics.ListCreateAPIView):
    """Your sessions, newest first. POST logs one; a repeated ``client_id`` answers 200
    with the log already stored (201 the first time)."""

    serializer_class = SessionLogSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[SessionLog]:
        return session_logs_for(user=self.request.user)

    @extend_schema(
        responses={
            201: SessionLogSerializer,
            200: OpenApiResponse(SessionLogSerializer, "The log with this client_id, unchanged."),
        }
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            log, created = session_log_create(user=request.user, **serializer.validated_data)
        serializer.instance = log  # reuse the bound fields to render the answer
        return Response(
            serializer.data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SessionLogDetail(generics.RetrieveUpdateDestroyAPIView):
    """One of your sessions; another member's id answers 404."""

    serializer_class = SessionLogSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self) -> SessionLog:
        return session_log_for(user=self.request.user, log_id=self.kwargs["pk"])

    @extend_schema(request=SessionLogUpdateSerializer, responses=SessionLogSerializer)
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        log = self.get_object()
        serializer = SessionLogUpdateSerializer(
            log, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        with field_errors():
            log = session_log_update(user=request.user, log=log, **serializer.validated_data)
        return Response(self.get_serializer(log).data)

    def perform_destroy(self, instance: SessionLog) -> None:
        session_log_delete(user=self.request.user, log=instance)


# --- Progress, rest and plan ---------------------------------------------------------------------


class MemberStatsView(APIView):
    """Your progress: streaks, this week and month, per body part, the last 12 weeks."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "include",
                OpenApiTypes.STR,
                enum=StatsQuerySerializer.INCLUDES,
                description="include=heatmap adds one entry per day of the last 12 months; "
                "any other value is a 400.",
            )
        ],
        responses=MemberStatsSerializer,
    )
    def get(self, request: Request) -> Response:
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        heatmap = "heatmap" in query.validated_data["include"]
        figures = member_stats_json(user=request.user, heatmap=heatmap)
        return Response(_in_documented_order(figures))


def _documented_order(serializer_class: type) -> dict[str, Any]:
    """Field name -> the order of its items' fields (a list of objects) or None."""
    order = {}
    for name, field in serializer_class._declared_fields.items():
        child = getattr(field, "child", None)
        nested = getattr(child, "_declared_fields", None) is not None
        order[name] = _documented_order(type(child)) if nested else None
    return order


_STATS_ORDER = _documented_order(MemberStatsSerializer)


def _in_documented_order(data: dict[str, Any], order: dict[str, Any] = _STATS_ORDER) -> dict:
    """The figures in ``MemberStatsSerializer``'s order (and their lists' objects in their
    serializers'), whether just computed or read from the stored snapshot: jsonb keeps
    keys in an order of its own."""
    return {
        name: data[name]
        if items is None
        else [_in_documented_order(item, items) for item in data[name]]
        for name, items in order.items()
        if name in data
    }


class RestDayList(generics.ListCreateAPIView):
    """Your rest days, newest first. POST marks a day (today by default) as rest:
    it keeps your streak, up to your plan's number of rest days a week."""

    serializer_class = RestDaySerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[RestDay]:
        return RestDay.objects.filter(user=self.request.user).order_by("-local_date")

    @extend_schema(responses={201: RestDaySerializer, 200: RestDaySerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        local_date = serializer.validated_data.get("local_date")
        with field_errors():
            rest, created = rest_day_mark(
                user=request.user,
                local_date=local_date or member_local_today(user=request.user),
            )
        return Response(
            RestDaySerializer(rest).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PracticePlanView(APIView):
    """Your planned rest weekdays and how many 'rest today' marks a week you allow."""

    @extend_schema(responses=PracticePlanSerializer)
    def get(self, request: Request) -> Response:
        return Response(PracticePlanSerializer(practice_plan_for(user=request.user)).data)

    @extend_schema(request=PracticePlanSerializer, responses=PracticePlanSerializer)
    def patch(self, request: Request) -> Response:
        current = practice_plan_for(user=request.user)
        serializer = PracticePlanSerializer(current, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {
            "rest_weekdays": current.rest_weekdays,
            "rest_days_per_week": current.rest_days_per_week,
            **serializer.validated_data,
        }
        with field_errors():
            plan = practice_plan_update(user=request.user, **values)
        return Response(PracticePlanSerializer(plan).data)


class FavouriteList(generics.ListCreateAPIView):
    """Your favourite series. POST {"series": slug} adds one (repeats are harmless)."""

    serializer_class = SeriesSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return series_search(user=self.request.user).filter(favourited_by__user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "favourite_ids": _AllIds()}

    @extend_schema(request=FavouriteRequestSerializer, responses={201: SeriesSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = FavouriteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        series = series_visible_to(request.user).filter(slug=serializer.validated_data["series"])
        series = series.first()
        if series is None:
            raise ValidationError({"series": ["No series with this slug."]})
        favourite_set(user=request.user, series=series, favourite=True)
        context = {**self.get_serializer_context(), "favourite_ids": {series.pk}}
        return Response(SeriesSerializer(series, context=context).data, status=201)


class FavouriteDetail(APIView):
    """Remove a series from your favourites."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, slug: str) -> Response:
        series = get_object_or_404(series_visible_to(request.user), slug=slug)
        favourite_set(user=request.user, series=series, favourite=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _AllIds:
    """Every series in the favourites list is a favourite."""

    def __contains__(self, item: object) -> bool:
        return True
