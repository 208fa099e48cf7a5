"""The simulator as its own WSGI application: its URLs and one middleware, none of the portal's."""

from __future__ import annotations

import os

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler


class SimulatorHandler(WSGIHandler):
    """Serves only portal.simulator.urls; sessions, CSRF, login and CSP are the portal's, not Telnyx's."""

    def load_middleware(self, is_async=False):
        from portal.simulator.middleware import SimulatorMiddleware

        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(
            SimulatorMiddleware(convert_exception_to_response(self._get_response))
        )

    def get_response(self, request):
        response = super().get_response(request)
        if getattr(response, "drop_connection", False):
            # Fault injection: the write is committed, and the client never hears back.
            from portal.simulator.middleware import ConnectionDropped

            response.close()
            raise ConnectionDropped(request.path)
        return response


def get_simulator_application() -> SimulatorHandler:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup(set_prefix=False)
    return SimulatorHandler()
