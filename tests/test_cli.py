"""The command line end to end, as a user runs it: exit codes, output, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_schema import validate

DATA = Path(__file__).parent / "data"
PROFILE = DATA / "radiology-l40s.yaml"
GOLDEN = DATA / "golden"
ENV = {**os.environ, "AICEILING_TODAY": "2026-11-22", "COLUMNS": "100"}
ENV.pop("NO_COLOR", None)


def run(*args: str, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aiceiling", *args], capture_output=True,
                          text=True, env=env or ENV, timeout=60, cwd=cwd)


def test_check_infeasible_exits_1_with_table() -> None:
    result = run("check", str(PROFILE))
    assert result.returncode == 1
    assert "INFEASIBLE" in result.stdout
    assert "binding: compute.throughput" in result.stdout
    assert "Traceback" not in result.stderr


def _catalog_free(text: str) -> str:
    """The table with the catalog data version blanked: it changes with every catalog edit,
    which the golden tables do not exercise (tests/test_report.py does)."""
    import re

    return re.sub(r"catalog [0-9a-f]{12}", "catalog <version>", text)


@pytest.mark.parametrize(("columns", "golden"), [("100", "radiology-l40s.txt"),
                                                 ("80", "radiology-l40s-80.txt")])
def test_table_matches_golden(columns: str, golden: str) -> None:
    """The table at 100 and at 80 columns (COLUMNS honoured): every line fits, wrapped
    lines stay under their own column."""
    result = run("check", PROFILE.name, "--no-color", cwd=DATA,
                 env={**ENV, "COLUMNS": columns})
    expected = (GOLDEN / golden).read_text(encoding="utf-8")
    assert _catalog_free(result.stdout) == expected
    assert max(len(line) for line in result.stdout.splitlines()) <= int(columns)
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize(("fail_on", "code"), [("fail", 1), ("warn", 1), ("never", 0)])
def test_fail_on_levels(fail_on: str, code: int) -> None:
    assert run("check", str(PROFILE), "--fail-on", fail_on, "-q").returncode == code


def test_fail_on_warn_only_when_warnings(tmp_path: Path) -> None:
    # Three L40S carry the peak, the p99 TPOT within the warning margin of a 55 ms budget.
    args = ["check", str(PROFILE), "--set", "deployment.accelerators=3", "--set",
            "workload.latency.tpot=55 ms", "-q"]
    assert run(*args).returncode == 0
    assert run(*args, "--fail-on", "warn").returncode == 1


def test_json_is_deterministic_and_complete() -> None:
    first = run("check", str(PROFILE), "--format", "json")
    second = run("check", str(PROFILE), "--format", "json")
    assert first.returncode == 1
    assert first.stdout == second.stdout
    document = validate(first.stdout)
    assert document["schema_version"] == 1
    profile = document["profiles"][0]
    assert profile["verdict"] == "infeasible"
    assert profile["binding_constraint"] == "compute.throughput"
    for key in ("weights_gb", "kv_cache_gb", "memory_required_gb", "memory_available_gb",
                "prefill_ms", "max_tokens_per_s", "max_requests_per_s", "network_rtt_ms"):
        assert isinstance(profile["estimates"][key], float), key
    # 6 req/s at peak is beyond what two L40S sustain: an unstable queue has no latency
    # figure, and its latency checks fail without a number.
    for key in ("ttft_ms", "tpot_ms", "tokens_per_s", "latency_e2e_ms"):
        assert key not in profile["estimates"], key
    ttft = profile["checks"][2]
    assert ttft["status"] == "fail"
    assert ttft["message"].startswith("unstable: 6.00 req/s offered, capacity ")
    ids = [c["id"] for c in profile["checks"]]
    assert ids[:3] == ["compute.memory_fit", "compute.throughput", "compute.ttft"]
    assert profile["checks"][1]["location"] == {"line": 11, "column": 5}


def test_output_file_written(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run("check", str(PROFILE), "--format", "json", "--output", str(out))
    assert result.returncode == 1
    assert result.stdout == ""
    assert validate(out.read_text())["profiles"][0]["name"] == "radiology-report-drafting"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_invalid_profile_exits_2_with_every_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROFILE.read_text().replace("precision: bf16", "precison: bf16")
                   .replace("hardware: l40s", "hardware: l40")
                   .replace("e2e: 20 s", "e2e: 20 kW"))
    result = run("check", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{bad}:7:3: workload.precison: unknown key 'precison'; did you mean 'precision'?",
        f"{bad}:14:5: workload.latency.e2e: '20 kW' is a power, expected a time such as "
        "'20 ms'",
        f"{bad}:20:3: deployment.hardware: unknown hardware id 'l40'; did you mean 'l40s', "
        "'l4'?",
    ]


def test_unknown_catalog_id_suggests(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROFILE.read_text().replace("hardware: l40s", "hardware: h100-sxn"))
    result = run("check", str(bad))
    assert result.returncode == 2
    assert result.stderr == (f"{bad}:20:3: deployment.hardware: unknown hardware id "
                             "'h100-sxn'; did you mean 'h100-sxm', 'h200-sxm', 'h100-nvl'?\n")


def test_bad_set_override_points_at_the_flag() -> None:
    result = run("check", str(PROFILE), "--set", "site.power_budget=20 ms")
    assert result.returncode == 2
    assert "--set site.power_budget=20 ms: site.power_budget: '20 ms' is a time, expected " \
        "a power" in result.stderr


@pytest.mark.parametrize("args", [
    ("check", "no-such-file.yaml"),
    ("check",),
    ("check", "--format", "xml", str(PROFILE)),
    ("check", "--bogus", str(PROFILE)),
    ("check", "--fail-on", "sometimes", str(PROFILE)),
    ("check", "--today", "yesterday", str(PROFILE)),
    ("catalog", "gpus"),
    ("catalog", "hardware", "h100-sxn"),
])
def test_bad_invocations_exit_2_without_traceback(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_malformed_yaml_points_at_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("aiceiling: 1\nworkload: [\n")
    result = run("check", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{bad}:3:1: YAML syntax error")


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("aiceiling ")
    for command in ("check", "catalog", "explain"):
        result = run(command, "--help")
        assert result.returncode == 0
        assert "Usage" in result.stdout


def test_catalog_lists_with_sources() -> None:
    listing = run("catalog", "hardware")
    assert listing.returncode == 0
    assert "h100-sxm" in listing.stdout and "3.35 TB/s" in listing.stdout
    detail = run("catalog", "hardware", "H100")
    assert detail.returncode == 0
    assert "h100-sxm (accelerators)" in detail.stdout
    assert "source:" in detail.stdout and "as of" in detail.stdout


@pytest.mark.parametrize("columns", [80, 100])
def test_catalog_views_fit_the_terminal(columns: int) -> None:
    """Every listing fits ``COLUMNS`` (names and long texts shortened with …, names dropped
    before a figure is cut); an entry's sources wrap, indented under their own text, and
    only an unbreakable address may run past the edge."""
    env = {**ENV, "COLUMNS": str(columns)}
    listing = run("catalog", env=env)
    assert listing.returncode == 0
    assert max(len(line) for line in listing.stdout.splitlines()) <= columns
    assert "identity" in listing.stdout and "…" in listing.stdout
    detail = run("catalog", "hardware", "h100-sxm", env=env).stdout.splitlines()
    long = [line for line in detail if len(line) > columns]
    assert all(len(line.split()) == 1 for line in long), long
    wrapped = [line for line in detail if line.startswith("        ") and line.strip()]
    assert wrapped  # continuation lines hang under their source text


def test_no_color_env_and_flag() -> None:
    env = {**ENV, "NO_COLOR": "1"}
    assert "\x1b[" not in run("check", str(PROFILE), env=env).stdout


def test_explain_shows_the_energy_split() -> None:
    result = run("explain", str(Path(__file__).resolve().parents[1] / "profiles" /
                                "hyperscale-ai-facility.yaml"), "energy.power_budget")
    assert result.returncode == 0
    assert "accelerator_power_kw = " in result.stdout
    assert "host: " in result.stdout and "per accelerator" in result.stdout
    assert "cooling and power distribution" in result.stdout
    assert "formula: installed IT power × PUE" in result.stdout
    # explain shows both powers: what the site provisions, and what energy accrues on.
    assert "installed_it_power_kw = 69,120 kW" in result.stdout
    assert "average_it_power_kw = " in result.stdout


def test_explain_unknown_check_suggests() -> None:
    result = run("explain", str(PROFILE), "compute.tpt")
    assert result.returncode == 2
    assert "did you mean compute.tpot" in result.stderr


@pytest.mark.parametrize("profile", sorted((DATA.parent.parent / "profiles").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_bundled_profile_fits_80_columns(profile: Path) -> None:
    """Every line of every bundled example's table fits an 80-column terminal (a long
    file name moves to its own line under the profile's name)."""
    result = run("check", str(profile), "--no-color", env={**ENV, "COLUMNS": "80"})
    assert result.returncode in (0, 1), result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    # The needs: line breaks only between its items, never between a figure and its unit.
    lines = result.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("needs: ")), None)
    if start is None:   # a hosted API: nothing of its own to provision
        return
    block = [lines[start]]
    block += [line for line in lines[start + 1:start + 4] if line.startswith("       ")][:3]
    for line in block[:-1]:
        assert line.endswith(" ·"), block
