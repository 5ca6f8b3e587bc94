"""CI gating end to end: exit codes × --fail-on, baseline, selection, waivers, config file,
several outputs in one run, folders and stdin, and text from a profile that must not act on
a terminal or CI log.

The command runs in process (typer's runner) for speed; tests/test_cli.py runs it as a
subprocess.
"""

from __future__ import annotations

import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_schema import validate, validate_sarif
from typer.testing import CliRunner, Result

from aiceiling import api, gate
from aiceiling.cli.app import _register, app

DATA = Path(__file__).parent / "data"
BASE = (DATA / "radiology-l40s.yaml").read_text(encoding="utf-8")
PROFILES = Path(__file__).resolve().parents[1] / "profiles"
TODAY = "2026-11-22"
ENV = {"AICEILING_TODAY": TODAY, "NO_COLOR": "1", "COLUMNS": "100"}
FAIL_ON = ("fail", "unknown", "warn", "never")

_register()


def cli(*args: str, stdin: str | None = None) -> Result:
    """``aiceiling ARGS`` in process; stdout and stderr apart."""
    return CliRunner().invoke(app, list(args), input=stdin, env=ENV, catch_exceptions=False)


# Overload fails the throughput and, as an unstable queue, the latency checks: the
# waiver covers all four.
WAIVER = """
waivers:
""" + "".join(f"""  - check: {check}
    reason: Third L40S ordered, arrives before go-live.
    expires: {{expires}}
""" for check in ("compute.throughput", "compute.ttft", "compute.tpot", "compute.latency_e2e"))


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The arguments of each case of the exit-code matrix."""
    work = tmp_path_factory.mktemp("gate")
    profile = work / "radiology.yaml"
    profile.write_text(BASE, encoding="utf-8")
    waived = work / "waived.yaml"
    waived.write_text(BASE + WAIVER.format(expires="2027-01-31"), encoding="utf-8")
    expired = work / "expired.yaml"
    expired.write_text(BASE + WAIVER.format(expires="2026-10-31"), encoding="utf-8")
    malformed = work / "malformed.yaml"
    malformed.write_text(BASE.replace("precision: bf16", "precison: bf16"), encoding="utf-8")
    same = work / "baseline-same.json"
    assert cli("check", str(profile), "-f", f"json={same}", "-q").exit_code == 1
    at_risk = work / "baseline-at-risk.json"
    assert cli("check", str(profile), *AT_RISK, "-f", f"json={at_risk}",
               "-q").exit_code == 0
    feasible = work / "baseline-feasible.json"
    assert cli("check", str(profile), "--set", "deployment.accelerators=4", "-f",
               f"json={feasible}", "-q").exit_code == 0
    return {
        "feasible": [str(profile), "--set", "deployment.accelerators=4"],
        # A cost limit in EUR with no sourced L40S price in EUR: energy.cost_budget unknown.
        "undetermined": [str(profile), "--set", "deployment.accelerators=4", "--set",
                         "budget.monthly=1000 EUR"],
        "at-risk": [str(profile), *AT_RISK],
        "infeasible": [str(profile)],
        "waived": [str(waived)],
        "expired-waiver": [str(expired)],
        "baseline-unchanged": [str(profile), "--baseline", str(same)],
        "baseline-worse": [str(profile), "--baseline", str(at_risk)],
        "baseline-new": [str(profile), "--baseline", str(feasible)],
        "malformed": [str(malformed)],
        "missing-file": [str(work / "missing.yaml")],
    }


# case → exit code at --fail-on fail, unknown, warn, never
# Three L40S carry the peak with the p99 TPOT within the warning margin of a 55 ms budget.
AT_RISK = ("--set", "deployment.accelerators=3", "--set", "workload.latency.tpot=55 ms")

MATRIX = {
    "feasible": (0, 0, 0, 0),
    "at-risk": (0, 0, 1, 0),
    "undetermined": (0, 1, 1, 0),
    "infeasible": (1, 1, 1, 0),
    "waived": (0, 0, 0, 0),
    "expired-waiver": (1, 1, 1, 0),
    "baseline-unchanged": (0, 0, 0, 0),
    "baseline-worse": (1, 1, 1, 0),     # warn in the baseline, fail now
    "baseline-new": (1, 1, 1, 0),       # pass in the baseline, fail now
    "malformed": (2, 2, 2, 2),          # never 0, whatever --fail-on says
    "missing-file": (2, 2, 2, 2),
}


@pytest.mark.parametrize("fail_on", FAIL_ON)
@pytest.mark.parametrize("case", list(MATRIX))
def test_exit_code_matrix(cases: dict[str, list[str]], case: str, fail_on: str) -> None:
    result = cli("check", *cases[case], "--fail-on", fail_on, "-f", "json")
    assert result.exit_code == MATRIX[case][FAIL_ON.index(fail_on)], result.stderr
    document = validate(result.stdout)
    assert document["gate"]["exit_code"] == result.exit_code
    assert document["gate"]["fail_on"] == fail_on
    if MATRIX[case][0] == 2:
        assert document["errors"] and not document["profiles"]


def test_default_fail_on_is_unknown(cases: dict[str, list[str]]) -> None:
    result = cli("check", *cases["at-risk"], "-f", "json")
    assert result.exit_code == 0
    assert validate(result.stdout)["gate"]["fail_on"] == "unknown"


def _with_status(status: str) -> api.Report:
    """The feasible profile with its throughput check at ``status`` (an estimate nobody
    could make reports ``unknown``)."""
    report = api.check_file(str(DATA / "radiology-l40s.yaml"), ["deployment.accelerators=4"],
                            on=api.today())
    throughput = next(r for r in report.results if r.id == "compute.throughput")
    throughput.status = status
    throughput.message = "capacity cannot be estimated: no sourced peak for this precision"
    return report._replace(verdict="undetermined")


@pytest.mark.parametrize(("status", "codes"), [
    ("unknown", (0, 1, 1, 0)), ("warn", (0, 0, 1, 0)), ("fail", (1, 1, 1, 0)),
    ("pass", (0, 0, 0, 0)), ("skip", (0, 0, 0, 0)), ("waived", (0, 0, 0, 0)),
])
def test_levels_rank_warn_unknown_fail(status: str, codes: tuple[int, ...]) -> None:
    report = _with_status(status)
    for fail_on, code in zip(FAIL_ON, codes, strict=True):
        assert bool(gate.failing(report, gate.Run(fail_on=fail_on))) == bool(code), fail_on


def test_unknown_in_every_format() -> None:
    from aiceiling.render import github, json_report, junit, markdown, sarif

    report = _with_status("unknown")
    run = gate.Run()
    document = validate(json_report.render([report], [], run))
    assert document["profiles"][0]["verdict"] == "undetermined"
    assert document["profiles"][0]["failing"] == ["compute.throughput"]
    log = validate_sarif(sarif.render([report], [], run))
    [result] = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("compute.throughput", "error")
    relaxed = validate_sarif(sarif.render([report], [], gate.Run(fail_on="fail")))
    assert relaxed["runs"][0]["results"][0]["level"] == "warning"
    case = ET.fromstring(junit.render([report], [], run)).find(
        ".//testcase[@name='compute.throughput']")
    assert case is not None and case.find("failure").get("type") == "unknown"  # type: ignore[union-attr]
    assert "::error file=" in github.render([report], [], run)
    assert "| `compute.throughput` | ❔ unknown |" in markdown.render([report], [], run)


# ============================================================================== baseline
def test_baseline_marks_in_every_format(tmp_path: Path) -> None:
    profile = DATA / "radiology-l40s.yaml"
    first = validate(cli("check", str(profile), "-f", "json").stdout)
    checks = first["profiles"][0]["checks"]
    status = {c["id"]: c for c in checks}
    status["compute.throughput"]["status"] = "warn"    # fail now: worse
    status["compute.context_window"]["status"] = "fail"  # pass now: resolved
    checks.remove(status["compute.tpot"])               # absent there: new
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(first), encoding="utf-8")
    outputs = {kind: tmp_path / f"out.{kind}" for kind in
               ("json", "sarif", "junit", "markdown", "github")}
    result = cli("check", str(profile), "--baseline", str(baseline), "-f", "table",
                 *(f"-f{kind}={path}" for kind, path in outputs.items()))
    assert result.exit_code == 1
    marks = {c["id"]: c.get("baseline") for c in
             validate(outputs["json"].read_text())["profiles"][0]["checks"]}
    assert (marks["compute.throughput"], marks["compute.context_window"], marks["compute.tpot"],
            marks["compute.memory_fit"]) == ("worse", "resolved", "new", "unchanged")
    assert "[worse] peak demand" in result.stdout
    assert "[resolved]" in result.stdout and f"baseline: {baseline}" in result.stdout
    states = {r["ruleId"]: r["baselineState"] for r in
              validate_sarif(outputs["sarif"].read_text())["runs"][0]["results"]}
    # The overload also fails the latency checks (unstable): ttft and e2e as before, tpot new.
    assert states == {"compute.throughput": "updated", "compute.context_window": "absent",
                      "compute.tpot": "new", "compute.ttft": "unchanged",
                      "compute.latency_e2e": "unchanged"}
    junit = ET.parse(outputs["junit"]).getroot()
    out = junit.find(".//testcase[@name='compute.context_window']/system-out")
    assert out is not None and "baseline: resolved" in (out.text or "")
    markdown = outputs["markdown"].read_text()
    assert "| `compute.throughput` | ❌ fail | 6.00 / 4.46 req/s |" in markdown
    assert "**Resolved since the baseline:** `compute.context_window`" in markdown
    assert "compute.throughput fail%2C worse (radiology-report-drafting)" in \
        outputs["github"].read_text()


def test_unchanged_failures_do_not_fail_but_are_reported(tmp_path: Path) -> None:
    profile = str(DATA / "radiology-l40s.yaml")
    baseline = tmp_path / "baseline.json"
    cli("check", profile, "-f", f"json={baseline}")
    result = cli("check", profile, "--baseline", str(baseline), "-f", "junit")
    assert result.exit_code == 0
    case = ET.fromstring(result.stdout).find(".//testcase[@name='compute.throughput']")
    assert case is not None
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message", "").startswith(
        "fail, unchanged since the baseline")


@pytest.mark.parametrize(("content", "message"), [
    ("{", "baseline: not JSON"),
    ('{"schema_version": 2, "profiles": []}', "not an aiceiling JSON report"),
    ('{"schema_version": 1, "profiles": [{"checks": [{"id": 1}]}]}',
     "profiles[0]: expected checks with an id and a status"),
])
def test_bad_baseline_exits_2(tmp_path: Path, content: str, message: str) -> None:
    baseline = tmp_path / "b.json"
    baseline.write_text(content, encoding="utf-8")
    result = cli("check", str(DATA / "radiology-l40s.yaml"), "--baseline", str(baseline))
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


# ============================================================================= selection
def test_check_and_skip_check_select_ids_and_families() -> None:
    profile = str(DATA / "radiology-l40s.yaml")
    only = validate(cli("check", profile, "--check", "data,compute.memory_fit", "-f",
                        "json").stdout)
    ids = [c["id"] for c in only["profiles"][0]["checks"]]
    assert ids == ["compute.memory_fit", "data.residency", "data.boundary", "data.transfer",
                   "data.sufficiency"]
    assert only["profiles"][0]["verdict"] == "feasible"
    # The overload fails the throughput and the latency checks (unstable).
    overload = "compute.throughput,compute.ttft,compute.tpot,compute.latency_e2e"
    skipped = cli("check", profile, "--skip-check", overload, "-f", "json")
    assert skipped.exit_code == 0
    document = validate(skipped.stdout)
    assert "compute.throughput" not in [c["id"] for c in document["profiles"][0]["checks"]]
    assert document["gate"]["skip_checks"] == overload.split(",")
    assert cli("check", profile, "--check", "compute", "-q").exit_code == 1


def test_unknown_check_names_exit_2_with_suggestion() -> None:
    result = cli("check", str(DATA / "radiology-l40s.yaml"), "--check", "compute.tpt",
                 "--skip-check", "energi")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "aiceiling check: --check compute.tpt: no such check or family; did you mean "
        "compute.tpot, compute.ttft, compute?",
        "aiceiling check: --skip-check energi: no such check or family; did you mean "
        "energy?"]


# =============================================================================== waivers
def test_waivers_visible_in_every_format(tmp_path: Path) -> None:
    profile = tmp_path / "waivers.yaml"
    profile.write_text(BASE + WAIVER.format(expires="2027-01-31") + """\
  - check: compute.memory_fit
    reason: Prompt caching pilot.
    expires: 2026-09-30
