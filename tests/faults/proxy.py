"""A TCP proxy in front of PostgreSQL that, when armed, cuts the connection right after
forwarding a COMMIT: the server commits, the client never hears back."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class CommitCuttingProxy:
    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.cuts = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            cut = threading.Event()
            threading.Thread(target=self._pump, args=(client, server, cut, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, cut, False),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, cut: threading.Event,
              to_server: bool) -> None:
        try:
            while data := src.recv(65536):
                if cut.is_set():  # the server's answer to the COMMIT: dropped
                    break
                if to_server and b"COMMIT\x00" in data and self.armed.is_set():
                    self.armed.clear()
                    cut.set()
                    self.cuts += 1
                    dst.sendall(data)
                    time.sleep(0.2)  # the server commits; then the line goes dead
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self._stop = True
        self.listener.close()
