"""Hostile and malformed input through the real CLI: exit 2, a clear message, no traceback.

``tests/malformed/*.yaml`` is a corpus of broken profiles; ``tests/malformed/expected.yaml``
holds the exact stderr each must give (``{path}`` for the path on the command line). An
entry with ``xfail:`` is a known bug: its ``stderr`` is what the CLI should print, and the
message test fails strictly until the bug is fixed and the ``xfail:`` line removed.

Cases that are awkward to commit (binary, non-UTF-8, oversized files, directories) are
generated here, with bad flags and bad ``--set`` arguments. Alias bombs and deep nesting
must fail fast and small: the wall time and peak memory of each process are measured.

Every case is one ``python -m aiceiling`` process. They all start up front, several at a
time (a process spends ~0.3 s importing), and each test reads its own result.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "malformed"
EXPECTED: dict[str, Any] = yaml.safe_load((CORPUS / "expected.yaml").read_text("utf-8"))
FILES = sorted(p.name for p in CORPUS.glob("*.yaml") if p.name != "expected.yaml")
VALID = HERE / "data" / "radiology-l40s.yaml"
VALID_TEXT = VALID.read_text(encoding="utf-8")

ENV = {**os.environ, "AICEILING_TODAY": "2026-11-22", "COLUMNS": "100"}
ENV.pop("AICEILING_DEBUG", None)

TIME_LIMIT_S = 10.0          # generous: each of these is rejected in well under a second
MEMORY_LIMIT_KB = 1_000_000  # generous: the interpreter and its imports take ~60 MB


# ================================================================================ running
class Run(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_kb: int


def run(*args: str) -> Run:
    """``python -m aiceiling ARGS`` in a fresh process, with its wall time and peak memory
    (``os.wait4`` gives the child's own rusage)."""
    with open(os.devnull, "rb") as stdin, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "aiceiling", *args], stdin=stdin,
                                   stdout=out, stderr=err, env=ENV)
        deadline = time.monotonic() + 120
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"aiceiling {args} still running after 120 s")
            time.sleep(0.005)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        rss_kb = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
        return Run(process.returncode, out.read().decode("utf-8"),
                   err.read().decode("utf-8"), seconds, rss_kb)


def assert_clean_exit_2(result: Run) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    assert result.stderr.strip(), "no message at all"


def assert_fast_and_small(result: Run) -> None:
    assert result.seconds < TIME_LIMIT_S, result.seconds
    assert result.max_rss_kb < MEMORY_LIMIT_KB, result.max_rss_kb


def lines(result: Run) -> list[str]:
    return result.stderr.splitlines()


# ========================================================================= generated files
def _billion_laughs(levels: int, width: int) -> str:
    out = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        out.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(out) + "\n"


def _mapping_laughs(levels: int) -> str:
    names = [f"m{i}" for i in range(levels)]
    out = [f"{names[0]}: &{names[0]} {{x: 1, y: 1, z: 1}}"]
    for prev, name in itertools.pairwise(names):
        out.append(f"{name}: &{name} {{x: *{prev}, y: *{prev}, z: *{prev}}}")
    return "\n".join(out) + "\n"


def _profile_with(old: str, new: str) -> bytes:
    assert old in VALID_TEXT, old
    return VALID_TEXT.replace(old, new, 1).encode("utf-8")


TOO_MANY_VALUES = "document too large: more than 100,000 values after expanding aliases"
TOO_DEEP = "document too large: nested deeper than 64 levels"

