"""The command line, `python -m mechsparse`: one module per sub-command (theory, generate, train, reproduce,
record-lessons) and the parser that dispatches to them. Heavy libraries (torch, scipy, pandas) are imported inside
the sub-command that needs them, so `theory` answers fast. It may import every other package; nothing imports it.
"""
