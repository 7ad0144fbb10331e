"""The baselines: each loss on a small hand-checked case, the data each method accepts, and that every method trains,
evaluates, checkpoints and resumes through the same trainer as the sparse VAE."""

import math

import numpy as np
import pytest
import torch

from mechsparse.data import synthetic
from mechsparse.learning import methods
from mechsparse.learning.config import default_config
from mechsparse.learning.methods.pcl import PCL
from mechsparse.learning.methods.slowvae import gaussian_laplace_kl
from mechsparse.learning.methods.tcvae import kl_decomposition
from mechsparse.learning.objective import Batch
from mechsparse.learning.preflight import check_trainable
from mechsparse.learning.training import Trainer
from mechsparse.theory import graphs

BASELINES = [m for m in methods.METHOD_NAMES if m != methods.SPARSE]


@pytest.fixture(scope="module")
def action():
    return synthetic.generate(graphs.preset("teach-complete"), 400, seed=0, name="teach-complete")


@pytest.fixture(scope="module")
def temporal():
    return synthetic.generate(graphs.preset("teach-combined"), 300, seed=1, name="teach-combined")


def _cfg(ds, **kw):
    base = {"model_size": "tiny", "batch_size": 32, "eval_every": 5, "eval_samples": 100, "max_steps": 20}
    return default_config(ds, **{**base, **kw})


# ---------------------------------------------------------------- losses on hand-checked cases


def _posteriors(mu: torch.Tensor, scale: float = 0.3):
    logvar = torch.full_like(mu, 2 * math.log(scale))
    return mu + scale * torch.randn(mu.shape, generator=torch.Generator().manual_seed(1)), mu, logvar


def test_total_correlation_is_near_zero_for_independent_latents_and_large_for_dependent_ones():
    g = torch.Generator().manual_seed(0)
    independent = torch.randn(2000, 3, generator=g)
    mi, tc, dw = kl_decomposition(*_posteriors(independent))
    assert abs(float(tc.mean())) < 0.1
    dependent = independent[:, :1].repeat(1, 3) + 0.05 * torch.randn(2000, 3, generator=g)
    _, tc_dep, _ = kl_decomposition(*_posteriors(dependent))
    # aggregate posterior: Gaussian, equicorrelated with rho = 1 / (1 + 0.05^2 + 0.3^2); TC = -1/2 log det R
    rho = 1 / (1 + 0.05**2 + 0.3**2)
    exact = -0.5 * math.log((1 - rho) ** 2 * (1 + 2 * rho))
    assert float(tc_dep.mean()) == pytest.approx(exact, abs=0.15)
    # the three terms add up to the one-sample estimate of KL(q(z|x) || N(0, I))
    z, mu, logvar = _posteriors(independent)
    log_q = -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 / logvar.exp())
    log_p = -0.5 * (math.log(2 * math.pi) + z**2)
    assert torch.allclose(mi + tc + dw, (log_q - log_p).sum(dim=1), atol=1e-4)


def test_gaussian_to_laplace_kl_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    for mu, sigma, loc, rate in ((0.3, 0.2, -0.1, 10.0), (-1.0, 1.5, 0.5, 1.0), (0.0, 0.05, 0.0, 3.0)):
        closed = gaussian_laplace_kl(torch.tensor(mu), torch.tensor(2 * math.log(sigma)), torch.tensor(loc), rate)
        z = mu + sigma * torch.randn(400_000, generator=g, dtype=torch.float64)
        log_q = -0.5 * math.log(2 * math.pi * sigma**2) - (z - mu) ** 2 / (2 * sigma**2)
        log_p = math.log(rate / 2) - rate * (z - loc).abs()
        assert float(closed) == pytest.approx(float((log_q - log_p).mean()), abs=0.01)
    zero = gaussian_laplace_kl(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(0.0), 1.0)
    assert float(zero) > 0  # a Gaussian is never a Laplace: the KL stays positive


