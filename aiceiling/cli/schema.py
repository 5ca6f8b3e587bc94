"""Print the JSON Schema of a profile (for editors and validators), or with --report the
schema of the JSON report that check --format json writes.

Editors that use the YAML language server (VS Code's YAML extension, Neovim, Helix) check
and complete a profile whose first line names the schema:

\b
    aiceiling schema > aiceiling-profile.schema.json
    # yaml-language-server: $schema=./aiceiling-profile.schema.json
"""

import json
import sys
from typing import Annotated, Any

import typer

from aiceiling.cli.app import EXIT_INVALID


def profile_schema() -> dict[str, Any]:
    """The profile's JSON Schema, generated from the pydantic model that validates it."""
    from aiceiling.profile.model import Profile

    schema = Profile.model_json_schema()
    schema["title"] = "aiceiling profile"
    schema["description"] = ("A planned AI workload for `aiceiling check` (SPEC §3). "
                             "Quantities are text with their unit, e.g. '40 kW'.")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema(
    report: Annotated[bool, typer.Option(
        "--report", help="The schema of the JSON report (check --format json) instead.")]
        = False,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the schema to FILE atomically.")] = None,
) -> None:
    """Print the JSON Schema of a profile, or of the report with --report."""
    from aiceiling.cli.output import write

    if report:
        from aiceiling.render.report_schema import SCHEMA

        document = SCHEMA
    else:
        document = profile_schema()
    try:
        write(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n", output)
    except OSError as exc:
        print(f"aiceiling schema: --output {output}: cannot write: {exc.strerror}",
              file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
