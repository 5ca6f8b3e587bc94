"""What-if: sweep grids, scenarios, ceilings, comparisons and starter profiles — the library
and the commands end to end."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiceiling import api
from aiceiling.errors import InputError
from aiceiling.profile.starter import INDUSTRIES, starter
from aiceiling.whatif.grid import indexes, parse_axis, size
from aiceiling.whatif.scenario import Scenarios

DATA = Path(__file__).parent / "data"
PROFILE = DATA / "radiology-l40s.yaml"
ROOT = Path(__file__).parents[1]
TODAY = dt.date(2026, 11, 22)
ENV = {**os.environ, "AICEILING_TODAY": "2026-11-22", "COLUMNS": "100"}
ENV.pop("NO_COLOR", None)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aiceiling", *args], capture_output=True,
                          text=True, env=ENV, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def starters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("starters")
    out = {}
    for industry in INDUSTRIES:
        path = folder / f"{industry}.yaml"
        path.write_text(starter(industry, str(path)), encoding="utf-8")
        out[industry] = path
    return out


# -- value syntax ----------------------------------------------------------------------------
@pytest.mark.parametrize(("spec", "values"), [
    ("a.b=1,2,4,8", ("1", "2", "4", "8")),
    ("a.b=1..64:x2", ("1", "2", "4", "8", "16", "32", "64")),
    ("a.b=1..5", ("1", "2", "3", "4", "5")),
    ("a.b=0.5..4:0.5", ("0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4")),
    ("a.b=0.1..0.3:0.1", ("0.1", "0.2", "0.3")),
    ('a.b="10 kW".."60 kW":"10 kW"', ("10 kW", "20 kW", "30 kW", "40 kW", "50 kW", "60 kW")),
    ("a.b=10 kW..0.03 MW:5000 W", ("10 kW", "15 kW", "20 kW", "25 kW", "30 kW")),
    ("a.b=64..8:x2", ("64", "32", "16", "8")),
    ("a.b=1,2,4..16:x2,100", ("1", "2", "4", "8", "16", "100")),
    ("a.b=h100-sxm,l40s", ("h100-sxm", "l40s")),
    ("a.b=[DE, AT],[DE]", ("[DE, AT]", "[DE]")),
    ('a.b="40 kW"', ("40 kW",)),
    ("a.b='8',\"yes\",\"h100-sxm\"", ("'8'", '"yes"', "h100-sxm")),
])
def test_axis_values(spec: str, values: tuple[str, ...]) -> None:
    assert parse_axis(spec).values == values


@pytest.mark.parametrize(("spec", "message"), [
    ("a.b", "expected PATH=VALUES"),
    ("a.b=0.5..4", "needs a step"),
    ('a.b="10 kW"..60', "unit both, or neither"),
    ('a.b="10 kW".."60 kW":"1 s"', "STEP is a time"),
    ("a.b=1..8:x1", "above 1"),
    ("a.b=1..8:-1", "STEP must be above 0"),
    ("a.b=1,,2", "empty value"),
    ("a.b=1..1e9", "more than"),
])
def test_axis_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_axis(spec)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"--vary {spec}")


@pytest.mark.parametrize("text", [
    "1", "0", "-3", "0.5", "10.25", "10 kW", "3.35 TB/s", "0.22 EUR/kWh", "381 g/kWh",
    "5 m3/day", "1e3", "08", "2026-01-01", "yes", "[DE, AT]", "h100-sxm", "'8'", "1,000"])
def test_values_read_as_yaml_reads_them(text: str) -> None:
    """Numbers and quantities skip the YAML parser; the result must be YAML's."""
    from aiceiling.profile.yamlsource import load_text
    from aiceiling.whatif.scenario import _parse

    assert _parse(text, "t") == load_text(text, "t").data


