"""User-facing errors: one line, exit code 2, no traceback."""


class SynthError(Exception):
    """Bad input from the user (config, mesh, path). The CLI prints it as one line and exits 2."""
