"""1997, the LSTM: a network with a memory writes Shakespeare, one character at a time.

Hochreiter and Schmidhuber (1997) gave recurrent networks a cell that gradients can
cross for many steps. Here a character-level LSTM language model (Embedding, LSTM,
Linear) learns seven of the plays shipped with TinyTorch and is measured on the eighth,
Macbeth, which it never sees. The same recipe runs in PyTorch from the same initial
weights on the same batches, side by side: the two validation losses must agree.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core each, as PyTorch below: fair and steady
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import alive, arguments, console, save, table, verdict

import tinytorch
import tinytorch.nn.utils  # tinytorch.nn.utils.clip_grad_norm_, as torch.nn.utils's
import tinytorch.optim.lr_scheduler  # tinytorch.optim and its schedulers, as torch.optim's
from tinytorch.core.tensor import Tensor
from tinytorch.datasets import load_text
from tinytorch.text import CharTokenizer, NextTokenDataset

SEED = 0
STEPS, BATCH, BLOCK = 800, 32, 64          # 800 steps of 32 windows of 64 characters: 1.6 M characters
EMBED, HIDDEN = 64, 256
LR, MIN_LR, CLIP = 6e-3, 6e-4, 1.0          # Adam, cosine from LR to MIN_LR, gradient norm clipped at CLIP
EVAL_EVERY = 100
TOLERANCE, LOSS_TARGET, CPU_MINUTES = 0.03, 1.80, 5.0
# The shortened run of the test suite (--quick): 60 steps, the same comparison, its own loss bound.
QUICK = {"steps": 60, "eval_every": 30, "loss_target": 2.6}
SAMPLE_LENGTH, PROMPT = 400, "MACBETH:\n"


@dataclass
class Framework:
    """What differs between TinyTorch and PyTorch in this program: the import, and arrays in and out."""

    name: str
    torch: object            # the top-level module: tinytorch or torch
    tensor: object           # NumPy array -> tensor
    numpy: object            # tensor -> NumPy array
    history: dict = field(default_factory=lambda: {"step": [], "train": [], "eval_step": [], "val": [], "norm": []})


def make_model(torch, vocab_size):
    nn = torch.nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, EMBED)
            self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, vocab_size)

        def forward(self, idx, state=None):
            out, state = self.lstm(self.embed(idx), state)
            return self.head(out), state

    return CharLSTM()


def validation_loss(fw, model, val_x, val_y, vocab_size):
    """Mean cross-entropy over every character of Macbeth (windows of BLOCK, no overlap)."""
    loss_fn = fw.torch.nn.CrossEntropyLoss(reduction="sum")
    model.eval()
    total = 0.0
    with fw.torch.no_grad():
        for k in range(0, len(val_x), 256):
            logits, _ = model(fw.tensor(val_x[k:k + 256]))
            total += loss_fn(logits.reshape(-1, vocab_size), fw.tensor(val_y[k:k + 256]).reshape(-1)).item()
    model.train()
    return total / val_y.size


def sample(fw, model, tok, rng, length=SAMPLE_LENGTH):
    """`length` characters after PROMPT, each drawn from the model's softmax, the state carried."""
    model.eval()
    ids = tok.encode(PROMPT)
    with fw.torch.no_grad():
        logits, state = model(fw.tensor(np.array([ids])))
        for _ in range(length):
            z = fw.numpy(logits)[0, -1].astype(np.float64)
            p = np.exp(z - z.max())
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
            logits, state = model(fw.tensor(np.array([[ids[-1]]])), state)
    model.train()
    return tok.decode(ids)


def train(fw, model, data, starts, val, tok, vocab_size, progress):
    """STEPS steps of Adam on the batches `starts` picks; returns (validation loss, CPU seconds)."""
    torch = fw.torch
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS, eta_min=MIN_LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.process_time()
    smoothed = None
    for step in range(1, STEPS + 1):
        x, y = data.__getitems__(starts[step - 1])
        optimizer.zero_grad()
        logits, _ = model(fw.tensor(x.data))
        loss = loss_fn(logits.reshape(-1, vocab_size), fw.tensor(y.data).reshape(-1))
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP))
        optimizer.step()
        scheduler.step()
        smoothed = loss.item() if smoothed is None else 0.95 * smoothed + 0.05 * loss.item()
        alive()
        fw.history["step"].append(step)
        fw.history["train"].append(smoothed)
        fw.history["norm"].append(norm)
        if step % EVAL_EVERY == 0 or step == STEPS:
            fw.history["eval_step"].append(step)
            fw.history["val"].append(validation_loss(fw, model, *val, vocab_size))
            if progress:
                console.print(f"  {fw.name:9s} step {step:4d}: train loss {smoothed:.3f}, validation loss "
                              f"{fw.history['val'][-1]:.3f} ({time.process_time() - start:.0f} s of CPU time)")
    return fw.history["val"][-1], time.process_time() - start