""", encoding="utf-8")
    outputs = {kind: tmp_path / f"out.{kind}" for kind in
               ("json", "sarif", "junit", "markdown", "github")}
    result = cli("check", str(profile), "-f", "table",
                 *(f"-f{kind}={path}" for kind, path in outputs.items()))
    assert result.exit_code == 0
    reason = "Third L40S ordered, arrives before go-live."
    table = " ".join(result.stdout.split())
    assert f"waived (fail): {reason}" in table
    assert "waiver for compute.memory_fit expired on 2026-09-30" in table
    waivers = validate(outputs["json"].read_text())["profiles"][0]["waivers"]
    assert [(w["check"], w["state"], w["hides"]) for w in waivers] == [
        ("compute.throughput", "applied", "fail"), ("compute.ttft", "applied", "fail"),
        ("compute.tpot", "applied", "fail"), ("compute.latency_e2e", "applied", "fail"),
        ("compute.memory_fit", "expired", "")]
    [sarif_run] = validate_sarif(outputs["sarif"].read_text())["runs"]
    suppressed = sarif_run["results"][0]
    assert len(sarif_run["results"]) == 4
    assert [n["message"]["text"] for n in
            sarif_run["invocations"][0]["toolConfigurationNotifications"]] == [
        "radiology-report-drafting: waiver for compute.memory_fit expired on 2026-09-30: "
        "Prompt caching pilot."]
    assert suppressed["suppressions"][0]["justification"].startswith(reason)
    assert suppressed["suppressions"][0]["kind"] == "inSource"
    junit = ET.parse(outputs["junit"]).getroot()
    skipped = junit.find(".//testcase[@name='compute.throughput']/skipped")
    assert skipped is not None and reason in skipped.get("message", "")
    assert junit.find(".//property[@name='waiver.compute.memory_fit']") is not None
    fit = junit.find(".//testcase[@name='compute.memory_fit']/system-out")
    assert fit is not None and "waiver for compute.memory_fit expired on 2026-09-30: " \
        "Prompt caching pilot." in (fit.text or "")
    markdown = outputs["markdown"].read_text()
    assert f"- compute.throughput: **applied**, hides fail (expires 2027-01-31): {reason}" \
        in markdown
    assert "- compute.memory\\_fit: **expired** (expired 2026-09-30): Prompt caching " \
        "pilot." in markdown
    github = outputs["github"].read_text()
    assert "::notice file=" in github and "::warning file=" in github
    assert "title=waiver expired (radiology-report-drafting)::waiver for " \
        "compute.memory_fit expired on 2026-09-30" in github
    audit = cli("check", str(profile), "--no-waivers", "-f", "json")
    assert audit.exit_code == 1
    states = {w["state"] for w in validate(audit.stdout)["profiles"][0]["waivers"]}
    assert states == {"ignored"}


def test_waiver_for_no_check_exits_2_with_did_you_mean(tmp_path: Path) -> None:
    """A misspelt waiver would waive nothing, silently: it is an input error."""
    profile = tmp_path / "typo.yaml"
    profile.write_text(BASE + """
