"""Command-line face of lupex (typer): thin commands over library functions."""
