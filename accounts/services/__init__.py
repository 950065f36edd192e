"""Every write about members, one module per area; import from here.

members: profile, deletion, API tokens. emails: preferences and suppression.
"""

from accounts.services.emails import (
    EMAIL_CATEGORIES,
    email_category_set,
    email_preferences_update,
    email_resubscribe,
    email_suppress,
    email_suppression_resume,
    email_unsubscribe,
    email_unsuppress,
)
from accounts.services.members import (
    demo_accounts_ensure,
    user_api_token,
    user_delete,
    user_profile_update,
)

__all__ = [
    "EMAIL_CATEGORIES",
    "demo_accounts_ensure",
    "email_category_set",
    "email_preferences_update",
    "email_resubscribe",
    "email_suppress",
    "email_suppression_resume",
    "email_unsubscribe",
    "email_unsuppress",
    "user_api_token",
    "user_delete",
    "user_profile_update",
]
