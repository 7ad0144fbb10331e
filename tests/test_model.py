"""The sparse VAE's pieces: shapes, batched transition = per-latent loop, masks."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from mechsparse.learning.model import LEAKY_SLOPE, BatchedMLP, EdgeMask, SparseVAE, gaussian_kl


def _loop_reference(net: BatchedMLP, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Run latent i's MLP on its own masked input, one latent at a time."""
    outs = []
    for i in range(net.k):
        xi = x * (mask[i] if mask.dim() == 2 else mask[:, i])
        h = xi @ net.weights[0][i] + net.biases[0][i]
        for w, b in zip(net.weights[1:], net.biases[1:], strict=True):
            h = F.leaky_relu(h, LEAKY_SLOPE) @ w[i] + b[i]
        outs.append(h)
    return torch.stack(outs, dim=1)


@pytest.mark.parametrize("per_example", [False, True])
def test_batched_transition_equals_per_latent_loop(per_example):
    torch.manual_seed(0)
    net = BatchedMLP(k=5, d_in=7, hidden=8, layers=2, d_out=2)
    x = torch.randn(11, 7)
    mask = torch.rand(11, 5, 7) if per_example else torch.rand(5, 7)
    out = net(x, mask)
    assert out.shape == (11, 5, 2)
    torch.testing.assert_close(out, _loop_reference(net, x, mask), rtol=1e-5, atol=1e-5)


def test_masked_out_input_has_no_effect():
    torch.manual_seed(1)
    net = BatchedMLP(k=3, d_in=4, hidden=6, layers=1, d_out=1)
    mask = torch.tensor([[1.0, 0, 0, 0], [0, 1, 1, 0], [1, 1, 1, 1]])
    x = torch.randn(9, 4)
    x2 = x.clone()
    x2[:, 3] += 5.0  # only latent 2 sees input 3
    a, b = net(x, mask), net(x2, mask)
    torch.testing.assert_close(a[:, :2], b[:, :2])
    assert not torch.allclose(a[:, 2], b[:, 2])


def test_gumbel_masks_soft_hard_and_frozen():
    gen = torch.Generator().manual_seed(0)
    m = EdgeMask(3, 4, "learned", init_logit=3.0)
    soft = m.sample(gen)
    assert soft.shape == (3, 4) and ((soft > 0) & (soft < 1)).all()
    assert m.sample(gen, n=6).shape == (6, 3, 4)
    hard = m.sample(gen, hard=True)
    values = hard.detach()
    assert torch.allclose(values, values.round(), atol=1e-6)
    hard.sum().backward()  # straight-through: gradients reach the logits
    assert m.logits.grad is not None and (m.logits.grad != 0).all()
    assert float(m.expected_edges().detach()) == pytest.approx(12 * torch.sigmoid(torch.tensor(3.0)).item(), rel=1e-6)
    # the sample mean matches the edge probability
    many = EdgeMask(1, 1, "learned", init_logit=-1.0).sample(gen, n=20_000, hard=True)
    assert float(many.detach().mean()) == pytest.approx(float(torch.sigmoid(torch.tensor(-1.0))), abs=0.02)

    full = EdgeMask(2, 3, "full")
    assert torch.equal(full.sample(gen), torch.ones(2, 3)) and float(full.expected_edges()) == 6.0
    truth = np.array([[1, 0, 1], [0, 1, 0]])
    oracle = EdgeMask(2, 3, "oracle", fixed=truth)
    assert float(oracle.expected_edges()) == 3.0  # a frozen graph counts its edges
    assert torch.equal(oracle.sample(gen, n=4)[2], torch.tensor(truth, dtype=torch.float32))
    assert list(oracle.parameters()) == []
    with pytest.raises(ValueError, match="oracle mask"):
        EdgeMask(2, 2, "oracle", fixed=truth)
    with pytest.raises(ValueError, match="mask mode"):
        EdgeMask(2, 2, "sometimes")


def test_clipping_bounds_learned_logits_and_leaves_frozen_masks_alone():
    model = SparseVAE(6, 3, 2, temporal=True, enc_hidden=8, tr_hidden=8)
    with torch.no_grad():
        model.mask_a.logits.copy_(torch.tensor([[-40.0, 0.5], [7.0, -2.0], [3.0, 12.0]]))
        model.mask_z.logits.fill_(-25.0)
    model.clip_logits(5.0)
    expected = torch.tensor([[-5.0, 0.5], [5.0, -2.0], [3.0, 5.0]])
    assert torch.equal(model.mask_a.logits.detach(), expected)
    assert torch.equal(model.mask_z.logits.detach(), torch.full((3, 3), -5.0))
    oracle = SparseVAE(6, 2, 2, masks="oracle", true_ga=np.eye(2), enc_hidden=8, tr_hidden=8)
    oracle.clip_logits(1.0)  # frozen masks have no logits: nothing to clip, nothing changes
    assert torch.equal(oracle.mask_a.probs(), torch.eye(2))


@pytest.mark.parametrize(("da", "temporal", "t"), [(3, False, 1), (0, True, 3), (2, True, 2), (0, False, 1)])
@pytest.mark.parametrize("hetero", [False, True])
def test_vae_shapes_and_finite_terms(da, temporal, t, hetero):
    torch.manual_seed(0)
    model = SparseVAE(6, 4, da, temporal=temporal, enc_hidden=16, enc_layers=1, tr_hidden=8, tr_layers=1, hetero=hetero)
    x = torch.randn(5, t, 6)
    a = torch.randn(5, t, da) if da else None
    recon, kl = model(x, a, per_sample=True)
    assert recon.shape == (5,) and kl.shape == (5,)
    assert torch.isfinite(recon).all() and torch.isfinite(kl).all()
    mu, logvar = model.encode(x)
    assert mu.shape == (5, t, 4) and logvar.shape == (5, t, 4)
    pa, pz = model.edge_probs()
    assert (pa is None) == (da == 0) and (pz is None) == (not temporal)
    if pa is not None:
        assert pa.shape == (4, da)
    expected_entries = (4 * da) + (16 if temporal else 0)
    assert model.n_mask_entries == expected_entries
    groups = model.mask_parameters() + model.scale_parameters() + model.net_parameters()
    assert len({id(p) for p in groups}) == len(list(model.parameters()))


def test_prior_of_a_latent_ignores_inputs_its_mask_removes():
    torch.manual_seed(0)
    model = SparseVAE(4, 2, 2, masks="oracle", true_ga=np.array([[1, 0], [0, 1]]), enc_hidden=8, tr_hidden=8)
    z = torch.randn(3, 1, 2)
    a = torch.randn(3, 1, 2)
    a2 = a.clone()
    a2[..., 1] += 3.0
    m1, _ = model.prior(z, a, model.sample_mask())
    m2, _ = model.prior(z, a2, model.sample_mask())
    torch.testing.assert_close(m1[..., 0], m2[..., 0])
    assert not torch.allclose(m1[..., 1], m2[..., 1])


def test_gaussian_kl_matches_torch_distributions():
    mu_q, lv_q, mu_p, lv_p = (torch.randn(7) for _ in range(4))
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu_q, (0.5 * lv_q).exp()), torch.distributions.Normal(mu_p, (0.5 * lv_p).exp())
    )
    torch.testing.assert_close(gaussian_kl(mu_q, lv_q, mu_p, lv_p), ref)