waivers:
  - check: compute.ttfb
    reason: Typo in the id.
    expires: 2027-03-31
""", encoding="utf-8")
    result = cli("check", str(profile))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{profile}:29:5: waivers[0].check: no check 'compute.ttfb'; did you mean "
        "compute.ttft, compute.tpot, compute.throughput?")


# ========================================================================== config file
def test_config_file_found_upward_and_flags_win(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".aiceiling.yaml").write_text(
        "fail_on: never\nformats: [json]\nskip_checks: [data]\nwarn_at: 50\n",
        encoding="utf-8")
    nested = tmp_path / "team" / "service"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    profile = str(DATA / "radiology-l40s.yaml")
    result = cli("check", profile)
    assert result.exit_code == 0
    document = validate(result.stdout)
    assert document["gate"]["config"] == str(tmp_path / ".aiceiling.yaml")
    assert document["gate"]["warn_at"] == 50
    assert not [c for c in document["profiles"][0]["checks"] if c["family"] == "data"]
    # 50 % margin: the e2e latency (15 % of its budget) passes, TTFT's queueing warns.
    statuses = {c["id"]: c["status"] for c in document["profiles"][0]["checks"]}
    assert statuses["compute.throughput"] == "fail"
    assert cli("check", profile, "--fail-on", "fail", "-q").exit_code == 1
    table = cli("check", profile, "-f", "table", "--warn-at", "80")
    assert f"config: {tmp_path / '.aiceiling.yaml'}" in table.stdout
    assert cli("check", profile, "--no-config", "-q").exit_code == 1


def test_pyproject_tool_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.aiceiling]\nfail_on = "never"\n'
        'checks = ["compute"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("check", str(DATA / "radiology-l40s.yaml"), "-f", "json")
    assert result.exit_code == 0
    document = validate(result.stdout)
    assert document["gate"]["config"] == str(tmp_path / "pyproject.toml")
    assert {c["family"] for c in document["profiles"][0]["checks"]} == {"compute"}


def test_bad_config_exits_2_with_every_error(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".aiceiling.yaml").write_text(
        "fail-on: warn\nwarn_at: 180\nformats: json\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("check", str(DATA / "radiology-l40s.yaml"))
    assert result.exit_code == 2
    config = tmp_path / ".aiceiling.yaml"
    assert result.stderr.splitlines() == [
        f"{config}:1:1: fail-on: unknown setting 'fail-on'; did you mean 'fail_on'?",
        f"{config}:2:1: warn_at: must be a percentage of the limit above 0 and at most 100, "
        "such as 80; got 180",
        f"{config}:3:1: formats: must be a list of text"]


# =============================================================================== outputs
def test_several_outputs_in_one_run(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        outputs = {kind: tmp_path / f"report.{kind}" for kind in
                   ("json", "sarif", "junit", "markdown", "github")}
        result = cli("check", str(DATA / "radiology-l40s.yaml"), "-f", "table",
                     *(f"--format={kind}={path}" for kind, path in outputs.items()))
    finally:
        os.umask(previous)
    assert result.exit_code == 1
    assert result.stdout.startswith("radiology-report-drafting")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in outputs.values())  # no temp file left behind
    for path in outputs.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    validate(outputs["json"].read_text())
    validate_sarif(outputs["sarif"].read_text())
    ET.parse(outputs["junit"])


def test_output_takes_the_format_without_a_file(tmp_path: Path) -> None:
    target = tmp_path / "r.sarif"
    result = cli("check", str(DATA / "radiology-l40s.yaml"), "-f", "sarif", "-o", str(target),
                 "-f", f"junit={tmp_path / 'r.xml'}")
    assert result.exit_code == 1 and result.stdout == ""
    validate_sarif(target.read_text())


@pytest.mark.parametrize(("args", "message"), [
    (("-f", "json", "-f", "sarif"), "only one --format can go to stdout"),
    (("-f", "xml"), "unknown format 'xml'; choose one of table, json, markdown, sarif, junit, "
                    "github"),
    (("-f", "json=a.json", "-f", "sarif=a.json"), "two outputs write the same file"),
    (("-f", "json=a.json", "-o", "b.json"), "--output names the file of the --format given "
                                            "without =FILE"),
    (("-f", "json="), "give a file after '='"),
])
def test_bad_format_combinations_exit_2(args: tuple[str, ...], message: str) -> None:
    result = cli("check", str(DATA / "radiology-l40s.yaml"), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unevaluable_profile_still_writes_valid_documents(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("hardware: l40s", "hardware: l40"), encoding="utf-8")
    outputs = {kind: tmp_path / f"out.{kind}" for kind in
               ("json", "sarif", "junit", "markdown", "github")}
    result = cli("check", str(bad), str(DATA / "radiology-l40s.yaml"),
                 *(f"-f{kind}={path}" for kind, path in outputs.items()))
    assert result.exit_code == 2
    message = f"{bad}:20:3: deployment.hardware: unknown hardware id 'l40'; did you mean " \
        "'l40s', 'l4'?"
    assert result.stderr == message + "\n"
    document = validate(outputs["json"].read_text())
    assert document["errors"] == [{"file": str(bad), "line": 20, "column": 3,
                                   "field": "deployment.hardware",
                                   "message": "unknown hardware id 'l40'; did you mean "
                                              "'l40s', 'l4'?"}]
    assert [p["name"] for p in document["profiles"]] == ["radiology-report-drafting"]
    invocation = validate_sarif(outputs["sarif"].read_text())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == message
    junit = ET.parse(outputs["junit"]).getroot()
    assert junit.get("errors") == "1"
    error = junit.find(".//testcase[@name='profile is valid']/error")
    assert error is not None and error.text == message
    assert "### Could not evaluate" in outputs["markdown"].read_text()
    assert outputs["github"].read_text().startswith(
        f"::error file={bad},line=20,col=3,title=invalid profile"
        "::deployment.hardware: unknown hardware id 'l40'; did you mean 'l40s', 'l4'?\n")


# ====================================================================== folders and stdin
def test_folder_means_every_yaml_under_it_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for path in (tmp_path / "b" / "one.yaml", tmp_path / "a.yaml",
                 tmp_path / ".hidden" / "x.yaml"):
        path.write_text(BASE, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a profile", encoding="utf-8")
    document = validate(cli("check", str(tmp_path), "-f", "json").stdout)
    assert [p["file"] for p in document["profiles"]] == [str(tmp_path / "a.yaml"),
                                                          str(tmp_path / "b" / "one.yaml")]
    # Named again, or inside a folder named too: evaluated once.
    again = validate(cli("check", str(tmp_path / "b" / "one.yaml"), str(tmp_path),
                         "-f", "json").stdout)
    assert [p["file"] for p in again["profiles"]] == [str(tmp_path / "b" / "one.yaml"),
                                                       str(tmp_path / "a.yaml")]


def test_profile_from_stdin() -> None:
    result = cli("check", "-", "-f", "json", stdin=BASE)
    assert result.exit_code == 1
    assert validate(result.stdout)["profiles"][0]["file"] == "<stdin>"
    broken = cli("check", "-", stdin=BASE.replace("kind: llm-inference", "kind: llm"))
    assert broken.exit_code == 2
    assert broken.stderr.startswith("<stdin>:5:3: workload.kind: must be one of")
    assert cli("check", "-", "-").exit_code == 2


# ============================================================================= injection
ESCAPES = {
    "name": 'name: "evil\\e]0;pwned\\a\\e[2J"',
    "description": 'description: "\\x9b31m red"',
    "waiver reason": 'waivers: [{check: compute.tpot, reason: "ok\\r::error::x", '
                     'expires: 2027-01-01}]',
    "key": '"\\u202eevil": 1',
}


@pytest.mark.parametrize("field", list(ESCAPES))
def test_control_characters_rejected_at_load(tmp_path: Path, field: str) -> None:
    profile = tmp_path / "evil.yaml"
    text = BASE.replace("name: radiology-report-drafting\n", "") + ESCAPES[field] + "\n"
    profile.write_text(text, encoding="utf-8")
    outputs = {kind: tmp_path / f"out.{kind}" for kind in
               ("json", "sarif", "junit", "markdown", "github")}
    result = cli("check", str(profile), *(f"-f{kind}={path}" for kind, path in
                                          outputs.items()))
    assert result.exit_code == 2
    assert "control character U+" in result.stderr
    assert "is not allowed in text (it would act on terminals and CI logs)" in result.stderr
    for text in [result.stderr, *(p.read_text(encoding="utf-8") for p in outputs.values())]:
        assert not any(c in text for c in "\x1b\x07\x9b\r\u202e")


def test_catalog_overlay_note_rejected(tmp_path: Path) -> None:
    overlay = tmp_path / "site.yaml"
    overlay.write_text('accelerators:\n  l40s:\n    lead_time: {value: "4 weeks", note: '
                       '"\\e[2Jfast"}\n', encoding="utf-8")
    result = cli("check", str(DATA / "radiology-l40s.yaml"), "--catalog", str(overlay))
    assert result.exit_code == 2
    assert f"{overlay}:3:41: accelerators.l40s.lead_time.note: control character U+001B" \
        in result.stderr


def test_text_cannot_start_a_workflow_command_or_break_markdown(tmp_path: Path) -> None:
    # Line breaks are allowed in YAML text; they must not start a second command.
    profile = tmp_path / "newlines.yaml"
    profile.write_text(BASE.replace(
        "name: radiology-report-drafting",
        'name: "drafting\\n::error file=x.py,line=1::pwned </details><img src=x> | 100%"')
        + WAIVER.format(expires="2027-01-31").replace(
            "Third L40S ordered, arrives before go-live.", '"a\\n::warning::b%0A"'),
        encoding="utf-8")
    outputs = {kind: tmp_path / f"out.{kind}" for kind in
               ("json", "sarif", "junit", "markdown", "github")}
    result = cli("check", str(profile), "-f", "table",
                 *(f"-f{kind}={path}" for kind, path in outputs.items()))
    assert result.exit_code == 0
    github = outputs["github"].read_text()
    commands = [line for line in github.splitlines() if line.startswith("::")]
    # One notice per waived check: the throughput and the three unstable latency checks.
    assert len(commands) == 4 and all(c.startswith("::notice file=") for c in commands)
    assert "drafting%0A%3A%3Aerror file=x.py%2Cline=1%3A%3Apwned" in commands[0]
    assert "waived: a%0A::warning::b%250A" in commands[0]
    markdown = outputs["markdown"].read_text()
    assert not re.search(r"(?<!\\)<img", markdown)
    assert markdown.count("</details>") == markdown.count("<details>") == 1
    assert "\\</details\\>\\<img src=x\\> \\| 100%" in markdown
    assert all(line.count("|") - line.count("\\|") in (0, 5, 6)
               for line in markdown.splitlines() if line.startswith("| "))
    validate(outputs["json"].read_text())
    validate_sarif(outputs["sarif"].read_text())
    ET.parse(outputs["junit"])


def test_text_from_the_api_is_escaped_in_every_format() -> None:
    """A report built through the library, which no loader checked."""
    from aiceiling.render import github, junit, markdown, sarif, table

    report = api.check_file(str(DATA / "radiology-l40s.yaml"), on=api.today())
    report = report._replace(name="\x1b]0;pwned\x07\x1b[2J\u202eevil\r\n::error::x")
    run = gate.Run()
    texts = {"table": table.render([report], color=False),
             "markdown": markdown.render([report], [], run),
             "sarif": sarif.render([report], [], run), "junit": junit.render([report], [], run),
             "github": github.render([report], [], run)}
    for kind, text in texts.items():
        if kind == "table":
            continue  # the table shows what the loader let in; the loader is its guard
        assert not any(c in text for c in "\x1b\x07\r\u202e"), kind
    ET.fromstring(texts["junit"])
    assert all(not line.startswith("::error::x") for line in texts["github"].splitlines())


@pytest.mark.parametrize(("text", "data", "prop"), [
    ("100% done", "100%25 done", "100%25 done"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("file:1, col", "file:1, col", "file%3A1%2C col"),
    ("\x1b[2J", "\\x1b[2J", "\\x1b[2J"),
])
def test_workflow_command_encoding(text: str, data: str, prop: str) -> None:
    """The runner's rules (actions/toolkit, command.ts: escapeData, escapeProperty)."""
    from aiceiling.render.github import escape_data, escape_property

    assert escape_data(text) == data
    assert escape_property(text) == prop


