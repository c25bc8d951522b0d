"""The distribution's version: one line, read by setup.cfg and the client's User-Agent."""

__version__ = "0.1.0"
