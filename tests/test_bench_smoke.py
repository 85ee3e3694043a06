"""Smoke run of the benchmark harness (tools/bench), so it cannot rot.

`nimbus-bench --smoke` sends a few requests per scenario to the limit server
and to nimbus (no peers needed) and must finish in seconds. The test checks
that the table is produced, that the limit server measured every scenario,
and that nimbus either measured a scenario or reported it as unsupported —
never a crash, never a silent gap. A scenario reported "failed" means nimbus
answered a supported operation wrongly (or the harness broke): the message
says which.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE_TIMEOUT = 120


def bench_binary() -> Path:
    """A debug build: it shares its dependencies with the suite's nimbus build,
    and smoke mode measures nothing that needs optimisation."""
    subprocess.run(["cargo", "build", "--quiet", "-p", "nimbus-bench"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "nimbus-bench"


def test_smoke_run_reports_every_scenario(nimbus_bin: Path, tmp_path: Path) -> None:
    results_path = tmp_path / "bench.json"
    run = subprocess.run(
        [str(bench_binary()), "--smoke", "--nimbus-bin", str(nimbus_bin), "--json", str(results_path)],
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT,
    )
    assert run.returncode == 0, f"nimbus-bench failed:\n{run.stderr}"

    table = run.stdout
    assert "| scenario | figure | limit (bare hyper) | nimbus | nimbus ÷ limit |" in table, table
    assert "Targets" in table

    results = json.loads(results_path.read_text())
    assert results["mode"] == "smoke"
    servers = {server["server"]: server for server in results["servers"]}
    assert list(servers) == ["limit", "nimbus"]

    limit = servers["limit"]
    assert limit["status"] == "ran"
    scenario_names = set(limit["scenarios"])
    assert {"cold-start", "memory", "s3-put-small", "sqs-send-json", "dynamodb-query", "sqs-big-queue"} <= scenario_names
    for name, outcome in limit["scenarios"].items():
        assert outcome["status"] == "measured", f"limit server, {name}: {outcome}"
        assert all(value > 0 for value in outcome["figures"].values()), f"limit server, {name}: {outcome}"

    nimbus = servers["nimbus"]
    assert nimbus["status"] == "ran", nimbus.get("reason")
    assert set(nimbus["scenarios"]) == scenario_names
    for name in ("cold-start", "memory"):
        assert nimbus["scenarios"][name]["status"] == "measured", nimbus["scenarios"][name]
    for name, outcome in nimbus["scenarios"].items():
        assert outcome["status"] in ("measured", "unsupported"), f"nimbus, {name}: {outcome}"
        if outcome["status"] == "unsupported":
            # The table says so in words, with a note naming the operation.
            assert "unsupported (" in outcome["reason"], outcome
            assert "nimbus: unsupported (" in table