# =========================================================== every format, bundled profiles
@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("bundled")
    outputs = {kind: work / f"out.{kind}" for kind in
               ("json", "sarif", "junit", "markdown", "github")}
    result = cli("check", str(PROFILES), *(f"-f{kind}={path}" for kind, path in
                                           outputs.items()))
    assert result.exit_code == 1, result.stderr
    return outputs


def test_every_bundled_profile_in_json(bundled: dict[str, Path]) -> None:
    document = validate(bundled["json"].read_text())
    assert len(document["profiles"]) == len(list(PROFILES.glob("*.yaml")))


def test_every_bundled_profile_in_sarif(bundled: dict[str, Path]) -> None:
    log = validate_sarif(bundled["sarif"].read_text())
    document = validate(bundled["json"].read_text())
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    specs = list(api.registry())
    assert [r["id"] for r in rules] == [s.id for s in specs]
    for rule, spec in zip(rules, specs, strict=True):
        assert rule["shortDescription"]["text"] == spec.title
        assert rule["help"]["text"] == f"{spec.why}\n\nHow to fix: {spec.fix}"
    expected = [(p["file"], c["id"], c["location"]["line"], c["location"]["column"])
                for p in document["profiles"] for c in p["checks"]
                if c["status"] in ("fail", "warn", "unknown", "waived")]
    found = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"],
              r["locations"][0]["physicalLocation"]["region"]["startLine"],
              r["locations"][0]["physicalLocation"]["region"]["startColumn"])
             for r in run["results"]]
    from aiceiling.render.sarif import uri

    assert found == [(uri(f), i, line, col) for f, i, line, col in expected]
    for result in run["results"]:
        # Under the default --fail-on unknown, an unknown check fails the run too.
        assert result["level"] == ("error" if result["properties"]["status"] in
                                   ("fail", "unknown") else "warning")
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_every_bundled_profile_in_junit(bundled: dict[str, Path]) -> None:
    root = ET.parse(bundled["junit"]).getroot()
    document = validate(bundled["json"].read_text())
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [p["name"] for p in document["profiles"]]
    for suite, profile in zip(suites, document["profiles"], strict=True):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [c["id"] for c in profile["checks"]]
        failed = [c.get("name") for c in cases if c.find("failure") is not None]
        assert failed == profile["failing"]
        assert suite.get("failures") == str(len(failed))
        assert suite.get("skipped") == str(sum(1 for c in cases
                                               if c.find("skipped") is not None))
    assert root.get("tests") == str(sum(len(p["checks"]) for p in document["profiles"]))


