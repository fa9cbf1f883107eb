"""agentctl: command-line administration for support desks."""

__version__ = "0.1.0"
