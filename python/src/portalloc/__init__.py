"""portalloc for Python: ports that no other job on the host gets.

A thin client of the installed ``portalloc`` command, which it runs with
``--format json``.  Why the CLI and not libportalloc through ctypes: the
command is the interface portalloc keeps stable (its JSON and its exit
codes are documented and tested), it works whatever libportalloc's ABI or
build options are, and a crash or a blocked lock in it cannot take the test
process down.  The cost is a process per call (a few milliseconds).

Leases are owned by the calling process (``os.getpid()``) unless ``owner``
says otherwise: they end when it exits, when released, or when their time
is up.  Every failure raises :class:`PortallocError` with portalloc's exit
code and message.
"""
import contextlib
import json
import os
import shutil
import subprocess
import time
import uuid

__all__ = ["PortallocError", "get", "release", "lease", "serve", "Server",
           "EXIT_FULL"]

#: The exit code (and PortallocError.code) when a block has no free ports.
EXIT_FULL = 69


class PortallocError(Exception):
    """A portalloc command failed: ``code`` is its exit code (69: no free
    ports; 78: configuration; 127: portalloc not found), ``message`` what
    it said on stderr, ``argv`` the command."""

    def __init__(self, code, message, argv):
        super().__init__("%s (exit %d)" % (message, code))
        self.code = code
        self.message = message
        self.argv = argv


def _executable():
    exe = os.environ.get("PORTALLOC") or shutil.which("portalloc")
    if not exe:
        raise PortallocError(127, "portalloc: command not found on PATH "
                             "(install it, or set $PORTALLOC)", ["portalloc"])
    return exe


def _argv(command, args, config):
    argv = [_executable(), command]
    if config:
        argv += ["-c", os.fspath(config)]
    return argv + list(args)


def _run(command, args, config=None):
    argv = _argv(command, args, config)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace")
    if proc.returncode != 0:
        msg = proc.stderr.strip() or "portalloc %s exited %d" % (
            command, proc.returncode)
        raise PortallocError(proc.returncode, msg, argv)
    return proc.stdout


def get(count=1, block=None, tag=None, ttl=None, *, owner=None, proto=None,
        consecutive=False, config=None):
    """Leases ``count`` ports (all or none) and returns them as ints.

    ``block`` names a block of the configuration (default: its first);
    ``ttl`` is a duration such as ``"30m"`` or ``"never"``; ``owner`` the
    pid whose exit ends the leases (default: this process)."""
    args = ["-n", str(count), "--format", "json",
            "--owner", str(owner if owner is not None else os.getpid())]
    if block:
        args += ["-b", block]
    if tag:
        args += ["--tag", tag]
    if ttl is not None:
        args += ["--ttl", str(ttl)]
    if proto:
        args += ["--proto", proto]
    if consecutive:
        args.append("--consecutive")
    return [lease["port"] for lease in json.loads(_run("get", args, config))]


def release(ports, *, config=None):
    """Ends the leases on ``ports``; a port without a lease is no error."""
    ports = [str(int(p)) for p in ports]
    if ports:
        _run("release", ports, config)


@contextlib.contextmanager
def lease(count=1, **kwargs):
    """``with lease(2) as ports:`` leases like :func:`get` and releases the
    ports when the block ends, however it ends."""
    ports = get(count, **kwargs)
    try:
        yield ports
    finally:
        release(ports, config=kwargs.get("config"))


class Server:
    """A command started by :func:`serve`: ``process`` (a subprocess.Popen
    of ``portalloc exec``) and the ``ports`` its listening sockets are on,
    in the order of its file descriptors 3, 4, ..."""

    def __init__(self, process, ports):
        self.process = process
        self.ports = ports

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()


def _leases_tagged(tag, config):
    out = _run("list", ["--tag", tag, "--json"], config)
    return sorted(json.loads(out), key=lambda lease: lease["created"])


def serve(argv, count=1, block=None, *, config=None, timeout=10.0,
          **popen_kwargs):
    """Runs ``argv`` under ``portalloc exec --listen count``: the command
    gets ``count`` TCP sockets already bound and listening at fds 3.. (the
    systemd way: LISTEN_FDS, LISTEN_PID), so no other process can take its
    ports between choosing and binding.  Returns a :class:`Server` once the
    leases exist; the leases end when the command does."""
    tag = "serve-%s" % uuid.uuid4().hex[:16]
    args = ["-n", str(count), "--listen", str(count), "--tag", tag]
    if block:
        args += ["-b", block]
    args += ["--"] + list(argv)
    proc = subprocess.Popen(_argv("exec", args, config), **popen_kwargs)
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        found = _leases_tagged(tag, config)
        if len(found) >= count:
            ports = [lease["port"] for lease in found]
            return Server(proc, sorted(ports))
        if proc.poll() is not None:
            raise PortallocError(proc.returncode, "portalloc exec ended "
                                 "before its ports were leased", proc.args)
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise PortallocError(-1, "no leases for %r after %.1f s" % (
                argv, timeout), proc.args)
        time.sleep(delay)          # waits for the leases, backing off
        delay = min(delay * 2, 0.05)