# name → (content, the exact stderr or None when a test below says more)
ODD_FILES: dict[str, tuple[bytes, str | None]] = {
    "nul-bytes.yaml": (b"aiceiling: 1\n\x00\x01\x02\xff", "{path}: binary file, not YAML text"),
    "elf-header.yaml": (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
                        "{path}: binary file, not YAML text"),
    "latin-1.yaml": ("aiceiling: 1\nname: café\n".encode("latin-1"),
                     "{path}:2:1: not UTF-8 text (byte 0xe9 at offset 22)"),
    "truncated-utf8.yaml": (b"aiceiling: 1\nname: caf\xc3",
                            "{path}:2:1: not UTF-8 text (byte 0xc3 at offset 22)"),
    "bom-only.yaml": (b"\xef\xbb\xbf", "{path}:1:1: the file is empty"),
    "blank-lines.yaml": (b"\n\n   \n", "{path}:1:1: the file is empty"),
    "oversized-comment.yaml": (b"aiceiling: 1\n" + b"#" * 1_000_000,
                               "{path}: file is larger than 1,000,000 bytes"),
    "oversized-scalar.yaml": (b"x" * 1_000_001, "{path}: file is larger than 1,000,000 bytes"),
    # Hostile shapes under the size limit: the loader itself must bound them.
    "alias-bomb-wide.yaml": (_billion_laughs(30, 30).encode(),  # 30**30 values expanded
                             "{path}: " + TOO_MANY_VALUES),
    "alias-bomb-mappings.yaml": (_mapping_laughs(25).encode(), "{path}: " + TOO_MANY_VALUES),
    "deep-flow.yaml": (b"[" * 450_000 + b"]" * 450_000 + b"\n", "{path}: " + TOO_DEEP),
    "deep-flow-unclosed.yaml": (b"x: " + b"{a: " * 200_000 + b"\n", "{path}: " + TOO_DEEP),
    "deep-block-sequences.yaml": (
        ("".join(f"{' ' * i}- \n" for i in range(0, 1_200, 2)) + " " * 1_200 + "- x\n")
        .encode(), "{path}: " + TOO_DEEP),
    # Known bugs, tested below.
    "utf-16.yaml": (VALID_TEXT.encode("utf-16"), None),
    "utf-16-be.yaml": (("\ufeff" + VALID_TEXT).encode("utf-16-be"), None),
    "utf-32.yaml": (VALID_TEXT.encode("utf-32"), None),
    "control-character.yaml": (b"aiceiling: 1\nname: a\x07b\n", None),
    "date-zero.yaml": (_profile_with("go_live: 2027-06-01", "go_live: 0"), None),
    "date-timestamp.yaml": (_profile_with("go_live: 2027-06-01", "go_live: 1800000000"),
                            None),
    "date-and-time.yaml": (_profile_with("go_live: 2027-06-01",
                                         "go_live: 2027-06-01T10:00:00Z"), None),
    "exponent-5e3.yaml": (_profile_with("requests_per_s: 2", "requests_per_s: 5e3"), None),
    "exponent-1E1.yaml": (_profile_with("requests_per_s: 2", "requests_per_s: 1E1"), None),
}
HOSTILE = ["alias-bomb-wide.yaml", "alias-bomb-mappings.yaml", "deep-flow.yaml",
           "deep-flow-unclosed.yaml", "deep-block-sequences.yaml"]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("malformed")
    for name, (content, _) in ODD_FILES.items():
        (directory / name).write_bytes(content)
    (directory / "a-directory.yaml").mkdir()
    with (directory / "sparse-2gb.yaml").open("wb") as handle:  # 2 GB on paper, none on disk
        handle.truncate(2_000_000_000)
    (directory / "python-tag.yaml").write_text(
        "aiceiling: 1\n"
        f"name: !!python/object/apply:os.system ['touch {directory / 'executed'}']\n"
        "description: !!python/object/apply:pathlib.Path.touch "
        f"[!!python/object/apply:pathlib.Path ['{directory / 'executed'}']]\n",
        encoding="utf-8")
    return directory


# ============================================================================ bad arguments
BAD_OPTION_VALUES: list[tuple[tuple[str, ...], list[str]]] = [
    (("check", "--fail-on", "sometimes", "{profile}"),
     ["aiceiling check: --fail-on must be one of fail, unknown, warn, never, not 'sometimes'"]),
    (("check", "--today", "yesterday", "{profile}"),
     ["aiceiling check: --today must be a date YYYY-MM-DD, not 'yesterday'"]),
    (("check", "--today", "2026-02-30", "{profile}"),
     ["aiceiling check: --today must be a date YYYY-MM-DD, not '2026-02-30'"]),
]

BAD_FLAGS: list[tuple[tuple[str, ...], str]] = [
    (("check",), "Missing argument"),
    (("check", "--bogus", "{profile}"), "No such option: --bogus"),
    (("check", "-Z", "{profile}"), "No such option: -Z"),
    (("check", "--format", "xml", "{profile}"), "'xml'"),
    (("check", "{profile}", "--set"), "'--set' requires an argument"),
    (("check", "{profile}", "--output"), "'--output' requires an argument"),
    (("chek", "{profile}"), "No such command 'chek'"),
    (("--nope",), "No such option: --nope"),
    (("catalog", "gpus"), "gpus"),
]

