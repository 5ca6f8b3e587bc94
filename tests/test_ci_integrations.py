"""The CI integrations as shipped and documented: docs/ci.md's shell and GitLab examples run
as written, the GitHub Action's check step runs as the runner would run it, the pre-commit
hook's manifest, and Ctrl-C."""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from report_schema import validate, validate_sarif

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
BIN = str(Path(sys.executable).parent)
BUNDLED = len(list((ROOT / "profiles").glob("*.yaml")))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(AICEILING_TODAY="2026-11-22", PATH=BIN + os.pathsep + env.get("PATH", ""),
               NO_COLOR="1", **extra)
    return env


def _blocks(section: str, language: str) -> list[str]:
    """The fenced code blocks of one ``## section`` of docs/ci.md."""
    body = DOC.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", body, flags=re.S)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A project with the bundled profiles, as a user's repository would hold them."""
    shutil.copytree(ROOT / "profiles", tmp_path / "project" / "profiles")
    return tmp_path / "project"


def _bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=300)


def test_plain_shell_example_runs_as_written(repo: Path) -> None:
    script = _blocks("Plain shell", "sh")[0]
    result = _bash(script, repo)
    assert result.returncode == 1, result.stderr
    assert "aiceiling: a check fails the gate (see the table)" in result.stdout
    assert "INFEASIBLE" in result.stdout
    document = validate((repo / "aiceiling.json").read_text(encoding="utf-8"))
    assert len(document["profiles"]) == BUNDLED
    suites = ET.parse(repo / "aiceiling-junit.xml").getroot().findall("testsuite")
    assert len(suites) == BUNDLED


def test_baseline_shell_example_fails_only_on_new_problems(repo: Path) -> None:
    script = _blocks("Plain shell", "sh")[1]
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"],
                    ["checkout", "-qb", "change"]):
        subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True)
    unchanged = _bash(script, repo, BASE_REF="main")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    assert "[unchanged]" in unchanged.stdout
    profile = repo / "profiles" / "healthcare-radiology.yaml"
    text = profile.read_text(encoding="utf-8")
    assert "carbon_budget: 10 t/year" in text
    profile.write_text(text.replace("carbon_budget: 10 t/year", "carbon_budget: 5 t/year"),
                       encoding="utf-8")
    worse = _bash(script, repo, BASE_REF="main")
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "[new] 16.6 MWh a year at 381 g/kWh" in " ".join(worse.stdout.split())


def test_gitlab_example_script_runs_and_writes_its_junit_report(repo: Path) -> None:
    [block] = _blocks("GitLab CI", "yaml")
    job = yaml.safe_load(block)["aiceiling"]
    assert job["artifacts"]["reports"]["junit"] == "aiceiling-junit.xml"
    assert job["artifacts"]["when"] == "always"
    [command] = job["script"]
    result = _bash(command, repo)
    assert result.returncode == 1, result.stderr
    root = ET.parse(repo / job["artifacts"]["reports"]["junit"]).getroot()
    assert int(root.get("failures", "0")) >= BUNDLED
    validate((repo / job["artifacts"]["paths"][0]).read_text(encoding="utf-8"))


def _step(name: str) -> dict[str, object]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def test_action_check_step_runs_as_the_runner_runs_it(repo: Path, tmp_path: Path) -> None:
    step = _step("aiceiling check")
    assert step["shell"] == "bash"
    runner = tmp_path / "runner"
    runner.mkdir()
    output, summary = runner / "output", runner / "summary.md"
    env = {key: str(ACTION["inputs"][re.sub(r".*inputs\.([\w-]+).*", r"\1", value)]["default"])
           for key, value in step["env"].items()}  # type: ignore[attr-defined]
    assert env == {"PROFILES": "profiles", "FAIL_ON": "", "BASELINE": "", "ARGS": "",
                   "SARIF": "aiceiling.sarif"}
    env["ARGS"] = "--skip-check data.sufficiency"
    # GitHub runs a bash step as: bash --noprofile --norc -eo pipefail SCRIPT
    script = runner / "step.sh"
    script.write_text(str(step["run"]), encoding="utf-8")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                            cwd=repo, capture_output=True, text=True, timeout=300,
                            env=_env(**env, RUNNER_TEMP=str(runner), GITHUB_OUTPUT=str(output),
                                     GITHUB_STEP_SUMMARY=str(summary)))
    assert result.returncode == 0, result.stderr
    assert output.read_text() == "exit-code=1\n"
    # The training example fails only on data.sufficiency, which ARGS leaves out.
    assert summary.read_text().startswith(
        f"## aiceiling: ❌ {BUNDLED - 1} of {BUNDLED} profile(s) fail the gate")
    assert re.search(r"^::error file=profiles/healthcare-radiology\.yaml,line=42,col=3,",
                     result.stdout, flags=re.M)
    log = validate_sarif((repo / "aiceiling.sarif").read_text(encoding="utf-8"))
    assert "data.sufficiency" not in {r["ruleId"] for r in log["runs"][0]["results"]}


