"""Pure formulas on floats in SI units. No pydantic, no YAML, no rich here."""
