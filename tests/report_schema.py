"""Validation of JSON reports and SARIF logs against their published schemas."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

DATA = Path(__file__).parent / "data"
# The OASIS SARIF 2.1.0 schema (errata01), as in the project's shared/schemas folder.
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"


@functools.cache
def _report_validator() -> Any:
    from aiceiling.render.report_schema import SCHEMA

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


@functools.cache
def _sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def validate(text: str) -> dict[str, Any]:
    """The report parsed, after checking it against ``aiceiling schema --report``."""
    document: dict[str, Any] = json.loads(text)
    _report_validator().validate(document)
    return document


def validate_sarif(text: str) -> dict[str, Any]:
    """The SARIF log parsed, after checking it against the SARIF 2.1.0 schema."""
    document: dict[str, Any] = json.loads(text)
    _sarif_validator().validate(document)
    return document