BAD_SETS: list[tuple[str, str]] = [
    ("deployment.accelerators",
     "--set deployment.accelerators: expected PATH=VALUE, e.g. site.power_budget=\"60 kW\""),
    ("=4", "--set =4: expected PATH=VALUE, e.g. site.power_budget=\"60 kW\""),
    ("deployment.acelerators=4",
     "--set deployment.acelerators=4: deployment.acelerators: unknown key 'acelerators'; "
     "did you mean 'accelerators'?"),
    ("nope=1",
     "--set nope=1: nope: unknown key 'nope'; expected one of: aiceiling, name, industry, "
     "description, workload, data, deployment, site, energy, schedule, budget, governance, "
     "waivers"),
    ("deployment.accelerators=four",
     "--set deployment.accelerators=four: deployment.accelerators: must be a whole number; "
     "got 'four'"),
    ("deployment.accelerators=-1",
     "--set deployment.accelerators=-1: deployment.accelerators: must be greater than 0"),
    ("workload.traffic.requests_per_s=.nan",
     "--set workload.traffic.requests_per_s=.nan: workload.traffic.requests_per_s: must be "
     "a finite number; got nan"),
    ("deployment.distance=5 kW",
     "--set deployment.distance=5 kW: deployment.distance: '5 kW' is a power, expected a "
     "length such as '0.5 km'"),
    ("deployment.distance=5 furlongs",
     "--set deployment.distance=5 furlongs: deployment.distance: unknown unit 'furlongs'"),
    ("deployment.hardware=h100-sxn",
     "--set deployment.hardware=h100-sxn: deployment.hardware: unknown hardware id "
     "'h100-sxn'; did you mean 'h100-sxm', 'h200-sxm', 'h100-nvl'?"),
    ("deployment.placement.x=1",
     "--set deployment.placement.x=1: deployment.placement: is not a section that can hold "
     "fields"),
    ("waivers.3=x", "--set waivers.3=x: waivers.3: no such place in the profile"),
    ("site.power_budget={a: [1",
     "--set site.power_budget={a: [1: site.power_budget: YAML syntax error: did not find "
     "expected ',' or ']' (while parsing a flow sequence that starts here)"),
    ("name=!!python/object/apply:os.system ['true']",
     "--set name=!!python/object/apply:os.system ['true']: name: YAML tag "
     "'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("schedule.go_live=2027-02-30",
     "--set schedule.go_live=2027-02-30: schedule.go_live: invalid value '2027-02-30': day "
     "is out of range for month"),
]
BAD_SET_IDS = ["no-equals", "no-path", "misspelt-path", "unknown-path", "wrong-type",
               "negative", "nan", "wrong-dimension", "unknown-unit", "unknown-id",
               "into-a-scalar", "index-out-of-range", "bad-yaml", "python-tag", "bad-date"]

DEEP_SET = "deployment.accelerators=" + "[" * 100_000
LEVELS = "".join(f"&l{i} [" + ", ".join([f"*l{i - 1}" if i else "x"] * 10) + "], "
                 for i in range(12))
BOMB_SET = f"name=[{LEVELS}]"