def test_pcl_logits_separate_real_from_shuffled_pairs_after_a_few_steps(temporal):
    torch.manual_seed(0)
    model = PCL(temporal.dx, 3, hidden=64, layers=2, psi_hidden=16, psi_layers=1)
    x = torch.as_tensor(np.asarray(temporal.x), dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(150):
        loss = model.loss_terms(Batch(x), g, None).loss.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        real, fake = model.pair_logits(x, g)
    accuracy = 0.5 * (float((real > 0).float().mean()) + float((fake < 0).float().mean()))
    assert accuracy > 0.75
    assert float(loss.detach()) < math.log(4) - 0.2  # below chance: 2 log 2 for one real and one shuffled pair


def test_pcl_regression_function_sums_one_function_per_latent():
    torch.manual_seed(0)
    model = PCL(4, 3, hidden=8, layers=1, psi_hidden=5, psi_layers=1)
    h_next, h_prev = torch.randn(6, 3), torch.randn(6, 3)
    changed = h_prev.clone()
    changed[:, 1] += 1.0  # moving one latent changes only its own psi term
    diff = model.logits(h_next, changed) - model.logits(h_next, h_prev)
    only = h_next.clone(), h_prev.clone()
    with torch.no_grad():
        pairs = torch.cat([h_next, h_prev], dim=-1)
        pairs2 = torch.cat([h_next, changed], dim=-1)
        per_latent = model.psi(pairs2, model.psi_mask) - model.psi(pairs, model.psi_mask)
    assert torch.allclose(diff, per_latent.sum(dim=(1, 2)), atol=1e-6)
    assert torch.allclose(per_latent[:, [0, 2]], torch.zeros(6, 2, 1), atol=1e-6)
    assert only[0].shape == (6, 3)


def test_ivae_prior_reads_the_previous_observation_and_the_actions(temporal):
    torch.manual_seed(0)
    tr = Trainer(temporal, _cfg(temporal, method="ivae"))
    x = torch.randn(5, 3, temporal.dx)
    a = torch.randn(5, 3, temporal.da)
    steps, u = tr.model.auxiliary(Batch(x, a))
    assert torch.equal(steps, x[:, 1:])
    assert torch.equal(u, torch.cat([x[:, :-1], a[:, 1:]], dim=-1))
    terms = tr.model.loss_terms(Batch(x, a), torch.Generator().manual_seed(0), tr.config)
    assert torch.allclose(terms.loss, terms.recon + terms.kl)


def test_supervised_reference_regresses_on_the_true_latents(action):
    tr = Trainer(action, _cfg(action, method="supervised", max_steps=300, batch_size=64, lr=1e-2))
    while not tr.finished:
        tr.step()
    assert tr.summary()["mcc"] > 0.9


def test_random_reference_trains_nothing_and_is_finished_at_once(action):
    tr = Trainer(action, _cfg(action, method="random"))
    assert tr.finished
    before = {k: v.clone() for k, v in tr.model.state_dict().items()}
    tr.evaluate()
    summary = tr.summary()
    assert summary["steps"] == 0 and summary["method"] == "random" and summary["elbo"] is None
    assert summary["mcc"] < 0.9
    assert all(torch.equal(before[k], v) for k, v in tr.model.state_dict().items())
    assert tr.snapshot().progress == 1.0


# ---------------------------------------------------------------- what data each method accepts


def test_incompatible_data_is_one_clear_line(action, temporal):
    for name in ("slowvae", "pcl"):
        with pytest.raises(ValueError, match="needs temporal data") as err:
            check_trainable(action, _cfg(action, method=name))
        assert "\n" not in str(err.value)
    no_aux = synthetic.generate(graphs.GraphSpec(ga=np.eye(3, dtype=int)), 100, seed=0)
    no_aux = type(no_aux)(x=no_aux.x, z=no_aux.z, name="plain")  # no actions, T = 1
    with pytest.raises(ValueError, match="auxiliary variable"):
        check_trainable(no_aux, _cfg(no_aux, method="ivae"))
    no_z = type(action)(x=action.x, a=action.a, ga=action.ga, name="no-z")
    with pytest.raises(ValueError, match="true latents"):
        check_trainable(no_z, _cfg(no_z, method="supervised"))
    with pytest.raises(ValueError, match="true latents"):
        check_trainable(action, _cfg(action, method="supervised", dz=5))
    with pytest.raises(ValueError, match="batch size must be at most"):
        check_trainable(action, _cfg(action, method="tcvae", batch_size=5000))
    with pytest.raises(ValueError, match="method must be one of"):
        _cfg(action, method="vae")
    for name in ("ivae", "tcvae", "slowvae", "pcl", "random"):  # temporal data with actions suits them all
        check_trainable(temporal, _cfg(temporal, method=name))


# ---------------------------------------------------------------- the same engine for every method


@pytest.mark.parametrize("name", BASELINES)
def test_every_method_trains_measures_and_learns_no_graph(name, action, temporal):
    ds = action if methods.get(name).needs != "temporal" else temporal
    tr = Trainer(ds, _cfg(ds, method=name))
    while not tr.finished:
        tr.step()
    tr.evaluate()
    snap, row, summary = tr.snapshot(), tr.history[-1], tr.summary()
    assert snap.edge_probs_a is None and snap.edge_probs_z is None and snap.matched_probs_a is None
    assert snap.corr is not None and snap.coef is not None and snap.metrics.mcc is not None
    assert summary["method"] == name and summary["shd_a"] is None and summary["shd_z"] is None
    assert summary["bound"] is None and snap.multiplier is None
    has_elbo = methods.get(name).has_elbo
    assert (row["elbo"] is not None) == has_elbo and (summary["elbo"] is not None) == has_elbo
    assert math.isnan(snap.elbo) != has_elbo


@pytest.mark.parametrize("name", [m for m in BASELINES if methods.get(m).trains])
def test_every_method_resumes_the_same_trajectory(tmp_path, name, temporal):
    tr = Trainer(temporal, _cfg(temporal, method=name))
    for _ in range(7):
        tr.step()
    tr.save_checkpoint(tmp_path / "ck.pt")
    expected = [tr.step()["loss"] for _ in range(3)]
    resumed = Trainer.load_checkpoint(tmp_path / "ck.pt", temporal)
    assert resumed.config.method == name and resumed.step_count == 7
    assert [resumed.step()["loss"] for _ in range(3)] == expected


def test_baselines_ignore_the_sparsity_settings_and_default_to_their_budgets(temporal):
    ivae = default_config(temporal, method="ivae")
    assert ivae.sparsity == "none" and ivae.max_steps == default_config(temporal).max_steps
    assert default_config(temporal, method="supervised").max_steps == 3000
    assert default_config(temporal, method="supervised", max_seconds=5).max_steps is None
    forced = Trainer(temporal, _cfg(temporal, method="tcvae", sparsity="constraint"))
    assert forced.target_bound is None and not forced.regularised and forced.model.n_mask_entries == 0


def test_a_baseline_run_is_labelled_and_listed_by_its_method(action, runs_dir):
    from mechsparse.runs import store

    folder = store.create_run(action, _cfg(action, method="ivae", seed=3), "teach-complete")
    assert store.load_run(folder.name, arrays=False).label == "teach-complete-ivae-s3"
    sparse = store.create_run(action, _cfg(action), "teach-complete")
    table = store.list_runs().set_index("run")
    assert table.loc[folder.name, "method"] == "iVAE" and table.loc[folder.name, "mode"] == ""
    assert table.loc[sparse.name, "method"] == "Sparse VAE" and table.loc[sparse.name, "mode"] == "constraint"


def test_panels_of_a_method_without_a_graph_say_so_and_keep_the_rest(action):
    from mechsparse.figures.curves import PRESENTATION_CURVES, curve_panels
    from mechsparse.figures.panels import presentation_panels, run_panels

    tr = Trainer(action, _cfg(action, method="ivae"))
    tr.step()
    snap = tr.snapshot()
    big = presentation_panels(snap, action.graphs, None, no_graph="iVAE", has_elbo=True)
    assert set(big) == {"graphs", "entanglement", "corr", "curves"}
    assert "no Ga learned (iVAE)" in big["graphs"].layout.annotations[0].text
    assert len(big["graphs"].layout.shapes) == int(action.ga.sum())  # the true edges outlined, nothing learned
    panels = run_panels(snap, action.graphs, no_graph="iVAE")
    assert "iVAE has no graph" in panels["learned_ga"].layout.annotations[0].text
    assert {"true_ga", "coef", "corr", "pattern"} <= set(panels)
    assert curve_panels(False, True, presentation=True) == ("mcc", "elbo", "loss")
    assert curve_panels(False, False) == ("mcc", "loss")
    assert curve_panels(True, True, presentation=True) == PRESENTATION_CURVES


def test_reference_runs_are_found_by_the_data_they_share(action, temporal, runs_dir):
    from mechsparse.runs import references, runner, store

    assert store.dataset_fingerprint(action) == store.dataset_fingerprint(action.subset(np.arange(action.n)))
    assert store.dataset_fingerprint(action) != store.dataset_fingerprint(temporal)
    main = store.create_run(action, _cfg(action), "teach-complete")
    data_id = store.load_run(main.name, arrays=False).meta.data_id
    assert references.reference_runs(data_id) == {}
    floor = store.create_run(action, _cfg(action, method="random"), "teach-complete")
    other = store.create_run(temporal, _cfg(temporal, method="random"), "teach-combined")
    for folder in (floor, other):
        runner.train_run(folder)
    found = references.reference_runs(data_id)
    assert set(found) == {"random"} and found["random"].run_id == floor.name
    assert references.reference_runs("") == {}


def test_curves_draw_the_reference_lines_on_the_mcc_panel():
    import pandas as pd

    from mechsparse.figures.curves import training_curves

    history = pd.DataFrame({"step": [0, 10], "mcc": [0.4, 0.8], "r_con": [0.5, 0.9]})
    fig = training_curves(history, references={"ceiling: supervised": 0.99, "floor: random": 0.36})
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert sorted(round(s.y0, 2) for s in lines) == [0.36, 0.99]
    texts = {a.text for a in fig.layout.annotations}
    assert {"ceiling: supervised 0.99", "floor: random 0.36"} <= texts


def test_ivae_kl_against_a_standard_normal_prior_by_hand(temporal):
    """With the prior network's last layer zeroed, p(z | u) = N(0, I) for every u, so the KL is the textbook
    0.5 (sigma^2 + mu^2 - 1 - log sigma^2), summed over latents and the scored steps t >= 1."""
    tr = Trainer(temporal, _cfg(temporal, method="ivae"))
    last = tr.model.prior_net[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
    x = torch.randn(4, 3, temporal.dx, generator=torch.Generator().manual_seed(2))
    a = torch.randn(4, 3, temporal.da)
    terms = tr.model.loss_terms(Batch(x, a), torch.Generator().manual_seed(0), tr.config)
    with torch.no_grad():
        mu, logvar = tr.model.encode(x[:, 1:])
        by_hand = 0.5 * (logvar.exp() + mu**2 - 1 - logvar)
    assert torch.allclose(terms.kl, by_hand.sum(dim=(1, 2)) / (2 * temporal.dx), atol=1e-5)


def test_supervised_loss_is_the_mean_squared_error_to_the_true_latents(action):
    tr = Trainer(action, _cfg(action, method="supervised"))
    x = torch.as_tensor(np.asarray(action.x[:5]))
    z = torch.as_tensor(np.asarray(action.z[:5]))
    terms = tr.model.loss_terms(Batch(x, None, z), None, tr.config)
    with torch.no_grad():
        expected = ((tr.model.encoder(x) - z) ** 2).mean(dim=(1, 2))
    assert torch.allclose(terms.loss, expected) and terms.recon is None and terms.kl is None


def test_clamped_logsumexp_matches_torch_in_value_and_gradient():
    from mechsparse.learning.methods.tcvae import logsumexp

    g = torch.Generator().manual_seed(0)
    x = (torch.randn(6, 50, 4, generator=g) * torch.tensor([1.0, 30.0, 1e3, 1e4])).requires_grad_()
    ours, theirs = logsumexp(x, dim=1), torch.logsumexp(x, dim=1)
    assert torch.allclose(ours, theirs, rtol=1e-6, atol=1e-5)
    (grad_ours,) = torch.autograd.grad(ours.sum(), x)
    (grad_theirs,) = torch.autograd.grad(theirs.sum(), x)
    assert torch.allclose(grad_ours, grad_theirs, atol=1e-6)