def test_every_bundled_profile_in_github_and_markdown(bundled: dict[str, Path]) -> None:
    document = validate(bundled["json"].read_text())
    github = bundled["github"].read_text().splitlines()
    errors = [line for line in github if line.startswith("::error ")]
    assert len(errors) == sum(len(p["failing"]) for p in document["profiles"])
    markdown = bundled["markdown"].read_text()
    count = len(document["profiles"])
    assert count == len(list(PROFILES.glob("*.yaml")))
    assert markdown.startswith(f"## aiceiling: ❌ {count} of {count} profile(s) fail the gate\n")
    assert markdown.count("<details>") == len(document["profiles"])


def test_markdown_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    result = cli("check", "radiology-l40s.yaml", "-f", "markdown", "--no-config")
    expected = (DATA / "golden" / "radiology-l40s.md").read_text(encoding="utf-8")
    assert result.stdout == expected


# ================================================================================ schema
def test_schema_of_a_profile_validates_every_bundled_profile() -> None:
    import datetime as dt

    import jsonschema
    import yaml

    result = cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "aiceiling profile"
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(PROFILES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        plain = json.loads(json.dumps(data, default=lambda d: d.isoformat()
                                      if isinstance(d, dt.date) else str(d)))
        validator.validate(plain)
    with pytest.raises(jsonschema.ValidationError, match="'precison' was unexpected"):
        validator.validate({**plain, "workload": {**plain["workload"], "precison": "bf16"}})


def test_schema_of_the_report() -> None:
    from aiceiling.render.report_schema import SCHEMA

    result = cli("schema", "--report")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == SCHEMA
    for status in ("pass", "warn", "fail", "unknown", "skip", "waived"):
        assert status in SCHEMA["properties"]["profiles"]["items"]["properties"]["checks"][
            "items"]["properties"]["status"]["enum"]


def test_file_names_with_control_characters_are_escaped(tmp_path: Path) -> None:
    """A pull request can add a profile whose file name holds an escape sequence."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "x\x1b]0;pwned\x07\x1b[2J\x9b\u202e.yaml").write_text(
        BASE.replace("name: radiology-report-drafting\n", ""), encoding="utf-8")
    outputs = {kind: tmp_path / f"out.{kind}" for kind in
               ("json", "sarif", "junit", "markdown", "github")}
    result = cli("check", str(folder), "-f", "table",
                 *(f"-f{kind}={path}" for kind, path in outputs.items()))
    assert result.exit_code == 1
    assert "x\\x1b]0;pwned\\x07\\x1b[2J" in result.stdout
    for text in [result.stdout, *(p.read_text(encoding="utf-8") for p in outputs.values())]:
        assert not any(c in text for c in "\x1b\x07\x9b\u202e")


def test_baseline_matches_profiles_by_name_when_paths_differ(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = tmp_path / "baseline.json"
    cli("check", str(DATA / "radiology-l40s.yaml"), "-f", f"json={baseline}")
    monkeypatch.chdir(DATA)
    result = cli("check", "radiology-l40s.yaml", "--baseline", str(baseline), "-f", "json")
    assert result.exit_code == 0
    marks = {c["baseline"] for c in validate(result.stdout)["profiles"][0]["checks"]}
    assert marks == {"unchanged"}


def test_config_catalogs_are_relative_to_the_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "site.yaml").write_text(
        "accelerators:\n  l40s:\n    lead_time: 400 days\n", encoding="utf-8")
    (tmp_path / ".aiceiling.yaml").write_text("catalogs: [catalog/site.yaml]\n",
                                              encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    # The profile without its own lead time, so that the catalog's applies.
    own = tmp_path / "radiology.yaml"
    own.write_text("".join(line for line in BASE.splitlines(keepends=True)
                           if "hardware_lead_time" not in line), encoding="utf-8")
    profile = str(own)
    checks = validate(cli("check", profile, "-f", "json").stdout)["profiles"][0]["checks"]
    availability = next(c for c in checks if c["id"] == "compute.availability")
    assert (availability["status"], availability["value"]) == ("fail", 400.0)
    flag = validate(cli("check", profile, "-f", "json", "--catalog",
                        str(tmp_path / "catalog" / "site.yaml"), "--no-config").stdout)
    assert flag["gate"]["config"] is None
    assert next(c for c in flag["profiles"][0]["checks"]
                if c["id"] == "compute.availability")["status"] == "fail"


def _undescribed(value: object, schema: dict[str, object], path: str) -> list[str]:
    """Keys of ``value`` that ``schema`` does not name, recursively."""
    found: list[str] = []
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        properties: dict[str, dict[str, object]] = schema["properties"]  # type: ignore[assignment]
        for key, item in value.items():
            if key not in properties:
                found.append(f"{path}.{key}")
            else:
                found += _undescribed(item, properties[key], f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            found += _undescribed(item, schema["items"], f"{path}[]")  # type: ignore[arg-type]
    return found


def test_every_field_of_the_report_is_described_in_its_schema(
        bundled: dict[str, Path]) -> None:
    """The schema accepts fields it does not name (additions within a schema version), so
    this catches a field added to the report but not to aiceiling/render/report_schema.py."""
    from aiceiling.render.report_schema import SCHEMA

    document = validate(bundled["json"].read_text())
    assert sorted(set(_undescribed(document, SCHEMA, "$"))) == []


def test_markdown_fits_a_pull_request_comment(tmp_path: Path) -> None:
    from aiceiling.render.markdown import COMMENT_LIMIT

    for index in range(30):
        (tmp_path / f"p{index:02}.yaml").write_text(BASE, encoding="utf-8")
    markdown = cli("check", str(tmp_path), "-f", "markdown").stdout
    assert len(markdown) <= COMMENT_LIMIT
    assert "<details>" not in markdown
    assert "The tables of every check are left out" in markdown
    # Every profile is in the summary table; the sections that do not fit are counted.
    assert markdown.count("| radiology-report-drafting | ") == 30
    sections = markdown.count("**fails the gate**")
    assert 0 < sections <= 30
    if sections < 30:
        assert f"The sections of {30 - sections} more profile(s) are left out" in markdown
    small = cli("check", str(tmp_path / "p00.yaml"), "-f", "markdown").stdout
    assert "<details>" in small and "left out" not in small


def test_vendored_sarif_schema_is_the_shared_one() -> None:
    from report_schema import SARIF_SCHEMA

    shared = Path(__file__).resolve().parents[2] / "shared" / "schemas" / SARIF_SCHEMA.name
    if not shared.is_file():
        pytest.skip("no shared/ folder beside the repository")
    assert SARIF_SCHEMA.read_bytes() == shared.read_bytes()
