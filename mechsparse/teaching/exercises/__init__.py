"""Auto-graded exercises on what mechanism sparsity identifies: one module per kind (identified, twins, breaking for
the 'break' kind, consistent), each a builder and a grader; common holds the Exercise and Grade types and the graph
and text helpers the kinds share; registry maps each kind to its builder and grader and is the public entry point
(make, grade, KINDS, MAX_SEED); scorecard keeps one session's seeds, grades and score. This __init__ imports
nothing, so the kinds may import common, the registry the kinds, and the scorecard the registry, with no import
cycle. Like the rest of teaching, it may import every package below teaching.
"""
