#!/usr/bin/env python3
"""A test server that takes its listening sockets from portalloc.

    portalloc exec --listen 2 -- python listen_server.py

portalloc binds the ports itself, so no other process can take them between
"this port is free" and "the server listens": there is no window at all.
It passes the sockets on the way the OS allows:

- Linux: as file descriptors 3, 4, ... with LISTEN_FDS, LISTEN_PID and
  LISTEN_FDNAMES (systemd socket activation; servers that support it need
  no change).
- Windows: as inherited socket handles, listed in PORTALLOC_LISTEN_HANDLES
  ("h0,h1,..."), in the order of PORTALLOC_PORT0, PORTALLOC_PORT1, ...
  Only these handles (and the standard ones) are inherited.  LISTEN_PID is
  portalloc's pid there, not the server's: check PORTALLOC_LISTEN_HANDLES
  instead.  On a block with `reserve = persistent`, this is the way to get
  a port of the reservation: a plain bind into it may be refused
  (WSAEACCES), while these sockets were bound through its token.

socket.socket(fileno=...) adopts a descriptor or handle and detects its
family and type.  (socket.fromshare() is for the other Windows way, data
from WSADuplicateSocket, which needs the server's pid before it starts;
portalloc does not use it.)

With --self-test the server connects to each of its sockets once and exits
0 when every connection was accepted.
"""
import os
import socket
import sys


def passed_sockets():
    """The listening sockets portalloc handed to this process, in order."""
    if os.name == "nt":
        handles = os.environ.get("PORTALLOC_LISTEN_HANDLES", "")
        return [socket.socket(fileno=int(h)) for h in handles.split(",") if h]
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    count = int(os.environ.get("LISTEN_FDS", "0"))
    return [socket.socket(fileno=3 + i) for i in range(count)]


def main():
    socks = passed_sockets()
    if not socks:
        sys.exit("listen_server: no sockets passed (run under "
                 "'portalloc exec --listen N')")
    for i, s in enumerate(socks):
        port = s.getsockname()[1]
        want = os.environ.get("PORTALLOC_PORT%d" % i)
        print("socket %d: port %d (PORTALLOC_PORT%d=%s)" % (i, port, i, want))
        if want is not None and int(want) != port:
            sys.exit("listen_server: socket %d is not on its port" % i)
    if "--self-test" not in sys.argv:
        serve(socks)
        return
    for s in socks:
        host = s.getsockname()[0]
        with socket.create_connection((host, s.getsockname()[1]), timeout=5):
            conn, _ = s.accept()
            conn.close()
    print("accepted %d" % len(socks))


def serve(socks):
    """Answers every connection on the first socket with one line."""
    while True:
        conn, peer = socks[0].accept()
        with conn:
            conn.sendall(b"hello from a passed socket\n")


if __name__ == "__main__":
    main()