def _with_profile(args: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(a.replace("{profile}", str(VALID)) for a in args)


def _invocations(work: Path) -> list[tuple[str, ...]]:
    """Every process the tests below start, so that they can all run up front."""
    return [
        *(("check", str(CORPUS / name)) for name in FILES),
        *(("check", str(work / name)) for name in ODD_FILES),
        *(_with_profile(args) for args, _ in BAD_OPTION_VALUES),
        *(_with_profile(args) for args, _ in BAD_FLAGS),
        *(("check", str(VALID), "--set", override) for override, _ in BAD_SETS),
        ("check", str(work / "a-directory.yaml")),
        ("check", str(work / "missing.yaml")),
        ("check", str(work / "sparse-2gb.yaml")),
        ("check", str(work / "python-tag.yaml")),
        ("check", str(CORPUS / "empty.yaml"), str(work / "missing.yaml"), str(VALID)),
        ("check", str(VALID), "--format", "json", "--output",
         str(work / "no" / "such" / "dir" / "report.json")),
        ("check", str(VALID), "--set", BOMB_SET, "--set", DEEP_SET),
    ]


@pytest.fixture(scope="module")
def cli(work: Path) -> Callable[..., Run]:
    """``cli(*args)``: the result of ``python -m aiceiling ARGS``, run up front with the
    others when known, else now."""
    invocations = _invocations(work)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        done = dict(zip(invocations, pool.map(lambda args: run(*args), invocations),
                        strict=True))

    def get(*args: str) -> Run:
        return done[args] if args in done else run(*args)

    return get


# ================================================================================= corpus
def test_corpus_and_expected_match() -> None:
    assert len(FILES) >= 30
    assert sorted(EXPECTED) == FILES, "every corpus file needs an entry, and only those"


@pytest.mark.parametrize("name", FILES)
def test_corpus_exits_2_without_traceback(cli: Callable[..., Run], name: str) -> None:
    path = str(CORPUS / name)
    result = cli("check", path)
    assert_clean_exit_2(result)
    assert result.stdout == ""
    assert all(line.startswith(f"{path}:") for line in lines(result)), result.stderr
    assert_fast_and_small(result)


@pytest.mark.parametrize("name", FILES)
def test_corpus_message(cli: Callable[..., Run], name: str,
                        request: pytest.FixtureRequest) -> None:
    entry = EXPECTED[name]
    expected = entry["stderr"] if isinstance(entry, dict) else entry
    if isinstance(entry, dict) and entry.get("xfail"):
        request.applymarker(pytest.mark.xfail(strict=True, raises=AssertionError,
                                              reason=entry["xfail"]))
    path = str(CORPUS / name)
    assert lines(cli("check", path)) == [line.replace("{path}", path) for line in expected]


def test_python_tag_is_never_executed(cli: Callable[..., Run], work: Path) -> None:
    profile = work / "python-tag.yaml"
    result = cli("check", str(profile))
    assert_clean_exit_2(result)
    assert not (work / "executed").exists()
    assert lines(result) == [
        f"{profile}:2:7: name: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' "
        "is not allowed",
        f"{profile}:3:14: description: YAML tag "
        "'tag:yaml.org,2002:python/object/apply:pathlib.Path.touch' is not allowed"]


# ===================================================================== files that are odd
@pytest.mark.parametrize("name", [n for n, (_, e) in ODD_FILES.items() if e is not None])
def test_odd_files(cli: Callable[..., Run], work: Path, name: str) -> None:
    path = work / name
    result = cli("check", str(path))
    assert_clean_exit_2(result)
    assert result.stdout == ""
    expected = ODD_FILES[name][1]
    assert expected is not None
    assert lines(result) == [expected.replace("{path}", str(path))]
    assert_fast_and_small(result)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_shapes_are_under_the_size_limit(work: Path, name: str) -> None:
    """So that it is the loader's bounds that stop them, not the file-size limit."""
    assert (work / name).stat().st_size < 1_000_000


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "deep-nesting.yaml",
                                  "deep-block-nesting.yaml"])
def test_corpus_bombs_fail_fast_and_small(name: str) -> None:
    result = run("check", str(CORPUS / name))  # alone, not among the others: a clean timing
    assert_clean_exit_2(result)
    assert_fast_and_small(result)


def test_huge_file_is_not_read_whole(cli: Callable[..., Run], work: Path) -> None:
    path = work / "sparse-2gb.yaml"
    result = cli("check", str(path))
    assert_clean_exit_2(result)
    assert lines(result) == [f"{path}: file is larger than 1,000,000 bytes"]
    assert_fast_and_small(result)


@pytest.mark.parametrize("name", ["utf-16.yaml", "utf-16-be.yaml", "utf-32.yaml"])
def test_utf16_and_utf32_are_read(cli: Callable[..., Run], work: Path, name: str) -> None:
    """YAML allows UTF-16 and UTF-32 with a byte-order mark (PowerShell 5 writes UTF-16)."""
    result = cli("check", str(work / name))
    assert result.returncode in (0, 1), result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("name", ["control-character.yaml"])
def test_other_encodings_and_control_characters_exit_2(cli: Callable[..., Run], work: Path,
                                                       name: str) -> None:
    result = cli("check", str(work / name))
    assert_clean_exit_2(result)
    assert result.stderr.startswith(str(work / name))


def test_control_character(cli: Callable[..., Run], work: Path) -> None:
    path = work / "control-character.yaml"
    result = cli("check", str(path))
    assert lines(result) == [
        f"{path}:2:8: YAML syntax error: control character U+0007 is not allowed"]