def test_grid_order_last_axis_fastest() -> None:
    axes = (parse_axis("a=1,2"), parse_axis("b=x,y,z"))
    assert size(axes) == 6
    assert list(indexes(axes)) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert list(indexes(axes, 2, 4)) == [(0, 2), (1, 0)]


# -- scenarios: the fast path equals the ordinary one ---------------------------------------------
def test_fast_scenarios_equal_ordinary_loading() -> None:
    loaded = api.load_profile(ROOT / "profiles/erp-copilot.yaml")
    axes = (parse_axis("deployment.accelerators=4,8,16"),
            parse_axis("deployment.tensor_parallel=1,2,8"),  # same section: validated together
            parse_axis('site.power_budget="10 kW","60 kW"'),
            parse_axis("workload.traffic.requests_per_s=0.5,2"),
            parse_axis("workload.prompt_tokens=1024,4096"))
    scenarios = Scenarios(loaded, axes, on=TODAY)
    assert scenarios.fast
    invalid = 0
    for idx in indexes(axes):
        overrides = list(scenarios.overrides(idx))
        try:
            expected = api.load_profile(ROOT / "profiles/erp-copilot.yaml", overrides).profile
        except InputError as exc:
            with pytest.raises(InputError) as caught:
                scenarios.loaded_at(idx)
            assert caught.value.diagnostics == exc.diagnostics
            invalid += 1
            continue
        assert scenarios.loaded_at(idx).profile.model_dump() == expected.model_dump()
    assert invalid == 2 * 2 * 2  # tensor_parallel 8 does not divide 4 accelerators
    # A layout the hardware cannot run is caught like any invalid value.
    with pytest.raises(InputError, match="scale-up domain"):
        Scenarios(loaded, (parse_axis("deployment.tensor_parallel=8,16"),), on=TODAY)


@pytest.mark.parametrize(("profile", "specs"), [
    ("tests/data/radiology-l40s.yaml", ("deployment.accelerators=1..4",
                                        'site.power_budget="1 kW".."3 kW":"1 kW"',
                                        "workload.latency.tpot=30 ms..90 ms:30 ms")),
    ("profiles/hyperscale-ai-facility.yaml", ("site.power_budget=20 MW..100 MW:40 MW",
                                              "site.rack_power_limit=40 kW..140 kW:50 kW",
                                              "site.pue=1.1,1.4")),
    ("profiles/erp-copilot.yaml", ("deployment.accelerators=8,16",
                                   "deployment.tensor_parallel=4,8",
                                   "energy.carbon_budget=1 t/year,100 t/year")),
])
def test_reused_estimates_equal_fresh_ones(profile: str, specs: tuple[str, ...]) -> None:
    """Scenarios that differ only in fields the estimates never read share one build; the
    rows must be exactly those of building every scenario afresh."""
    from aiceiling.whatif.sweep import evaluate_rows

    loaded = api.load_profile(ROOT / profile)
    axes = tuple(parse_axis(spec) for spec in specs)
    reused = Scenarios(loaded, axes, on=TODAY)
    fresh = Scenarios(loaded, axes, on=TODAY, reuse=False)
    assert reused.reuse
    assert evaluate_rows(reused, 0, size(axes)) == evaluate_rows(fresh, 0, size(axes))
    builds = sum(len(table) for table in reused._estimates.values())
    assert builds < size(axes)  # something was reused


def test_every_invalid_value_reported_at_once() -> None:
    loaded = api.load_profile(PROFILE)
    axes = (parse_axis("deployment.accelerators=2,0,-1"),
            parse_axis("deployment.hardware=l40s,h100-sxn"))
    with pytest.raises(InputError) as caught:
        Scenarios(loaded, axes, on=TODAY)
    text = str(caught.value)
    assert "--vary deployment.accelerators=0" in text and "greater than 0" in text
    assert "--vary deployment.accelerators=-1" in text
    assert "h100-sxm" in text  # did you mean


