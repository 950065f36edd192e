"""The ceiling and the three floors ``bench/members.py`` measures the product against.

Each floor is the least a product endpoint of its kind must do, through the product's
full settings and middleware: what is left between a floor and its endpoint is the
product's own work.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.models import FloorWrite


def ceiling(request: HttpRequest) -> JsonResponse:
    """Bare Django: a constant JSON answer (the middleware runs, nothing reads the session)."""
    return JsonResponse({"ok": True, "service": "kneadful"})


@login_required
def floor_page(request: HttpRequest) -> HttpResponse:
    """A signed-in page: session, user, CSRF token (the header's logout form), messages and
    a template that only extends ``base.html``."""
    return render(request, "bench/floor_page.html")


class FloorApi(APIView):
    """The project's default authentication and permission classes, a constant answer."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True, "service": "kneadful"})


class FloorWriteView(APIView):
    """The same, plus one ORM insert into the bench's own table."""

    def post(self, request: Request) -> Response:
        row = FloorWrite.objects.create(user_id=request.user.pk)
        return Response({"id": row.pk}, status=status.HTTP_201_CREATED)
