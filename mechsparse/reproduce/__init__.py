"""Reproducing the paper: grids as data (which datasets, methods, seeds and budget) and the grid file they are read
from, the grid folder, the local pool that trains its cells as ordinary runs, the optional Ray backend (imported
only when asked for), the results tables with their verdicts beside the published numbers (shipped as
paper_results.csv), and their figures. It may import every package below it (files up to runs); never teaching or
cli.
"""
