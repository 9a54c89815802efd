"""Dataset tools: validate, preview, benchmark, starter config."""
