"""
The "fragile depth" experiment: why a deep tanh MLP trains badly with a naive
init, and what scaled (Kaiming-style) init and BatchNorm do about it.

We train the same deep MLP three ways and look inside it, at initialisation and
after training:

- naive:     every weight drawn from N(0, 1). Each hidden unit sums ~100 inputs,
             so pre-activations have std ~10 and tanh sits pinned at +-1.
- scaled:    weights N(0, 1) * gain / sqrt(fan_in) with gain 5/3 for tanh, so
             pre-activations stay at roughly unit scale layer after layer.
- batchnorm: scaled, plus BatchNorm1d before every tanh, which *forces* each
             pre-activation to zero mean / unit std on the batch.

The module works on already-encoded tensors (context windows X of token ids,
next-token targets Y) so it knows nothing about where the data came from.
Everything `diagnose` returns is plain data (lists, floats, ints) so a post can
print it, record it, or plot it with `plot_diagnostics`.
"""

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

INITS = ("naive", "scaled", "batchnorm")
SATURATION = 0.97  # |tanh| above this: the local gradient 1 - t^2 is below ~0.06
ACT_BINS = np.linspace(-1.0, 1.0, 51)  # fixed bins so every histogram is comparable
N_GRAD_BINS = 50

# -----------------------------------------------------------------------------
# config + model


@dataclass
class DeepMLPConfig:
    vocab_size: int = 27
    block_size: int = 3  # how many previous tokens we see
    n_embd: int = 10  # size of each token embedding
    n_hidden: int = 100  # width of every hidden layer
    n_layers: int = 5  # number of hidden Linear(+BN)+tanh layers
    init: str = "scaled"  # "naive" | "scaled" | "batchnorm"


class DeepMLP(nn.Module):
    """
    embed -> [Linear -> (BatchNorm1d) -> tanh] * n_layers -> Linear -> logits

    On every forward pass it keeps the pre-tanh and post-tanh activations of
    each hidden layer in `self.pre` / `self.post`, so we can look at their
    statistics. Set `keep_grads = True` to also retain the gradients of the
    tanh outputs (we only do that on the diagnostic passes, not while training).
    """

    def __init__(self, config, generator=None):
        super().__init__()
        if config.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {config.init!r}")
        self.config = config
        use_bn = config.init == "batchnorm"
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        fan_ins = [config.block_size * config.n_embd] + [config.n_hidden] * (config.n_layers - 1)
        # with BatchNorm right after, a Linear bias would be subtracted straight
        # back out by the batch mean, so it would be a parameter that does nothing
        self.linears = nn.ModuleList(nn.Linear(f, config.n_hidden, bias=not use_bn) for f in fan_ins)
        self.norms = nn.ModuleList(nn.BatchNorm1d(config.n_hidden) for _ in fan_ins) if use_bn else None
        self.lm_head = nn.Linear(config.n_hidden, config.vocab_size)
        self.keep_grads = False
        self.pre, self.post = [], []
        self._init_weights(generator)

    @torch.no_grad()
    def _init_weights(self, generator):
        # we draw every parameter ourselves from `generator` rather than rely on
        # PyTorch's default init (which uses the global RNG and is already a
        # scaled init, so it would hide the very problem we want to show)
        init = self.config.init
        self.wte.weight.copy_(torch.randn(self.wte.weight.shape, generator=generator))
        for lin in list(self.linears) + [self.lm_head]:
            w = torch.randn(lin.weight.shape, generator=generator)
            if init != "naive":
                # Kaiming for tanh: 1/sqrt(fan_in) keeps the variance of a sum of
                # fan_in terms at ~1; the 5/3 gain makes up for tanh squashing
                w *= (5 / 3) / math.sqrt(lin.in_features)
            lin.weight.copy_(w)
            if lin.bias is not None:
                lin.bias.zero_()
        if init != "naive":
            # the output layer is not followed by tanh, and we want the initial
            # prediction to be close to uniform (loss ~ log(vocab_size)) instead
            # of confidently wrong, so shrink it a lot
            self.lm_head.weight *= 0.1 / (5 / 3)

    def forward(self, idx, targets=None):
        x = self.wte(idx).view(idx.shape[0], -1)  # (B, block_size * n_embd)
        self.pre, self.post = [], []
        for i, lin in enumerate(self.linears):
            x = lin(x)
            if self.norms is not None:
                x = self.norms[i](x)
            self.pre.append(x)
            x = torch.tanh(x)
            if self.keep_grads:
                x.retain_grad()
            self.post.append(x)
        logits = self.lm_head(x)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss

    def weights(self):
        """The 2-D weight matrices, the ones whose update-to-data ratio we track."""
        return [lin.weight for lin in self.linears] + [self.lm_head.weight]


