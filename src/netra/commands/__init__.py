"""Command-line wiring for library functions that live in modules without their own CLI."""