def test_action_uploads_sarif_then_gates() -> None:
    steps = ACTION["runs"]["steps"]
    assert ACTION["runs"]["using"] == "composite"
    upload = _step("Upload SARIF to code scanning")
    assert str(upload["uses"]).startswith("github/codeql-action/upload-sarif@")
    assert upload["with"] == {"sarif_file": "${{ inputs.sarif-file }}",
                              "category": "aiceiling"}
    assert "always()" in str(upload["if"])
    assert steps[-1]["run"] == 'exit "$CODE"'
    # inputs reach scripts through env, never spliced into the script text
    for step in steps:
        assert "${{" not in str(step.get("run", ""))


def test_documented_workflow_uses_only_the_actions_inputs() -> None:
    workflow = yaml.safe_load(_blocks("GitHub Actions", "yaml")[0])
    [step] = [s for s in workflow["jobs"]["feasibility"]["steps"]
              if "aiceiling" in s.get("uses", "")]
    assert set(step["with"]) <= set(ACTION["inputs"])
    assert workflow["permissions"]["security-events"] == "write"


def test_pre_commit_hook_manifest() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["entry"], hook["language"]) == ("aiceiling", "aiceiling check",
                                                             "python")
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    assert files.search("profiles/radiology.yaml") and files.search("deploy/profiles/a.yml")
    assert not files.search("src/app.yaml")
    assert exclude.search("profiles/.aiceiling.yaml")


def test_documented_config_files_are_valid(tmp_path: Path) -> None:
    from aiceiling import config

    [yaml_text] = _blocks("Config file", "yaml")
    [toml_text] = _blocks("Config file", "toml")
    (tmp_path / ".aiceiling.yaml").write_text(yaml_text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(toml_text, encoding="utf-8")
    loaded = config.load(str(tmp_path / ".aiceiling.yaml"))
    assert loaded.fail_on == "unknown" and loaded.warn_at == 0.8
    assert loaded.formats == ("table", f"sarif={tmp_path / 'aiceiling.sarif'}",
                              f"junit={tmp_path / 'aiceiling.xml'}")
    assert config.load(str(tmp_path / "pyproject.toml")).skip_checks == (
        "governance.provider_dependency",)
    assert config.find(str(tmp_path)) == str(tmp_path / ".aiceiling.yaml")


@pytest.mark.skipif(platform.system() != "Linux" or platform.machine() != "x86_64",
                    reason="waits on /proc/PID/syscall for read(0), an x86-64 Linux number")
def test_ctrl_c_exits_130_without_traceback() -> None:
    process = subprocess.Popen([sys.executable, "-m", "aiceiling", "check", "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_env())
    try:
        # Interrupt once it waits for the profile on stdin, as a user would.
        syscall = Path(f"/proc/{process.pid}/syscall")
        for _ in range(6_000):
            fields = syscall.read_text().split()
            if fields[:2] == ["0", "0x0"]:
                break
            time.sleep(0.01)
        else:
            pytest.fail("never waited on standard input")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert out == "" and err.strip() == "interrupted"


@pytest.mark.skipif(platform.system() != "Linux", reason="a pseudo-terminal for stderr")
def test_progress_on_a_terminal_stderr_only(tmp_path: Path) -> None:
    import pty

    profiles = [str(ROOT / "profiles" / "erp-copilot.yaml"),
                str(ROOT / "profiles" / "mobile-assistant.yaml")]
    report = tmp_path / "report.json"
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "aiceiling", "check", *profiles,
                                "-f", f"json={report}"], stdout=subprocess.DEVNULL,
                               stderr=follower, env=_env())
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    terminal = b"".join(chunks).decode()
    assert process.returncode == 1
    assert f"checking 1/2 {profiles[0]}"[:79] in terminal
    assert terminal.endswith("\r" + " " * 79 + "\r")
    validate(report.read_text(encoding="utf-8"))
    quiet = subprocess.run([sys.executable, "-m", "aiceiling", "check", *profiles, "-q"],
                           capture_output=True, text=True, env=_env(), timeout=120)
    assert quiet.stderr == ""  # not a terminal: no progress


def test_python_example_runs_as_written(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    [code] = _blocks("From Python", "python")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("AICEILING_TODAY", "2026-11-22")
    exec(compile(code, "docs/ci.md", "exec"), {})
    assert capsys.readouterr().out == "infeasible ['data.boundary', 'energy.cost_budget']\n"
