"""Learning: the sparse VAE and the baseline methods (methods/), their shared objective, the declared training
configuration and its rules (TrainConfig, PARAM_RULES), the checks made before a run (preflight), the constraint's
annealed bound, the training loop one step at a time, evaluation and metrics (MCC, R_con, SHD), the bounded timeline
a run records for replay, and the CPU times the presets were measured at. torch is imported by the modules that
train, never by config, constraint, metrics or evaluation. It may import files, theory and data.
"""
