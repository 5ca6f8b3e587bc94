import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session", autouse=True)
def _reports_follow_their_schema() -> Iterator[None]:
    """Every JSON report any test renders in this process is validated against the schema
    that ``aiceiling schema --report`` publishes (subprocess runs are validated where they
    are read, with ``report_schema.validate``)."""
    from report_schema import validate

    from aiceiling.render import json_report

    original = json_report.render

    def checked(*args: Any, **kwargs: Any) -> str:
        text = original(*args, **kwargs)
        validate(text)
        return text

    json_report.render = checked  # type: ignore[assignment]
    yield
    json_report.render = original  # type: ignore[assignment]
