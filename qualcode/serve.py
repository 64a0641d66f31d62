"""``qualcode serve``: the coding workbench in a web browser, through textual-serve.

Each browser tab that opens the page starts its own workbench process (the same app as
``qualcode tui``) on the project, and the page shows that process's screen in a terminal
drawn by xterm.js. Everything the page loads comes from this server: textual-serve's own
page links a web font from the internet, so it is replaced by :data:`TEMPLATE`, which loads
the same font from textual-serve's package.

Interviews are private: the server listens on 127.0.0.1 unless told otherwise, and then
answers only requests that name it as ``localhost`` (so a web page cannot reach it through
a DNS name it rebinds to this machine). On any other address it answers only requests that
carry the token it creates at start, in the URL it prints or in the cookie the first page
sets. A browser tab of another site can never drive the workbench: the websocket must come
from a page of this server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web
from textual_serve.server import Server, to_int

from .errors import ServeError

TEMPLATE = Path(__file__).parent / "data" / "serve" / "app_index.html"
"""The page that holds the terminal (a copy of textual-serve's, with the font served here)."""

TOKEN_COOKIE = "qualcode_token"
LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
REFUSED = (
    "403: this qualcode server needs the token from the address it printed when it "
    "started (…/?token=…)\n此 qualcode 服务器只接受启动时打印的网址（含 token）。\n"
)
FOREIGN = (
    "403: this qualcode server answers only pages it served itself\n"
    "此 qualcode 服务器只接受它自己页面的连接。\n"
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this
    machine's loopback: 127.0.0.0/8, ::1 or localhost."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def workbench_command(project: Path, *, lang: str | None = None, coder: str | None = None) -> str:
    """The shell command that opens the workbench on ``project`` with this Python, quoted for
    this system's shell (textual-serve starts it through the shell; a path may hold spaces
    and Chinese characters)."""
    argv = [sys.executable, "-m", "qualcode", "tui", str(project)]
    if lang:
        argv += ["--lang", lang]
    if coder:
        argv += ["--coder", coder]
    return subprocess.list2cmdline(argv) if os.name == "nt" else shlex.join(argv)


class WorkbenchServer(Server):
    """textual-serve's server with qualcode's page, the token check and the origin check.

    ``token`` is required of every request when given; :func:`serve_project` gives one
    whenever ``host`` is not a loopback address."""

    def __init__(
        self, command: str, *, host: str, port: int, title: str, token: str | None
    ) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.token = token
        self.loopback_only = is_loopback(host)
        self._sockets: set[web.WebSocketResponse] = set()  # one per open workbench

    @property
    def url(self) -> str:
        """The address to open in a browser (with the token when one is needed)."""
        host = self.host
        if host in ("", "0.0.0.0", "::"):  # every interface: name the machine
            host = socket.gethostname()
        elif ":" in host:
            host = f"[{host}]"
        query = f"?token={self.token}" if self.token else ""
        return f"http://{host}:{self.port}/{query}"

    # --- the aiohttp application -------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATE.parent))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                # The page's script appends "?width=…" to the websocket's address, so the token
                # rides in its path.
                web.get("/ws/{token}", self.handle_websocket, name="websocket_token"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        return app

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Refuse what must not reach the workbench; remember a good token in a cookie."""
        if self.loopback_only and not is_loopback(request.url.host or ""):
            raise web.HTTPForbidden(text=FOREIGN)  # a DNS name rebound to 127.0.0.1
        if request.path.startswith("/ws") and not self._same_origin(request):
            raise web.HTTPForbidden(text=FOREIGN)
        if self.token is not None:
            given = (
                request.query.get("token")
                or request.match_info.get("token")
                or request.cookies.get(TOKEN_COOKIE)
                or ""
            )
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                raise web.HTTPForbidden(text=REFUSED)
        response = await handler(request)
        if self.token is not None and request.path == "/":
            # The page's stylesheet, script and font are fetched without the query.
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    @staticmethod
    def _same_origin(request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:  # not a browser: no page of another site behind it
            return True
        return urlsplit(origin).netloc.lower() == request.host.lower()

    @aiohttp_jinja2.template(TEMPLATE.name)
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, with addresses relative to the one the browser used (a server bound to
        0.0.0.0 is reached by the machine's name)."""
        scheme = "wss" if request.secure else "ws"
        path = f"/ws/{self.token}" if self.token else "/ws"
        return {
            "title": self.title,
            "static_url": "/static/",
            "websocket_url": f"{scheme}://{request.host}{path}",
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
        }

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: Any) -> None:
        self._sockets.add(websocket)
        try:
            await super()._process_messages(websocket, app_service)
        finally:
            self._sockets.discard(websocket)

    # --- running -------------------------------------------------------------------------

    def run(self, ready: Callable[[str], None]) -> None:
        """Listen until Ctrl+C (or SIGTERM where there are signals); call ``ready`` with the
        address to open once the port is bound. Raises :class:`ServeError` when it cannot
        listen."""
        try:
            asyncio.run(self._run(ready))
        except KeyboardInterrupt:
            pass

    async def _run(self, ready: Callable[[str], None]) -> None:
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        stop = asyncio.Event()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            try:
                await site.start()
            except OSError as error:
                raise ServeError(
                    f"cannot listen on {self.host}:{self.port}: "
                    f"{error.strerror or error}; choose another port with "
                    "--port"
                ) from None
            try:  # POSIX only; on Windows Ctrl+C arrives as KeyboardInterrupt
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            except (NotImplementedError, AttributeError):
                pass
            ready(self.url)
            await stop.wait()
        finally:
            # Closing each tab's websocket quits its workbench (every coding was committed
            # when made); aiohttp alone would wait for the sockets' heartbeats first.
            for websocket in list(self._sockets):
                await websocket.close(code=WSCloseCode.GOING_AWAY)
            await runner.cleanup()


def serve_project(
    project: Path | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    lang: str | None = None,
    coder: str | None = None,
) -> WorkbenchServer:
    """A server for the workbench on ``project`` (default: the sample study, prepared here
    first so that two tabs never both build it). A host other than loopback gets a fresh
    token. The project is opened once now, so a wrong folder fails here, not in the browser."""
    from .settings import home
    from .store import Project
    from .study import open_sample_project

    if project is None:
        folder = home() / "sample-study"
        opener = open_sample_project
    else:
        folder, opener = project, Project.open
    with opener(folder) as opened:
        name = opened.name
        folder = opened.folder.resolve()
    token = None if is_loopback(host) else secrets.token_urlsafe(24)
    return WorkbenchServer(
        workbench_command(folder, lang=lang, coder=coder),
        host=host,
        port=port,
        title=f"qualcode · {name}",
        token=token,
    )