def test_directory(cli: Callable[..., Run], work: Path) -> None:
    # A folder stands for every *.yaml under it; one with none is an error, not a pass.
    path = work / "a-directory.yaml"
    result = cli("check", str(path))
    assert_clean_exit_2(result)
    assert lines(result) == [f"{path}: folder holds no *.yaml profile"]


def test_missing_file(cli: Callable[..., Run], work: Path) -> None:
    path = work / "missing.yaml"
    result = cli("check", str(path))
    assert_clean_exit_2(result)
    assert lines(result) == [f"{path}: no such file"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(VALID_TEXT, encoding="utf-8")
    path.chmod(0)
    result = run("check", str(path))
    assert_clean_exit_2(result)
    assert lines(result) == [f"{path}: cannot read: Permission denied"]


def test_errors_of_every_file_at_once(cli: Callable[..., Run], work: Path) -> None:
    missing = work / "missing.yaml"
    result = cli("check", str(CORPUS / "empty.yaml"), str(missing), str(VALID))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert lines(result) == [f"{CORPUS / 'empty.yaml'}:1:1: the file is empty",
                             f"{missing}: no such file"]


# ================================================================== values the loader reads
@pytest.mark.parametrize(("name", "value"), [("date-zero.yaml", "0"),
                                             ("date-timestamp.yaml", "1800000000")])
def test_number_is_not_a_date(cli: Callable[..., Run], work: Path, name: str,
                              value: str) -> None:
    path = work / name
    result = cli("check", str(path))
    assert_clean_exit_2(result)
    assert lines(result) == [
        f"{path}:25:3: schedule.go_live: must be a date (YYYY-MM-DD); got {value}"]


def test_datetime_is_not_a_date(cli: Callable[..., Run], work: Path) -> None:
    path = work / "date-and-time.yaml"
    result = cli("check", str(path))
    assert_clean_exit_2(result)
    assert lines(result) == [
        f"{path}:25:3: schedule.go_live: must be a date (YYYY-MM-DD); got a date and time"]


@pytest.mark.parametrize("name", ["exponent-5e3.yaml", "exponent-1E1.yaml"])
def test_exponent_without_point_is_a_number(cli: Callable[..., Run], work: Path,
                                            name: str) -> None:
    result = cli("check", str(work / name))
    assert result.returncode in (0, 1), result.stderr


# ============================================================================== bad flags
@pytest.mark.parametrize(("args", "expected"), BAD_OPTION_VALUES,
                         ids=["fail-on", "today-word", "today-impossible"])
def test_bad_option_values(cli: Callable[..., Run], args: tuple[str, ...],
                           expected: list[str]) -> None:
    result = cli(*_with_profile(args))
    assert_clean_exit_2(result)
    assert result.stdout == ""
    assert lines(result) == expected


@pytest.mark.parametrize(("args", "needle"), BAD_FLAGS,
                         ids=["no-profile", "unknown-long", "unknown-short", "bad-format",
                              "set-no-value", "output-no-value", "misspelt-command",
                              "root-option", "catalog-section"])
def test_bad_flags(cli: Callable[..., Run], args: tuple[str, ...], needle: str) -> None:
    result = cli(*_with_profile(args))
    assert_clean_exit_2(result)
    assert result.stdout == ""
    assert needle in result.stderr


def test_output_into_missing_directory(cli: Callable[..., Run], work: Path) -> None:
    target = work / "no" / "such" / "dir" / "report.json"
    result = cli("check", str(VALID), "--format", "json", "--output", str(target))
    assert_clean_exit_2(result)
    assert str(target) in result.stderr


# ================================================================================== --set
@pytest.mark.parametrize(("override", "expected"), BAD_SETS, ids=BAD_SET_IDS)
def test_bad_set(cli: Callable[..., Run], override: str, expected: str) -> None:
    result = cli("check", str(VALID), "--set", override)
    assert_clean_exit_2(result)
    assert result.stdout == ""
    assert lines(result) == [expected]


def test_set_alias_bomb_and_deep_nesting_fail_fast(cli: Callable[..., Run]) -> None:
    result = cli("check", str(VALID), "--set", BOMB_SET, "--set", DEEP_SET)
    assert_clean_exit_2(result)
    assert_fast_and_small(result)
    assert lines(result) == [
        f"--set {DEEP_SET}: deployment.accelerators: {TOO_DEEP}",
        f"--set {BOMB_SET}: name: {TOO_MANY_VALUES}"]