# -- sweep ---------------------------------------------------------------------------------------
def test_sweep_rows_match_check() -> None:
    rows = list(api.sweep(PROFILE, {"deployment.accelerators": [1, 2, 4],
                                    "workload.traffic.requests_per_s": "1..3"}, on=TODAY))
    assert [(r["deployment.accelerators"], r["workload.traffic.requests_per_s"])
            for r in rows] == [(a, t) for a in ("1", "2", "4") for t in ("1", "2", "3")]
    for row in rows:
        report = api.evaluate(api.load_profile(PROFILE, [
            f"deployment.accelerators={row['deployment.accelerators']}",
            f"workload.traffic.requests_per_s={row['workload.traffic.requests_per_s']}"]),
            on=TODAY)
        assert row["verdict"] == report.verdict
        assert row["binding"] == (report.binding.id if report.binding else "")
        assert row["max_requests_per_s"] == pytest.approx(
            report.estimates.get("max_requests_per_s"), rel=1e-5)


def test_sweep_pool_equals_one_process() -> None:
    vary = {"deployment.accelerators": "1..8", "site.power_budget": '"1 kW".."4 kW":"1 kW"'}
    local = list(api.sweep(PROFILE, vary, on=TODAY, workers=1))
    pooled = list(api.sweep(PROFILE, vary, on=TODAY, workers=2))
    assert len(local) == 32
    assert pooled == local


def test_sweep_on_dask_equals_local() -> None:
    """On a local Dask cluster (two worker processes). CI installs .[test,dev], without the
    dask extra, so it skips there; `pip install -e '.[dask]'` runs it (it starts a cluster:
    a few seconds)."""
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    vary = {"deployment.accelerators": "1,2,4", "workload.traffic.requests_per_s": "1..4"}
    local = list(api.sweep(PROFILE, vary, on=TODAY))
    on_dask = list(api.sweep(PROFILE, vary, on=TODAY, dask=True, workers=2))
    assert on_dask == local


def test_sweep_cli_csv_and_jsonl(tmp_path: Path) -> None:
    args = ["sweep", str(PROFILE), "--vary", "deployment.accelerators=1,2..8:x2",
            "--vary", 'site.power_budget="2 kW".."3 kW":"500 W"']
    result = run(*args)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4 * 3
    assert [(r["deployment.accelerators"], r["site.power_budget"]) for r in rows[:4]] == \
        [("1", "2 kW"), ("1", "2.5 kW"), ("1", "3 kW"), ("2", "2 kW")]
    assert {r["verdict"] for r in rows} <= {"feasible", "at-risk", "infeasible"}
    assert result.stderr == ""  # no progress bar off a terminal
    out = tmp_path / "grid.jsonl"
    result = run(*args, "--format", "jsonl", "-o", str(out))
    assert result.returncode == 0 and result.stdout == ""
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["verdict"] for line in lines] == [r["verdict"] for r in rows]
    assert lines[0]["binding_used"] == pytest.approx(float(rows[0]["binding_used"]))


def test_sweep_cli_bad_values_exit_2_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    result = run("sweep", str(PROFILE), "--vary", "deployment.accelerators=1,0",
                 "--vary", "site.power_budget=1..2:x0.5", "-o", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--vary site.power_budget=1..2:x0.5: site.power_budget: range" in result.stderr
    assert not out.exists()
    result = run("sweep", str(PROFILE), "--vary", "deployment.accelerators=1,0")
    assert result.returncode == 2
    assert "--vary deployment.accelerators=0" in result.stderr
    assert result.stdout == ""


def test_sweep_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    image = tmp_path / "frontier.svg"
    result = run("sweep", str(PROFILE), "--vary", "deployment.accelerators=1..4",
                 "--vary", "workload.traffic.requests_per_s=1..4", "--plot", str(image),
                 "-o", str(tmp_path / "g.csv"))
    assert result.returncode == 0, result.stderr
    svg = image.read_text()
    assert "<svg" in svg and "compute.throughput" in svg


def test_sweep_plot_needs_two_axes() -> None:
    result = run("sweep", str(PROFILE), "--vary", "deployment.accelerators=1..4",
                 "--plot", "x.png")
    assert result.returncode == 2 and "two --vary" in result.stderr


# -- ceiling -------------------------------------------------------------------------------------
def _setting(axis: str, value: float, unit: str = "") -> str:
    """``--set`` text for an axis value in its SI unit (a bare number needs its unit)."""
    text = str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)
    return f"{axis}={text} {unit}" if unit else f"{axis}={text}"


