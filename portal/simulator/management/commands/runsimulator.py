"""Serve the bundled Telnyx API simulator (threaded), with its vetting autopilot."""

from __future__ import annotations

import socketserver
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.servers import basehttp
from django.db import close_old_connections

from portal.simulator import services
from portal.simulator.middleware import ConnectionDropped
from portal.simulator.wsgi import SimulatorHandler


class _ServerHandler(basehttp.ServerHandler):
    def handle_error(self):
        if isinstance(sys.exc_info()[1], ConnectionDropped):
            # Say nothing and hang up: the client sees a dropped connection after the write.
            self.request_handler.close_connection = True
            return
        super().handle_error()


class _RequestHandler(basehttp.WSGIRequestHandler):
    def handle_one_request(self):
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ())
        handler.request_handler = self
        handler.run(self.server.get_app())


class _Server(socketserver.ThreadingMixIn, basehttp.WSGIServer):
    daemon_threads = True


class Command(BaseCommand):
    help = (
        "Serve the Telnyx API simulator on 127.0.0.1 (threaded); --autopilot moves vetting along by itself."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default=None, help="Address to bind (default SIMULATOR_HOST, 127.0.0.1)."
        )
        parser.add_argument("--port", type=int, default=None, help="Port (default SIMULATOR_PORT, 8765).")
        parser.add_argument(
            "--autopilot",
            action="store_true",
            default=None,
            help="Move submitted DIRs and batches through review by the documented rules.",
        )
        parser.add_argument("--no-autopilot", dest="autopilot", action="store_false")
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between autopilot steps.")

    def handle(self, *args, host=None, port=None, autopilot=None, tick=1.0, **options):
        host = host or settings.SIMULATOR_HOST
        port = port or settings.SIMULATOR_PORT
        autopilot = settings.SIMULATOR_AUTOPILOT if autopilot is None else autopilot
        if autopilot:
            threading.Thread(target=self._autopilot, args=(tick,), name="autopilot", daemon=True).start()
        server = _Server((host, port), _RequestHandler)
        server.set_app(SimulatorHandler())
        self.stdout.write(
            f"Telnyx simulator on http://{host}:{server.server_port}/v2 (autopilot {'on' if autopilot else 'off'})"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    def _autopilot(self, tick: float) -> None:
        while True:
            try:
                services.autopilot_tick()
            except Exception:  # keep the loop alive; the next tick retries
                self.stderr.write("autopilot step failed; retrying")
            finally:
                close_old_connections()
            time.sleep(tick)