def curves_figure(runs):
    from tito.feedback.plots import _figure

    fig = _figure((11.0, 4.4))
    left, right = fig.subplots(1, 2, width_ratios=[1.4, 1])
    for fw, style in zip(runs, ("-", "--")):
        h = fw.history
        left.plot(h["step"], h["train"], style, lw=1.2, label=f"{fw.name}: training (smoothed)")
        left.plot(h["eval_step"], h["val"], style, marker="o", ms=4, label=f"{fw.name}: Macbeth (validation)")
        right.plot(h["step"], h["norm"], style, lw=0.8, label=fw.name)
    left.set_xlabel("step")
    left.set_ylabel("cross-entropy (nats per character)")
    left.set_title("The same recipe, the same first weights")
    left.set_ylim(1.0, 4.5)
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    right.axhline(CLIP, color="grey", ls=":", label=f"max_norm {CLIP:g}: above it, clip_grad_norm_ scales down")
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_title("gradient norm before clipping")
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    return fig


def main():
    args = arguments(__doc__)
    global STEPS, EVAL_EVERY, LOSS_TARGET
    if args.quick:
        STEPS, EVAL_EVERY, LOSS_TARGET = QUICK["steps"], QUICK["eval_every"], QUICK["loss_target"]
        console.print(f"[bold]shortened run[/] (--quick, what the test suite runs): {STEPS} steps instead of 800, "
                      f"the same comparison with PyTorch, validation loss at most {LOSS_TARGET}")
    try:
        import torch
    except ImportError:
        torch = None
        console.print("PyTorch is not installed: TinyTorch trains alone, and the comparison is skipped")
    else:
        torch.set_num_threads(1)
    text, train_text, val_text = load_text(), load_text("train"), load_text("val")
    tok = CharTokenizer().train(text)
    vocab = tok.vocab_size
    data = NextTokenDataset(tok.encode(train_text), BLOCK)
    val_ids = np.array(tok.encode(val_text))
    rows = (len(val_ids) - 1) // BLOCK
    val_x = val_ids[:rows * BLOCK].reshape(rows, BLOCK)
    val_y = val_ids[1:rows * BLOCK + 1].reshape(rows, BLOCK)
    starts = np.random.default_rng(SEED).integers(0, len(data), size=(STEPS, BATCH))
    console.print(f"{len(train_text):,} characters to learn from, {len(val_text):,} to validate on (Macbeth); "
                  f"{vocab} characters; {STEPS} steps of {BATCH} x {BLOCK}")

    ours = Framework("TinyTorch", tinytorch, Tensor, lambda t: t.data)
    tinytorch.manual_seed(SEED)
    model = make_model(tinytorch, vocab)
    runs = [(ours, model)]
    if torch is not None:
        theirs = Framework("PyTorch", torch, torch.from_numpy, lambda t: t.detach().numpy())
        reference = make_model(torch, vocab)
        reference.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})
        runs.append((theirs, reference))
    console.print(f"{model}\n{sum(p.data.size for p in model.parameters()):,} parameters, the same in both")
    console.print(f"\n[bold]Before training[/] (TinyTorch, seed {SEED}):\n" + sample(ours, model, tok,
                                                                                 np.random.default_rng(SEED)))

    results = {}
    for fw, net in runs:
        console.print(f"\n[bold]{fw.name}[/]: training")
        results[fw.name] = train(fw, net, data, starts, (val_x, val_y), tok, vocab, progress=True)
    final = {fw.name: sample(fw, net, tok, np.random.default_rng(SEED)) for fw, net in runs}
    console.print(f"\n[bold]After training[/] (TinyTorch):\n{final['TinyTorch']}")
    if "PyTorch" in final:
        console.print(f"\n[bold]After training[/] (PyTorch, the same draws):\n{final['PyTorch']}")

    table(f"char LSTM on seven plays, validated on Macbeth: Embedding({vocab}, {EMBED}), LSTM({EMBED}, {HIDDEN}), "
          f"Linear({HIDDEN}, {vocab}); Adam {LR:g} cosine to {MIN_LR:g}, clip {CLIP:g}, {STEPS} x {BATCH} x {BLOCK}",
          ["framework", "validation loss", "CPU seconds"],
          [[name, f"{loss:.4f}", f"{cpu:.0f}"] for name, (loss, cpu) in results.items()])
    import matplotlib
    matplotlib.use("Agg")
    save(curves_figure([fw for fw, _ in runs]), args.out / "lstm_curves.png")
    samples = "\n\n".join(f"== {name} after {STEPS} steps ==\n{text}" for name, text in final.items())
    (args.out / "lstm_samples.txt").write_text(samples + "\n")
    loss_ours = results["TinyTorch"][0]
    cpu = sum(seconds for _, seconds in results.values())
    checks = [(f"validation loss at most {LOSS_TARGET} ({loss_ours:.4f})", loss_ours <= LOSS_TARGET),
              ((f"at most {CPU_MINUTES:g} minutes of CPU time for {'both runs' if len(results) > 1 else 'the run'}"
                f", one core each ({cpu / 60:.1f})"), cpu <= 60 * CPU_MINUTES)]
    if "PyTorch" in results:
        loss_theirs = results["PyTorch"][0]
        checks.insert(0, (f"validation loss within {TOLERANCE} of PyTorch's ({loss_ours:.4f} vs {loss_theirs:.4f})",
                          abs(loss_ours - loss_theirs) <= TOLERANCE))
    verdict(checks)


if __name__ == "__main__":
    main()