def _verdict(path: Path, axis: str, value: float, unit: str = "") -> str:
    return api.evaluate(api.load_profile(path, [_setting(axis, value, unit)]),
                        on=TODAY).verdict


@pytest.mark.parametrize(("profile", "axis", "direction"), [
    ("radiology", "workload.traffic.requests_per_s", "up"),
    ("radiology", "deployment.accelerators", "down"),
    ("radiology", "workload.prompt_tokens", "up"),
    ("other", "workload.traffic.requests_per_s", "up"),
    ("other", "site.power_budget", "down"),
    ("enterprise-erp", "workload.traffic.requests_per_s", "up"),
    ("mobile-iot", "site.battery", "down"),
])
def test_ceiling_is_where_check_turns_infeasible(starters: dict[str, Path], profile: str,
                                                 axis: str, direction: str) -> None:
    path = PROFILE if profile == "radiology" else starters[profile]
    answer = api.ceiling(path, axis, direction=direction, on=TODAY)
    assert answer.value is not None and answer.binding is not None
    assert _verdict(path, axis, answer.value, answer.unit) != "infeasible"
    step = 1 if isinstance(answer.value, int) else abs(answer.value) * 0.002
    beyond = answer.value + step if direction == "up" else answer.value - step
    assert _verdict(path, axis, beyond, answer.unit) == "infeasible"
    # The binding check is the one failing just beyond.
    report = api.evaluate(api.load_profile(path, [_setting(axis, beyond, answer.unit)]),
                          on=TODAY)
    assert answer.binding.check in {r.id for r in report.results if r.status == "fail"}
    nexts = [c.value for c in answer.next]
    assert nexts == sorted(nexts, reverse=direction == "down")


def test_ceiling_strict_stops_before_at_risk() -> None:
    answer = api.ceiling(PROFILE, "workload.traffic.requests_per_s", strict=True, on=TODAY)
    loose = api.ceiling(PROFILE, "workload.traffic.requests_per_s", on=TODAY)
    assert answer.value is not None and loose.value is not None
    assert answer.value < loose.value
    assert _verdict(PROFILE, "workload.traffic.requests_per_s", answer.value) == "feasible"
    assert _verdict(PROFILE, "workload.traffic.requests_per_s", answer.value * 1.002) != \
        "feasible"


def test_fewest_accelerators(starters: dict[str, Path]) -> None:
    answer = api.ceiling(starters["healthcare"], "deployment.accelerators", direction="down",
                         on=TODAY)
    assert isinstance(answer.value, int)
    assert _verdict(starters["healthcare"], "deployment.accelerators", answer.value) != \
        "infeasible"
    if answer.binding is not None:
        assert _verdict(starters["healthcare"], "deployment.accelerators",
                        answer.value - 1) == "infeasible"


def test_ceiling_blocked_by_a_categorical_failure() -> None:
    path = ROOT / "profiles/healthcare-radiology.yaml"
    answer = api.ceiling(path, "workload.traffic.requests_per_s", on=TODAY)
    assert answer.value is None and answer.blocked_by == ("data.boundary",)
    assert "--ignore data.boundary" in answer.sentence()
    aside = api.ceiling(path, "workload.traffic.requests_per_s", on=TODAY,
                        ignore=["data.boundary"])
    assert aside.value is not None and aside.binding is not None


