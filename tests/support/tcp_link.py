"""`TcpLink(host, port)`: a TCP forwarder on a port of its own, in front of a real server (a
database), that a test cuts and mends: `cut()` ends every connection through it and refuses new
ones, as a database host that went away; `mend()` listens again on the same port.

It runs in a process of its own (`python -m tests.support.tcp_link PORT HOST TARGET_PORT`): the
test process is patched by eventlet, where closing sockets under green threads' feet leaves the
hub waiting on file numbers that the next connection reuses. Killing the process cuts cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.infrastructure import ends_with_this_process, free_port

REPO = Path(__file__).resolve().parents[2]


class TcpLink:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._process: subprocess.Popen | None = None
        self.mend()

    def mend(self) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.tcp_link",
                str(self.port),
                *map(str, self.target),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=ends_with_this_process,
        )
        assert self._process.stdout.readline().strip() == "ready"

    def cut(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve(port: int, target: tuple[str, int]) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(50):  # the port of a link just cut may take a moment to be free again
        try:
            listener.bind(("127.0.0.1", port))
            break
        except OSError:
            time.sleep(0.1)
    listener.listen(16)
    print("ready", flush=True)
    while True:
        client, _address = listener.accept()
        try:
            server = socket.create_connection(target)
        except OSError:
            client.close()
            continue
        for source, sink in ((client, server), (server, client)):
            threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), (sys.argv[2], int(sys.argv[3])))
