"""Command-line interface: thin Typer commands over aiceiling.api; no computing here."""
