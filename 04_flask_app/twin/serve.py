"""``python -m twin.serve ...``: uvicorn's own command line, with one fix for ``--workers``.

    python -m twin.serve --factory twin:create_app --host 127.0.0.1 --port 8001 --workers 2

takes every option of ``uvicorn``. The fix: with ``--workers 2`` or more, uvicorn binds the listening
socket itself and leaves its protocol number at 0; asyncio then does not switch off Nagle's algorithm
on the connections it accepts (it does so only for sockets that say IPPROTO_TCP), and on Linux every
request after the first on a kept-alive connection waits about 40 ms for the client's delayed ACK
(uvicorn issue #3149, open when this was written). A benchmark of ``uvicorn --workers 2`` then
measures that wait, not FastAPI. Setting TCP_NODELAY on the listening socket fixes it: the
connections accepted from it inherit the option. With one worker uvicorn lets asyncio build the
socket, which is right already.
"""

import socket

from uvicorn.config import Config
from uvicorn.main import main

_bind_socket = Config.bind_socket


def bind_socket_without_nagle(self: Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


if __name__ == "__main__":
    Config.bind_socket = bind_socket_without_nagle
    main()
