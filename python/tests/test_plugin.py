"""The pytest plugin, run as a user runs it: pytest -n 4 over a suite of
400 tests that each lease 3 ports and bind them while the others run."""
import json
import os
import subprocess
import sys

SUITE = r'''
import os, socket, pytest

@pytest.mark.parametrize("i", range(400))
def test_binds_its_ports(portalloc_ports, i):
    ports = portalloc_ports(3)
    assert len(set(ports)) == 3
    held = []
    for p in ports:
        s = socket.socket()
        s.bind(("127.0.0.1", p))   # EADDRINUSE here is a collision
        s.listen()
        held.append(s)
    for s in held:
        s.close()

def test_one_port(portalloc_port):
    assert 0 < portalloc_port < 65536

def test_owner_is_the_worker(portalloc_ports):
    import json, subprocess
    ports = portalloc_ports(1)
    out = subprocess.run([os.environ["PORTALLOC"], "list", "--json"],
                         capture_output=True, text=True, check=True).stdout
    mine = [l for l in json.loads(out) if l["port"] == ports[0]]
    assert mine and mine[0]["owner_pid"] == os.getpid()
'''


def run_pytest(tmp_path, *args):
    (tmp_path / "test_suite.py").write_text(SUITE)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                           "no:cacheprovider", *args, str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)


def test_400_tests_on_4_workers_never_collide(tmp_path):
    r = run_pytest(tmp_path, "-n", "4")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "402 passed" in r.stdout
    out = subprocess.run([os.environ["PORTALLOC"], "list", "--json"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []          # every fixture released its ports


def test_block_and_config_options(tmp_path):
    cfg = tmp_path / "other.ini"
    cfg.write_text("[block first]\nports = %s\n[block second]\nports = %s\n" %
                   tuple(os.environ["PORTALLOC_TEST_PORTS2"].split(" ")))
    (tmp_path / "test_opts.py").write_text(
        "def test_port(portalloc_port):\n"
        "    lo, hi = %s\n"
        "    assert lo <= portalloc_port <= hi\n" %
        repr(tuple(int(x) for x in os.environ["PORTALLOC_TEST_PORTS2"]
                   .split(" ")[1].split("-"))))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                        "no:cacheprovider", "--portalloc-config", str(cfg),
                        "--portalloc-block", "second",
                        str(tmp_path / "test_opts.py")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
