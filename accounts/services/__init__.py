"""Every write about members, one module per area; import from here.

members: profile, deletion, demo accounts. tokens: API tokens.
emails: preferences and suppression.
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
    user_delete,
    user_profile_update,
)
from accounts.services.tokens import (
    API_TOKEN_USE_INTERVAL,
    api_token_create,
    api_token_fingerprint_renew,
    api_token_revoke,
    api_token_use_record,
    api_tokens_revoke,
)

__all__ = [
    "API_TOKEN_USE_INTERVAL",
    "EMAIL_CATEGORIES",
    "api_token_create",
    "api_token_fingerprint_renew",
    "api_token_revoke",
    "api_token_use_record",
    "api_tokens_revoke",
    "demo_accounts_ensure",
    "email_category_set",
    "email_preferences_update",
    "email_resubscribe",
    "email_suppress",
    "email_suppression_resume",
    "email_unsubscribe",
    "email_unsuppress",
    "user_delete",
    "user_profile_update",
]
