"""A TCP proxy for outage tests: forwards to a server, and can fail in two ways on demand.

- reset(): every open connection is closed with a TCP reset, and new ones are reset as
  they arrive (a database that crashed or restarted);
- drop(): nothing is forwarded any more, and nothing is closed either: bytes are held,
  new connections are accepted and never answered (a network that silently loses packets);
- restore(): back to forwarding (held bytes go on).
"""

import contextlib
import socket
import struct
import threading

FORWARD, RESET, DROP = "forward", "reset", "drop"


def _abort(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode = FORWARD
        self._changed = threading.Condition()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _set(self, mode: str) -> None:
        with self._changed:
            self.mode = mode
            self._changed.notify_all()

    def reset(self) -> None:
        self._set(RESET)
        with self._changed:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _abort(sock)

    def drop(self) -> None:
        self._set(DROP)

    def restore(self) -> None:
        self._set(FORWARD)

    def close(self) -> None:
        self._closed = True
        self.reset()
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == RESET:
                _abort(client)
                continue
            with self._changed:
                self._sockets.append(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _hold_while_dropping(self) -> bool:
        """Wait out a drop; False if the proxy resets instead."""
        with self._changed:
            self._changed.wait_for(lambda: self.mode != DROP)
            return self.mode == FORWARD

    def _connect(self, client: socket.socket) -> None:
        if not self._hold_while_dropping():
            return
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            _abort(client)
            return
        with self._changed:
            self._sockets.append(upstream)
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self._hold_while_dropping():
                    return
                sink.sendall(data)
        except OSError:
            return
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
