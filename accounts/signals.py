"""Keep the cached users (``accounts.backends``: by session and by API token) in step."""

from typing import Any

from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from accounts.backends import token_cache_drop, user_cache_drop, written_ahead_forget
from accounts.models import User
from accounts.sessions import read_with_session_forget


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    user_cache_drop(instance.pk)


@receiver(post_save, sender=Token, dispatch_uid="accounts.token_saved")
@receiver(post_delete, sender=Token, dispatch_uid="accounts.token_deleted")
def token_changed(sender: type[Token], instance: Token, **kwargs: Any) -> None:
    token_cache_drop(instance.key)


request_started.connect(read_with_session_forget, dispatch_uid="accounts.read_with_session")
request_started.connect(written_ahead_forget, dispatch_uid="accounts.written_ahead")
request_finished.connect(written_ahead_forget, dispatch_uid="accounts.written_ahead_settled")
