"""portalloc.get / release / lease / serve against the real CLI."""
import json
import os
import socket
import subprocess
import sys

import pytest

import portalloc


def leases():
    out = subprocess.run([os.environ["PORTALLOC"], "list", "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_get_returns_distinct_ports_owned_by_this_process():
    ports = portalloc.get(3, tag="t1")
    assert len(set(ports)) == 3
    mine = {l["port"]: l for l in leases()}
    assert sorted(mine) == sorted(ports)
    assert all(l["owner_pid"] == os.getpid() for l in mine.values())
    assert all(l["tag"] == "t1" for l in mine.values())
    portalloc.release(ports)
    assert leases() == []


def test_two_gets_never_share_a_port():
    a = portalloc.get(5)
    b = portalloc.get(5)
    assert not set(a) & set(b)


def test_lease_context_releases_even_on_error():
    with pytest.raises(RuntimeError):
        with portalloc.lease(2) as ports:
            assert len(leases()) == 2
            raise RuntimeError(ports)
    assert leases() == []


def test_full_block_raises_with_exit_code_and_message(private_store):
    private_store.write_text("[block tiny]\nports = %s\n" %
                             os.environ["PORTALLOC_TEST_PORTS"].split("-")[0])
    portalloc.get(1)
    with pytest.raises(portalloc.PortallocError) as e:
        portalloc.get(1)
    assert e.value.code == portalloc.EXIT_FULL
    assert "tiny" in e.value.message


def test_bad_config_raises_78(private_store):
    private_store.write_text("[block x]\nports = nonsense\n")
    with pytest.raises(portalloc.PortallocError) as e:
        portalloc.get(1)
    assert e.value.code == 78
    assert "portalloc.ini:2" in e.value.message


def test_missing_binary_raises_127(monkeypatch):
    monkeypatch.setenv("PORTALLOC", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(portalloc.PortallocError) as e:
        portalloc.get(1)
    assert e.value.code == 127


def test_leases_die_with_their_owner():
    child = subprocess.run(
        [sys.executable, "-c", "import portalloc; print(portalloc.get(2))"],
        capture_output=True, text=True, check=True)
    assert child.stdout.strip()
    # the child is gone: gc reclaims its leases, and get may reuse them
    subprocess.run([os.environ["PORTALLOC"], "gc"], check=True,
                   capture_output=True)
    assert leases() == []


SERVER = r"""
import os, socket, sys
n = int(os.environ["LISTEN_FDS"])
assert int(os.environ["LISTEN_PID"]) == os.getpid()
socks = [socket.socket(fileno=3 + i) for i in range(n)]
print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
conn, _ = socks[0].accept()
conn.sendall(b"hello")
conn.close()
"""


def test_serve_hands_bound_sockets_to_the_command():
    with portalloc.serve([sys.executable, "-c", SERVER], count=2,
                         stdout=subprocess.PIPE, text=True) as srv:
        assert len(srv.ports) == 2
        said = sorted(int(p) for p in srv.process.stdout.readline().split())
        assert said == srv.ports
        with socket.create_connection(("127.0.0.1", said[0])) as c:
            assert c.recv(5) == b"hello"
        assert srv.process.wait() == 0
    assert leases() == []