# -----------------------------------------------------------------------------
# measuring


def _histogram(t, edges):
    return np.histogram(t.detach().numpy().ravel(), bins=edges)[0].tolist()


def _snapshot(model, xb, yb):
    """One forward + backward on a fixed batch, without updating anything."""
    model.zero_grad(set_to_none=True)
    model.keep_grads = True
    _, loss = model(xb, yb)
    loss.backward()
    model.keep_grads = False

    grads = [h.grad for h in model.post]
    # gradients shrink/grow by orders of magnitude between variants, so fixed
    # bins can't work; use symmetric bins wide enough for the widest layer
    g_range = 4 * max(g.std().item() for g in grads)
    g_range = g_range if g_range > 0 else 1.0
    grad_edges = np.linspace(-g_range, g_range, N_GRAD_BINS + 1)

    layers = []
    for i, (p, h, g) in enumerate(zip(model.pre, model.post, grads)):
        sat = h.abs() > SATURATION
        layers.append({
            "layer": i + 1,
            "pre_mean": p.mean().item(),
            "pre_std": p.std().item(),
            "act_mean": h.mean().item(),
            "act_std": h.std().item(),
            "saturated": sat.float().mean().item(),
            # a neuron saturated on *every* example of the batch gets no gradient
            # at all from this batch: it is (for now) dead
            "dead": sat.all(dim=0).float().mean().item(),
            "act_hist": _histogram(h, ACT_BINS),
            "grad_mean": g.mean().item(),
            "grad_std": g.std().item(),
            "grad_hist": _histogram(g, grad_edges),
        })
    model.zero_grad(set_to_none=True)
    return {
        "loss": loss.item(),
        "act_bins": ACT_BINS.tolist(),
        "grad_bins": grad_edges.tolist(),
        "layers": layers,
    }


@torch.no_grad()
def _eval_loss(model, X, Y, batch_size=4096):
    model.eval()  # BatchNorm uses its running statistics, not the batch's
    total = 0.0
    for i in range(0, X.shape[0], batch_size):
        _, loss = model(X[i:i + batch_size], Y[i:i + batch_size])
        total += loss.item() * (min(i + batch_size, X.shape[0]) - i)
    model.train()
    return total / X.shape[0]


def diagnose(cfg, X, Y, steps=1500, batch_size=32, lr=0.1, seed=1337,
             Xval=None, Yval=None, log_every=50, diag_batch_size=512, threads=1):
    """
    Build a DeepMLP from `cfg`, train it with plain SGD on (X, Y) for `steps`
    minibatches, and return what its insides looked like before and after.

    Returns a dict of plain data:
      config, steps, batch_size, lr, seed, diag_batch_size
      init / final: snapshot on the same fixed batch of diag_batch_size windows
          (bigger than a training batch so the histograms are not all noise)
          loss, act_bins, grad_bins, layers: [{layer, pre_mean, pre_std,
          act_mean, act_std, saturated, dead, act_hist, grad_mean, grad_std,
          grad_hist}, ...] for each hidden layer
      train_loss: minibatch loss at every step
      ud_steps, ud: log10 of the update-to-data ratio std(lr*grad)/std(weight)
          for every weight matrix (hidden layers then output), every log_every steps
      val_loss: loss on (Xval, Yval) after training, or None
      seconds: wall-clock time of the whole call

    Runs on `threads` intra-op threads (the caller's setting is restored after).
    The matrices here are tiny, so one thread is as fast as two, and a second
    thread that spin-waits for work becomes 20x slower when the CPU is shared.
    """
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _diagnose(cfg, X, Y, steps, batch_size, lr, seed, Xval, Yval,
                         log_every, diag_batch_size)
    finally:
        torch.set_num_threads(prev_threads)


