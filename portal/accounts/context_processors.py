"""Template context for the top bar: the team switcher."""

from __future__ import annotations

from portal.accounts import selectors


def teams(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    # Lazy: pages that never render the top bar (PDFs, fragments) pay no query.
    return {
        "current_team": getattr(request, "team", None),
        "team_access": getattr(request, "team_access", None),
        "my_memberships": lambda: list(selectors.membership_list_for_user(user=user)),
        # For the side navigation's active item.
        "url_name": match.url_name if match else "",
        "app_name": match.app_name if match else "",
    }
