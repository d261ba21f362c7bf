"""Every test here runs against a store and configuration of its own.

PORTALLOC (the binary under test) and PORTALLOC_TEST_PORTS (a range of
ports to lease from, free in this network namespace) come from
python/run-tests.sh."""
import os

import pytest


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    config = tmp_path / "portalloc.ini"
    config.write_text("[block py]\nports = %s\n" %
                      os.environ["PORTALLOC_TEST_PORTS"])
    monkeypatch.setenv("PORTALLOC_CONFIG", str(config))
    monkeypatch.setenv("PORTALLOC_STORE", str(tmp_path / "leases.db"))
    return config
