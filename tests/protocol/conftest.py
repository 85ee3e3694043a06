"""Fixtures of the protocol harness: one wire bridge for the whole session,
and the per-protocol summary at the end of the run."""

import pytest

from protocol_harness import TALLIES, Bridge, bridge_executable


@pytest.fixture(scope="session")
def bridge():
    process = Bridge(bridge_executable())
    yield process
    process.close()


def pytest_terminal_summary(terminalreporter):
    lines = TALLIES.summary_lines()
    if lines:
        terminalreporter.section("nimbus protocol harness")
        for line in lines:
            terminalreporter.write_line(line)
