"""Runs: the run folder on disk (schema: every file name and the typed records read back; store: the one writer
that creates a folder, and reading folders back; evaluations: the snapshot and history files), its lock, the
runner that trains a folder, the worker process per job and the registry that starts, pauses and stops them,
launching a run from a front end (its data, then create, start, roll back), the reference runs that floor and cap
a run's charts, what a page shows about a run, and the export of runs as a zip.
It may import files, theory, data, learning and figures; never reproduce, teaching or cli.
"""
