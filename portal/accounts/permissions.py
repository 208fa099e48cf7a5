"""The team_view decorator: resolves /t/<team_slug>/… to a team the user may see, or 404/403."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

from portal.accounts import selectors, services
from portal.accounts.models import Role

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_TEAM_KEY = "current_team"


def team_view(view=None, *, role: str = Role.VIEWER, write_role: str = Role.MEMBER):
    """Scope a view to the team in its URL.

    * not a member (and not support): 404, so team names cannot be probed;
    * below `role`: 403; unsafe methods below `write_role`: 403 (viewers never write);
    * support agents read every team, never write, and each request they make is audit-logged.
    The view receives `request.team` and `request.team_access`.
    """

    def decorator(func):
        @wraps(func)
        def wrapped(request, team_slug: str, *args, **kwargs):
            access = selectors.team_access(user=request.user, slug=team_slug)
            unsafe = request.method not in SAFE_METHODS
            if not access.has_role(role) or (
                unsafe and not (access.can_write and access.has_role(write_role))
            ):
                raise PermissionDenied
            if access.is_support_only:
                # Every request, fragments included: the HX-Request header is the client's to set.
                services.support_view_record(user=request.user, team=access.team, request=request)
            request.team = access.team
            request.team_access = access
            request.session[SESSION_TEAM_KEY] = access.team.slug
            return func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
