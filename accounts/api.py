from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.selectors import api_tokens_for
from accounts.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    MeSerializer,
    TokenRequestSerializer,
)
from accounts.services import api_token_create, api_token_revoke, user_profile_update


class TokenView(APIView):
    """Exchange the email and password of a verified account for a new, named API token.

    The key is in this answer only. Failed attempts count against the same limits as the
    login form: while the account or address is locked, the answer is 429.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            201: ApiTokenCreatedSerializer,
            400: OpenApiResponse(description="Wrong credentials, or an unconfirmed email."),
            429: OpenApiResponse(description="Too many failed login attempts: try again later."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(
            user=serializer.validated_data["user"], name=serializer.validated_data.get("name", "")
        )
        data = {"token": key, "id": token.pk, "name": token.name, "created_at": token.created_at}
        return Response(ApiTokenCreatedSerializer(data).data, status=status.HTTP_201_CREATED)


class TokenListView(generics.ListAPIView):
    """The member's API tokens that still work, newest first (never the keys)."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return ApiToken.objects.none()
        return api_tokens_for(user=self.request.user)


class TokenDetailView(APIView):
    """Revoke one of the member's own tokens (another member's id is 404)."""

    @extend_schema(responses={204: None, 404: OpenApiResponse(description="No such token.")})
    def delete(self, request: Request, pk: int) -> Response:
        if not api_token_revoke(user=request.user, token_id=pk):
            raise NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in member's profile."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            user = user_profile_update(user=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            raise ValidationError(detail) from None
        return Response(MeSerializer(user).data)
