"""New runs from a front end: the data a new run trains on (DataSource: a preset, graphs to generate from, or a
dataset), and launch_run, which checks that the run can train, creates its folder, starts its job and removes the
folder again if the job cannot start, so a refused start leaves nothing behind. The Train and Lessons pages (and the
reference runs) start runs this one way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from mechsparse.data import synthetic
from mechsparse.data.dataset import Dataset
from mechsparse.learning import expectations, methods
from mechsparse.learning.config import TrainConfig, default_config, default_samples
from mechsparse.learning.preflight import check_trainable
from mechsparse.runs import store
from mechsparse.runs.jobs import JobRegistry
from mechsparse.theory import graphs

PRESET, THEORY, DATA = "preset", "theory", "data"  # where a new run's data comes from (DataSource.kind)


@dataclass(frozen=True)
class DataSource:
    """Where a new run's data comes from: a preset by name (generated), the Theory page's graphs (generated), or
    the Data page's dataset; ``spec`` and ``dataset`` are what those pages hold now (None: nothing yet)."""

    kind: str  # PRESET | THEORY | DATA
    preset: str
    spec: graphs.GraphSpec | None = None
    dataset: Dataset | None = None

    @property
    def true_graphs(self) -> graphs.GraphSpec | None:
        """The true graphs of the data a new run would train on (None when they are unknown)."""
        if self.kind == PRESET:
            return graphs.preset(self.preset)
        if self.kind == THEORY:
            return self.spec
        return None if self.dataset is None else self.dataset.graphs

    def refusal(self, method: methods.Method) -> str | None:
        """Why ``method`` cannot train on this data, in one line (None when it can, or when no data is chosen)."""
        ds = self.dataset
        if self.kind == DATA:
            return (
                None if ds is None else method.refusal(temporal=ds.t > 1, actions=ds.da > 0, latents=ds.z is not None)
            )
        spec = self.true_graphs
        if spec is None:
            return None
        return method.refusal(temporal=spec.gz is not None, actions=spec.ga is not None)

    def budget_words(self, method: methods.Method) -> str:
        """How long ``method`` trains by default, in one sentence."""
        if not method.trains:
            return "Nothing to train: the untrained encoder is measured at once."
        if method.default_steps is not None:
            return f"It trains for {method.default_steps:,} steps unless you set a limit."
        if self.kind == PRESET:
            steps = default_config(self.preset).max_steps
            return f"It trains for the sparse VAE's budget on {self.preset}, {steps:,} steps, unless you set a limit."
        return "It trains for the sparse VAE's budget on this data unless you set a limit."

    def time_words(self) -> str:
        """How long the sparse VAE trains on the preset with its default settings, as the benchmarks measured."""
        measured = expectations.describe(self.preset)
        if measured:
            return f"{self.preset} with its default settings: {measured}"
        return (
            f"No measured time for {self.preset} yet; the papers' 10-latent action presets need about 15 s and the "
            "temporal ones 3-10 min on a 2-core CPU (BENCHMARKS.md)."
        )

    def make(self, n: int | None, seed: int) -> tuple[Dataset, str]:
        """The dataset a new run trains on, and a short name for it: generated with ``n`` samples (None: the tuned
        count) from ``seed``, or the chosen dataset. A one-line ValueError when the page holds nothing yet."""
        if self.kind == PRESET:
            n = default_samples(self.preset) if n is None else n
            return synthetic.generate(graphs.preset(self.preset), n, seed=seed, name=self.preset), self.preset
        if self.kind == THEORY:
            if self.spec is None:
                raise ValueError("no graphs on the Theory page yet: open Theory and pick or edit a graph first")
            n = default_samples(self.spec) if n is None else n
            return synthetic.generate(self.spec, n, seed=seed, name="theory-graphs"), "theory-graphs"
        if self.dataset is None:
            raise ValueError("no dataset chosen on the Data page yet: generate or upload one there first")
        return self.dataset, self.dataset.name


def launch_run(registry: JobRegistry, dataset: Dataset, config: TrainConfig, name: str, *, source: str = "app") -> str:
    """Start training ``config`` on ``dataset`` as a new run named after ``name``; returns its run id.

    Every refusal comes before anything is written: a one-line ValueError when the run cannot train (a missing
    bound, 'cuda' without a GPU), JobLimitError when the registry is full. If the job then fails to start, its
    folder is deleted and the start's own error is raised."""
    check_trainable(dataset, config)
    registry.check_capacity()
    run_id = store.create_run(dataset, config, name, source=source).name
    try:
        registry.start(run_id)
    except BaseException:
        with contextlib.suppress(ValueError, OSError):  # never mask why the start failed
            store.delete_run(run_id)
        raise
    return run_id
