"""A TCP forwarder in front of PostgreSQL that a test can stop, restart and cut, in its own event loop.

The local PostgreSQL server is shared with other tests, so it must never be stopped. Pointing the
service at this proxy instead gives the same view from the service's side:

- `down()`: the listening socket closes and every open connection is reset, so new connections
  are refused, as when PostgreSQL is stopped;
- `up()`: the proxy listens again on the same port, as when PostgreSQL comes back;
- `drop_connections()`: open connections are reset but new ones are accepted, a network blip;
- `stall()`: new connections are accepted and then never answered, as when packets are dropped on
  the way or a compute hangs; `resume()` ends that, resetting the connections it held.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.engine import make_url

_CHUNK = 64 * 1024


@dataclass(eq=False, slots=True)
class _Link:
    """One client connection and the upstream connection it is forwarded to."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter

    def cut(self) -> None:
        """Reset both sides at once (RST, not FIN): the peer sees the connection die."""
        for writer in (self.client, self.upstream):
            writer.transport.abort()


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `upstream_host`:`upstream_port`; see the module's docstring."""

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.accepted = 0  # connections accepted since the proxy was made
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._held: set[asyncio.StreamWriter] = set()
        self._stalled = False

    @property
    def is_up(self) -> bool:
        return self._server is not None

    @property
    def open_connections(self) -> int:
        return len(self._links)

    def url_for(self, database_url: str) -> str:
        """`database_url` with its host and port replaced by the proxy's."""
        url = make_url(database_url).set(host=self.host, port=self.port)
        return url.render_as_string(hide_password=False)

    async def up(self) -> None:
        """Listen (again) on the proxy's port."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, self.host, self.port, reuse_address=True)

    async def down(self) -> None:
        """Stop listening and reset every open connection: from now on connections are refused."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        await self.drop_connections()

    def stall(self) -> None:
        """Accept new connections but never forward a byte of them (open ones carry on)."""
        self._stalled = True

    async def resume(self) -> None:
        """Forward new connections again; the ones held while stalled are reset."""
        self._stalled = False
        for writer in list(self._held):
            writer.transport.abort()

    def cut(self) -> None:
        """Reset every open connection now, without waiting: callable from synchronous code, such
        as an SQLAlchemy event hook, to cut a connection at an exact point of a transaction."""
        for link in list(self._links):
            link.cut()
        for writer in list(self._held):
            writer.transport.abort()

    async def drop_connections(self) -> None:
        """Reset every open connection, and wait until their forwarding has ended."""
        self.cut()
        handlers = list(self._handlers)
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=5)
            assert not pending, (
                f"{len(pending)} forwarding tasks did not end after their connections were cut"
            )

    async def close(self) -> None:
        await self.down()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        self.accepted += 1
        try:
            if self._stalled:
                await self._hold(client_reader, client_writer)
                return
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(
                    self.upstream_host, self.upstream_port
                )
            except OSError:
                client_writer.transport.abort()
                return
            link = _Link(client_writer, upstream_writer)
            if self._server is None:  # went down while this connection was being made
                link.cut()
                return
            self._links.add(link)
            try:
                await asyncio.gather(
                    _pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer)
                )
            finally:
                self._links.discard(link)
                link.cut()
        finally:
            self._handlers.discard(handler)

    async def _hold(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        """Read and discard what the client sends, answer nothing, until either side ends it."""
        self._held.add(client_writer)
        try:
            while await client_reader.read(_CHUNK):
                pass
        except OSError:
            pass
        finally:
            self._held.discard(client_writer)
            client_writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until this side ends: pass an orderly close on, reset on anything else."""
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
    except OSError:  # ConnectionResetError and friends
        writer.transport.abort()
    else:
        writer.close()


@asynccontextmanager
async def tcp_proxy(upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> AsyncIterator[TcpProxy]:
    """A running proxy, closed (and every connection through it reset) on the way out."""
    proxy = TcpProxy(upstream_host, upstream_port)
    await proxy.up()
    try:
        yield proxy
    finally:
        with contextlib.suppress(Exception):
            await proxy.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
