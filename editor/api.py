"""Staff API under /api/v1/: write, reorder, publish and unpublish series (thin views).

``series/`` and ``series/<slug>/`` are the library's own endpoints (``routines.api``),
extended here with POST and PATCH for editors: reading stays public. Everything else
is nested under its series, so a routine or step of another series is a 404. Every
write needs an editor (``editor.permissions.IsEditor``): 401 without credentials, 403
for members.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from editor.permissions import IsEditor, ReadOpenWriteEditor
from editor.serializers import (
    AuditEntrySerializer,
    OrderInputSerializer,
    PublishInputSerializer,
    RoutineInputSerializer,
    SeriesInputSerializer,
    StaffRoutineSerializer,
    StaffSeriesSerializer,
    StaffStepSerializer,
    StepInputSerializer,
)
from routines.api import SeriesDetail, SeriesList, field_errors
from routines.selectors import (
    routine_for_editing,
    series_for_editing,
    series_history,
    step_for_editing,
)
from routines.services import (
    routine_create,
    routine_delete,
    routine_update,
    routines_reorder,
    series_create,
    series_publish_at,
    series_unpublish,
    series_update,
    step_create,
    step_delete,
    step_update,
    steps_reorder,
)
from wellness.api import SafeJSONParser

REFUSED = {
    400: OpenApiResponse(description="Invalid input, or a rule of the workflow, in words."),
    401: OpenApiResponse(description="No or bad credentials."),
    403: OpenApiResponse(description="Not an editor."),
}
PARSERS = [SafeJSONParser, MultiPartParser, FormParser]


class ReadOpenAutoSchema(AutoSchema):
    """The schema of a view whose permission opens reading to everyone and keeps writing
    for some (drf-spectacular only knows ``AllowAny`` and ``IsAuthenticatedOrReadOnly``):
    its GET operations say that no credentials are needed."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        if self.method in permissions.SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


def _staff(series_slug: str, request: Request) -> dict[str, Any]:
    """The series as editors see it, fresh from the database."""
    series = series_for_editing(slug=series_slug)
    return StaffSeriesSerializer(series, context={"request": request}).data


class SeriesCollection(SeriesList):
    """Series you can see, by title; filter by body part, text and duration. Editors also
    see unpublished series, and POST creates one."""

    permission_classes = [ReadOpenWriteEditor]
    parser_classes = PARSERS
    required_perms = {"POST": ["routines.add_series"]}
    schema = ReadOpenAutoSchema()

    @extend_schema(
        request=SeriesInputSerializer,
        responses={201: StaffSeriesSerializer, **REFUSED},
        summary="Create a draft series (editors)",
        description="A new draft series: ``title`` and ``body_parts`` (slugs) are required; "
        "the slug is made from the title unless given. Send a cover as multipart/form-data.",
    )
    def post(self, request: Request) -> Response:
        serializer = SeriesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            series = series_create(actor=request.user, **serializer.validated_data)
        return Response(_staff(series.slug, request), status=status.HTTP_201_CREATED)


class SeriesResource(SeriesDetail):
    """One series with its routines and their steps, in order (editors also see
    unpublished series, and PATCH changes them)."""

    permission_classes = [ReadOpenWriteEditor]
    parser_classes = PARSERS
    schema = ReadOpenAutoSchema()

    @extend_schema(
        request=SeriesInputSerializer,
        responses={200: StaffSeriesSerializer, **REFUSED},
        summary="Change a series (editors)",
        description="Only the fields sent change, in any status (published ones too); the "
        "slug no longer changes once the series has been published. ``cover: null`` removes "
        "the cover.",
    )
    def patch(self, request: Request, slug: str) -> Response:
        series = series_for_editing(slug=slug)
        serializer = SeriesInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            series = series_update(actor=request.user, series=series, **serializer.validated_data)
        return Response(_staff(series.slug, request))


class SeriesPublish(APIView):
    """Publish now, or schedule for ``publish_at`` when it is in the future. Publishing a
    published series changes nothing. A series without a routine with a step: 400."""

    permission_classes = [IsEditor]

    @extend_schema(
        request=PublishInputSerializer,
        responses={200: StaffSeriesSerializer, **REFUSED},
        summary="Publish or schedule a series (editors)",
    )
    def post(self, request: Request, slug: str) -> Response:
        series = series_for_editing(slug=slug)
        serializer = PublishInputSerializer(data=request.data, zone=request.user.zone)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            series_publish_at(
                series=series,
                when=serializer.validated_data.get("publish_at"),
                actor=request.user,
            )
        return Response(_staff(slug, request))


class SeriesUnpublish(APIView):
    """Hide a published series again; members' logs are kept."""

    permission_classes = [IsEditor]

    @extend_schema(
        request=None,
        responses={200: StaffSeriesSerializer, **REFUSED},
        summary="Unpublish a series (editors)",
    )
    def post(self, request: Request, slug: str) -> Response:
        series = series_for_editing(slug=slug)
        with field_errors():
            series_unpublish(series=series, actor=request.user)
        return Response(_staff(slug, request))


class SeriesHistory(ListAPIView):
    """The series' audit log, newest first."""

    permission_classes = [IsEditor]
    required_perms = {"GET": ["routines.view_auditentry"]}
    serializer_class = AuditEntrySerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        return series_history(series=series_for_editing(slug=self.kwargs["slug"]))


# --- Routines and steps ---------------------------------------------------------------