def _diagnose(cfg, X, Y, steps, batch_size, lr, seed, Xval, Yval, log_every, diag_batch_size):
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    model = DeepMLP(cfg, generator=g)
    model.train()

    # one fixed batch to look inside the network on, before and after training
    dx = torch.randint(0, X.shape[0], (diag_batch_size,), generator=g)
    init = _snapshot(model, X[dx], Y[dx])

    train_loss, ud_steps, ud = [], [], []
    weights = model.weights()
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
        _, loss = model(X[ix], Y[ix])
        model.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            if step % log_every == 0 or step == steps - 1:
                # how big is one step relative to the values it changes? ~1e-3
                # (-3 on this log scale) is the usual healthy rule of thumb
                ud_steps.append(step)
                ud.append([math.log10((lr * w.grad).std().item() / w.std().item() + 1e-30)
                           for w in weights])
            for p in model.parameters():
                p -= lr * p.grad
        train_loss.append(loss.item())

    # val loss first: the train-mode snapshot below nudges BatchNorm's running stats
    val_loss = _eval_loss(model, Xval, Yval) if Xval is not None else None
    final = _snapshot(model, X[dx], Y[dx])

    return {
        "config": asdict(cfg),
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "diag_batch_size": diag_batch_size,
        "init": init,
        "final": final,
        "train_loss": train_loss,
        "ud_steps": ud_steps,
        "ud": ud,
        "val_loss": val_loss,
        "seconds": time.perf_counter() - t0,
    }


def smooth(values, k=50):
    """Mean of consecutive chunks of k values: a readable loss curve from a noisy one."""
    n = len(values) // k * k
    return np.asarray(values[:n], dtype=float).reshape(-1, k).mean(axis=1).tolist()


# -----------------------------------------------------------------------------
# plotting


def plot_diagnostics(results_by_variant, when="init"):
    """
    A grid with one row per variant (e.g. naive / scaled / batchnorm) and two
    columns: the distribution of tanh outputs of every hidden layer overlaid,
    and the distribution of the gradients flowing into those tanh outputs.
    `when` picks the snapshot: "init" or "final" (after training).
    """
    from matplotlib.figure import Figure

    if when not in ("init", "final"):
        raise ValueError(f"when must be 'init' or 'final', got {when!r}")
    names = list(results_by_variant)
    fig = Figure(figsize=(10, 2.6 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 2, squeeze=False)
    for row, name in enumerate(names):
        snap = results_by_variant[name][when]
        act_centers = _centers(snap["act_bins"])
        grad_centers = _centers(snap["grad_bins"])
        ax_a, ax_g = axes[row]
        for layer in snap["layers"]:
            label = f"layer {layer['layer']} ({100 * layer['saturated']:.1f}% sat)"
            ax_a.plot(act_centers, _density(layer["act_hist"], snap["act_bins"]), label=label)
            label = f"layer {layer['layer']} (std {layer['grad_std']:.1e})"
            ax_g.plot(grad_centers, _density(layer["grad_hist"], snap["grad_bins"]), label=label)
        ax_a.set_title(f"{name}: tanh outputs ({when})", fontsize=10)
        ax_g.set_title(f"{name}: gradient at tanh outputs ({when})", fontsize=10)
        ax_a.set_xlim(-1, 1)
        ax_g.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
        for ax in (ax_a, ax_g):
            ax.set_yticks([])
            ax.set_ylim(0, ax.get_ylim()[1] * 1.45)  # headroom for the legend
            ax.legend(fontsize=7, frameon=False, loc="upper center", ncol=3,
                      handlelength=1.2, columnspacing=0.8)
    return fig


def plot_loss_curves(results_by_variant, k=50):
    """Smoothed training loss of each variant on one axis."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    for name, res in results_by_variant.items():
        curve = smooth(res["train_loss"], k)
        ax.plot(np.arange(len(curve)) * k + k / 2, curve, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel(f"train loss (mean of {k} steps)")
    ax.legend(frameon=False)
    return fig


def _centers(edges):
    edges = np.asarray(edges)
    return (edges[:-1] + edges[1:]) / 2


def _density(counts, edges):
    # normalise so layers with different numbers of values share an axis
    counts = np.asarray(counts, dtype=float)
    return counts / max(counts.sum(), 1.0) / np.diff(edges)
