"""seccomp-lint: make sure every container in every pod template runs under a seccomp profile."""

__version__ = "0.1.0"