class RoutineCollection(APIView):
    """Add a routine at the end of the series."""

    permission_classes = [IsEditor]
    required_perms = {"POST": ["routines.add_routine"]}

    @extend_schema(
        request=RoutineInputSerializer,
        responses={201: StaffRoutineSerializer, **REFUSED},
        summary="Add a routine (editors)",
    )
    def post(self, request: Request, slug: str) -> Response:
        series = series_for_editing(slug=slug)
        serializer = RoutineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            routine = routine_create(actor=request.user, series=series, **serializer.validated_data)
        routine = routine_for_editing(series=series, routine_id=routine.pk)
        return Response(StaffRoutineSerializer(routine).data, status=status.HTTP_201_CREATED)


class RoutineOrder(APIView):
    """Put the series' routines in a new order (positions 1..n, one transaction)."""

    permission_classes = [IsEditor]
    required_perms = {"PUT": ["routines.change_routine"]}

    @extend_schema(
        request=OrderInputSerializer,
        responses={200: StaffRoutineSerializer(many=True), **REFUSED},
        summary="Reorder the routines of a series (editors)",
    )
    def put(self, request: Request, slug: str) -> Response:
        series = series_for_editing(slug=slug)
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            routines_reorder(
                actor=request.user, series=series, order=serializer.validated_data["order"]
            )
        fresh = series_for_editing(slug=slug).routines.all()
        return Response(StaffRoutineSerializer(fresh, many=True).data)


class RoutineResource(APIView):
    """One routine of the series: read, change, remove (the others close ranks)."""

    permission_classes = [IsEditor]
    required_perms = {
        "GET": ["routines.view_routine"],
        "PATCH": ["routines.change_routine"],
        "DELETE": ["routines.delete_routine"],
    }

    @extend_schema(responses={200: StaffRoutineSerializer, **REFUSED}, summary="A routine")
    def get(self, request: Request, slug: str, pk: int) -> Response:
        routine = routine_for_editing(series=series_for_editing(slug=slug), routine_id=pk)
        return Response(StaffRoutineSerializer(routine).data)

    @extend_schema(
        request=RoutineInputSerializer,
        responses={200: StaffRoutineSerializer, **REFUSED},
        summary="Change a routine (editors)",
    )
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        series = series_for_editing(slug=slug)
        routine = routine_for_editing(series=series, routine_id=pk)
        serializer = RoutineInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            routine_update(actor=request.user, routine=routine, **serializer.validated_data)
        return Response(
            StaffRoutineSerializer(routine_for_editing(series=series, routine_id=pk)).data
        )

    @extend_schema(responses={204: None, **REFUSED}, summary="Remove a routine (editors)")
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        routine = routine_for_editing(series=series_for_editing(slug=slug), routine_id=pk)
        with field_errors():
            routine_delete(actor=request.user, routine=routine)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StepCollection(APIView):
    """Add a step at the end of the routine."""

    permission_classes = [IsEditor]
    required_perms = {"POST": ["routines.add_step"]}

    @extend_schema(
        request=StepInputSerializer,
        responses={201: StaffStepSerializer, **REFUSED},
        summary="Add a step (editors)",
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        routine = routine_for_editing(series=series_for_editing(slug=slug), routine_id=pk)
        serializer = StepInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            step = step_create(actor=request.user, routine=routine, **serializer.validated_data)
        return Response(StaffStepSerializer(step).data, status=status.HTTP_201_CREATED)


class StepOrder(APIView):
    """Put the routine's steps in a new order (positions 1..n, one transaction)."""

    permission_classes = [IsEditor]
    required_perms = {"PUT": ["routines.change_step"]}

    @extend_schema(
        request=OrderInputSerializer,
        responses={200: StaffStepSerializer(many=True), **REFUSED},
        summary="Reorder the steps of a routine (editors)",
    )
    def put(self, request: Request, slug: str, pk: int) -> Response:
        routine = routine_for_editing(series=series_for_editing(slug=slug), routine_id=pk)
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            steps = steps_reorder(
                actor=request.user, routine=routine, order=serializer.validated_data["order"]
            )
        return Response(StaffStepSerializer(steps, many=True).data)


class StepResource(APIView):
    """One step of the routine: read, change, remove (the others close ranks)."""

    permission_classes = [IsEditor]
    required_perms = {
        "GET": ["routines.view_step"],
        "PATCH": ["routines.change_step"],
        "DELETE": ["routines.delete_step"],
    }

    def _step(self, slug: str, pk: int, step_pk: int) -> Any:
        routine = routine_for_editing(series=series_for_editing(slug=slug), routine_id=pk)
        return step_for_editing(routine=routine, step_id=step_pk)

    @extend_schema(responses={200: StaffStepSerializer, **REFUSED}, summary="A step")
    def get(self, request: Request, slug: str, pk: int, step_pk: int) -> Response:
        return Response(StaffStepSerializer(self._step(slug, pk, step_pk)).data)

    @extend_schema(
        request=StepInputSerializer,
        responses={200: StaffStepSerializer, **REFUSED},
        summary="Change a step (editors)",
    )
    def patch(self, request: Request, slug: str, pk: int, step_pk: int) -> Response:
        step = self._step(slug, pk, step_pk)
        serializer = StepInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            step = step_update(actor=request.user, step=step, **serializer.validated_data)
        return Response(StaffStepSerializer(step).data)

    @extend_schema(responses={204: None, **REFUSED}, summary="Remove a step (editors)")
    def delete(self, request: Request, slug: str, pk: int, step_pk: int) -> Response:
        step = self._step(slug, pk, step_pk)
        with field_errors():
            step_delete(actor=request.user, step=step)
        return Response(status=status.HTTP_204_NO_CONTENT)
