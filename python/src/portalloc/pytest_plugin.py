"""The pytest plugin (entry point ``pytest11``): fixtures that lease ports
for one test, owned by the process that runs it (pytest itself, or the
xdist worker), and released when the test ends."""
import os

import pytest

import portalloc


def pytest_addoption(parser):
    group = parser.getgroup("portalloc")
    group.addoption("--portalloc-block", default=None, metavar="BLOCK",
                    help="lease from this block of the configuration "
                         "(default: its first block)")
    group.addoption("--portalloc-config", default=None, metavar="FILE",
                    help="the portalloc configuration file to use")


def _tag(request):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return "pytest-%s" % worker


@pytest.fixture
def portalloc_ports(request):
    """A function: ``portalloc_ports(3)`` leases 3 ports (keywords as
    portalloc.get) for this test; all are released after it."""
    config = request.config.getoption("portalloc_config")
    block = request.config.getoption("portalloc_block")
    leased = []

    def take(count=1, **kwargs):
        kwargs.setdefault("block", block)
        kwargs.setdefault("tag", _tag(request))
        ports = portalloc.get(count, config=config, **kwargs)
        leased.extend(ports)
        return ports

    yield take
    portalloc.release(leased, config=config)


@pytest.fixture
def portalloc_port(portalloc_ports):
    """One port, leased for this test."""
    return portalloc_ports(1)[0]