def test_ceiling_cli_text_and_json() -> None:
    result = run("ceiling", str(PROFILE), "--axis", "workload.traffic.requests_per_s")
    assert result.returncode == 0, result.stderr
    # Two requests/s already overload the two L40S: the answer says how far to come down.
    # The p99 TPOT reaches its budget where the capacity does (capacity is defined by it).
    assert result.stdout.startswith("workload.traffic.requests_per_s must come down to 1.")
    assert "(the profile has 2): past it compute.tpot binds" in result.stdout
    assert "then compute.throughput at" in result.stdout
    result = run("ceiling", str(PROFILE), "--axis", "deployment.accelerators",
                 "--direction", "down", "--format", "json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {"axis", "value", "binding_constraint", "next"} <= set(answer)
    assert answer["axis"] == "deployment.accelerators"
    assert isinstance(answer["value"], int)


@pytest.mark.parametrize(("args", "message"), [
    (["--axis", "site.power_budget"], "is not set in the profile"),
    (["--axis", "workload.model"], "is not a number"),
    (["--axis", "deployment.accelerators", "--direction", "sideways"], "up or down"),
    (["--axis", "deployment.accelerators", "--ignore", "data.boundry"], "no check"),
])
def test_ceiling_cli_errors(args: list[str], message: str) -> None:
    result = run("ceiling", str(PROFILE), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# -- compare -------------------------------------------------------------------------------------
def test_compare_profiles_table_and_json(starters: dict[str, Path]) -> None:
    result = run("compare", str(PROFILE), str(starters["healthcare"]), "--no-color")
    assert result.returncode == 1  # one design has a failing check
    lines = result.stdout.splitlines()
    assert "radiology-report-drafting" in lines[0] and "report-drafting-on-site" in lines[0]
    verdict = next(line for line in lines if "verdict" in line)
    assert verdict.startswith("≠") and "infeasible" in verdict and "feasible" in verdict
    same = next(line for line in lines if "physical.export_control" in line)
    assert same.startswith("  ")
    result = run("compare", str(PROFILE), str(starters["healthcare"]), "--format", "json")
    document = json.loads(result.stdout)
    # The starter's site holds its installed power (SPEC §5) within the warning margin.
    assert [d["verdict"] for d in document["designs"]] == ["infeasible", "at-risk"]
    rows = {row["key"]: row for row in document["rows"]}
    assert rows["compute.throughput"]["differs"]
    assert [c["status"] for c in rows["compute.throughput"]["cells"]] == ["fail", "pass"]
    assert rows["max_requests_per_s"]["kind"] == "estimate"


def test_compare_variants() -> None:
    result = run("compare", str(PROFILE),
                 "--variant", "4 GPUs: deployment.accelerators=4",
                 "--variant", "deployment.accelerators=4, workload.traffic.requests_per_s=1",
                 "--format", "json")
    document = json.loads(result.stdout)
    assert [d["label"] for d in document["designs"]] == [
        "base", "4 GPUs", "deployment.accelerators=4, workload.traffic.requests_per_s=1"]
    direct = api.evaluate(api.load_profile(PROFILE, ["deployment.accelerators=4"]), on=TODAY)
    assert document["designs"][1]["verdict"] == direct.verdict


@pytest.mark.parametrize(("args", "message"), [
    ([str(PROFILE)], "two or more profiles"),
    ([str(PROFILE), str(PROFILE), "--variant", "x: a.b=1"], "exactly one PROFILE"),
    ([str(PROFILE), "--variant", "no override here"], "expected 'LABEL: PATH=VALUE"),
    ([str(PROFILE), "--variant", "bad: deployment.accelerators=0"], "greater than 0"),
])
def test_compare_cli_errors(args: list[str], message: str) -> None:
    result = run("compare", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# -- init ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("industry", INDUSTRIES)
def test_init_writes_a_profile_that_evaluates(tmp_path: Path, industry: str) -> None:
    path = tmp_path / "p.yaml"
    result = run("init", "--industry", industry, str(path))
    assert result.returncode == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    assert text.count("#") > 12  # commented
    report = api.evaluate(api.load_profile(path), on=TODAY)
    assert report.profile is not None and report.profile.industry == industry
    # undetermined allowed: a starter may leave a limit nobody could evaluate (the device
    # starter names no country, so export control is unknown) — never infeasible.
    assert report.verdict in ("feasible", "at-risk", "undetermined")


def test_init_refuses_to_overwrite_and_writes_stdout(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("mine\n")
    result = run("init", str(path))
    assert result.returncode == 2 and "exists" in result.stderr
    assert path.read_text() == "mine\n"
    assert run("init", "--force", str(path)).returncode == 0
    result = run("init", "--industry", "finance", "-")
    assert result.returncode == 0 and "industry: finance" in result.stdout
    result = run("init", "--industry", "helthcare", str(tmp_path / "q.yaml"))
    assert result.returncode == 2 and "did you mean 'healthcare'" in result.stderr


# -- help ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("command", "metavar"), [
    ("compare", "PATH=VALUE"), ("sweep", "PATH=VALUES"), ("ceiling", "PATH"),
    ("init", "NAME"), ("check", "PROFILE"), ("explain", "CHECK_ID"), ("catalog", "KIND")])
def test_help_has_example_and_readable_metavars(command: str, metavar: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout
    assert f"    aiceiling {command} " in result.stdout  # not re-wrapped
    assert metavar in result.stdout
    assert "<list" not in result.stdout and "<str>" not in result.stdout
    assert "[[" not in result.stdout.splitlines()[0]  # usage: [ARG], not [[ARG]]


@pytest.mark.parametrize(("default", "nudged_to"), [
    ("0.6", "0.54"), ("59", "58"), ("1", "2"), ("381.0 g/kWh", "342.9 g/kWh"),
    ("bf16", "fp8"), ("fp8", "bf16"), ("the weights' precision", None)])
def test_defaults_are_nudged_to_a_nearby_value(default: str, nudged_to: str | None) -> None:
    from aiceiling.whatif.sensitivity import nudged

    assert nudged(default) == nudged_to


# -- explain -------------------------------------------------------------------------------------
def test_explain_cites_each_reference_once_and_only_the_defaults_used() -> None:
    # Three L40S carry the peak: a steady state with a TPOT to explain.
    result = run("explain", str(PROFILE), "compute.tpot", "--set", "deployment.accelerators=3")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    body, _, references = text.partition("\nreferences:\n")
    assert "ref: " not in body and "refs: [1]" in body
    sources = [line for line in references.splitlines() if line.startswith("  [")]
    assert len(sources) == len(set(sources)) >= 1
    assert text.count("https://www.mullet.se/") == 1  # three L40S figures, one source
    defaults = [line.split(" = ")[0] for line in body.splitlines()
                if line.startswith("default: ")]
    # The TPOT at load reads both efficiencies (its steps carry prefill, which is
    # compute-bound) and the prompt spread, not carbon or water.
    assert "default: workload.efficiency.bandwidth" in defaults
    assert "default: workload.efficiency.compute" in defaults
    assert "default: workload.prompt_tokens_p99" in defaults
    assert "default: energy.carbon_intensity" not in defaults
    assert "default: site.wue" not in defaults
    full = run("explain", str(PROFILE)).stdout
    assert "default: energy.carbon_intensity" in full  # the annual CO2 figure uses it


def test_sweep_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "aiceiling", "sweep", str(PROFILE),
             "--vary", "deployment.accelerators=1..3", "-o", str(tmp_path / "g.csv")],
            stdout=subprocess.PIPE, stderr=follower, env=ENV, timeout=120)
        os.close(follower)
        follower = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert result.returncode == 0
    assert b"3/3" in drawn and b"[###" in drawn
    assert result.stdout == b""
