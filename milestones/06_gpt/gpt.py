"""2018, the GPT: a transformer learns to write Shakespeare, one character at a time.

Radford et al. (2018) trained a stack of causal self-attention blocks to predict the next
token and found that it learned language. Here a 4-layer, 4-head, 128-wide GPT reads the
seven plays of the shipped text one character at a time and is scored on the eighth
(Macbeth), which it never sees: the recipe of nanoGPT's CPU run (block 64, batch 12,
2,000 steps, AdamW 1e-3 with warm-up and cosine decay, no dropout). The same model and
recipe run in PyTorch from the same initial weights on the same batches, side by side
(one process and one core each), so the two validation losses can be compared.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, console, save, table, verdict
from recipe import decay_groups, learning_rate, torch_gpt

SEED = 0
BLOCK, BATCH, LAYERS, HEADS, WIDTH = 64, 12, 4, 4, 128
WARMUP, PEAK_LR, LOW_LR, BETAS, DECAY, CLIP = 100, 1e-3, 1e-4, (0.9, 0.99), 0.1, 1.0
TEMPERATURE = 0.8
GAP = 0.03                                      # the most the two validation losses may differ
# steps, evaluation every `every` steps on `batches` batches, the final one on `final`, characters
# sampled, and the most TinyTorch's validation loss may be; --quick is the test suite's shortened run
FULL = {"steps": 2000, "every": 250, "batches": 20, "final": 100, "chars": 300, "target": 1.95}
QUICK = {"steps": 40, "every": 20, "batches": 2, "final": 4, "chars": 40, "target": 3.3}
MINUTES = 10.0                                  # the most CPU time the TinyTorch run may take


def data():
    """(vocabulary, train ids, val ids): characters of the shipped plays, Macbeth for validation."""
    from tinytorch.datasets import load_text

    chars = sorted(set(load_text()))
    code = {c: i for i, c in enumerate(chars)}

    def encode(text):
        return np.array([code[c] for c in text], dtype=np.int64)

    return chars, encode(load_text("train")), encode(load_text("val"))


def batch(ids, index, stream):
    """Batch `index` of `stream` ('train', 'eval-train', 'eval-val'): inputs and targets (BATCH, BLOCK),
    the same for both libraries."""
    rng = np.random.default_rng([SEED, index, ("train", "eval-train", "eval-val").index(stream)])
    starts = rng.integers(0, len(ids) - BLOCK - 1, BATCH)
    x = np.stack([ids[s:s + BLOCK] for s in starts])
    y = np.stack([ids[s + 1:s + BLOCK + 1] for s in starts])
    return x, y


class Library:
    """What differs between the two runs: the model, the optimizer, one step, the loss."""

    def __init__(self, name, vocab, initial):
        self.name = name
        if name == "TinyTorch":
            import tinytorch
            from tinytorch.core.losses import cross_entropy
            from tinytorch.core.optim import AdamW, clip_grad_norm_
            from tinytorch.models import GPT

            self.tt, self.cross_entropy, self.clip = tinytorch, cross_entropy, clip_grad_norm_
            self.model = GPT(len(vocab), BLOCK, LAYERS, HEADS, WIDTH)
            self.model.load_state_dict(initial)
            decay, plain = decay_groups(self.model.named_parameters())
            self.optimizer = AdamW([{"params": decay, "weight_decay": DECAY}, {"params": plain, "weight_decay": 0.0}],
                                   lr=PEAK_LR, betas=BETAS)
        else:
            import torch

            torch.set_num_threads(1)
            self.torch = torch
            self.model = torch_gpt(torch, len(vocab), BLOCK, LAYERS, HEADS, WIDTH)
            self.model.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()})
            decay, plain = decay_groups(self.model.named_parameters())
            self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": DECAY},
                                                {"params": plain, "weight_decay": 0.0}], lr=PEAK_LR, betas=BETAS)

    def loss(self, x, y):
        if self.name == "TinyTorch":
            logits = self.model(self.tt.Tensor(x))
            return self.cross_entropy(logits.reshape(BATCH * BLOCK, -1), self.tt.Tensor(y.reshape(-1)))
        logits = self.model(self.torch.from_numpy(x))
        return self.torch.nn.functional.cross_entropy(logits.reshape(BATCH * BLOCK, -1),
                                                      self.torch.from_numpy(y.reshape(-1)))

    def step(self, x, y, lr):
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.zero_grad()
        loss = self.loss(x, y)
        loss.backward()
        (self.clip if self.name == "TinyTorch" else self.torch.nn.utils.clip_grad_norm_)(self.model.parameters(), CLIP)
        self.optimizer.step()
        return float(loss.item())

    def evaluate(self, ids, stream, batches):
        grad_off = self.tt.no_grad() if self.name == "TinyTorch" else self.torch.no_grad()
        with grad_off:
            return float(np.mean([self.loss(*batch(ids, i, stream)).item() for i in range(batches)]))

    def sample(self, vocab, chars):
        """`chars` characters from a newline, temperature TEMPERATURE (TinyTorch: with the cache)."""
        if self.name != "TinyTorch":
            return None
        out = self.model.generate(np.array([[vocab.index("\n")]]), chars, temperature=TEMPERATURE,
                                  generator=np.random.default_rng(SEED))
        return "".join(vocab[i] for i in out.data[0, 1:])


def train(name, plan, vocab, train_ids, val_ids, initial, report):
    """One library's whole run, in a process of its own on one core (one BLAS thread: run_both sets it in
    the environment before this process starts); results go to `report` (a Queue)."""
    lib = Library(name, vocab, initial)
    steps = plan["steps"]
    history = {"step": [], "train": [], "val": [], "losses": [], "samples": {}}
    history["samples"]["start"] = lib.sample(vocab, plan["chars"])
    start, cpu = time.perf_counter(), time.process_time()
    for step in range(steps + 1):
        if step % plan["every"] == 0 or step == steps:
            history["step"].append(step)
            history["train"].append(lib.evaluate(train_ids, "eval-train", plan["batches"]))
            history["val"].append(lib.evaluate(val_ids, "eval-val", plan["batches"]))
            report.put((name, "progress", (step, history["train"][-1], history["val"][-1],
                                           time.perf_counter() - start)))
        elif step % 25 == 0:
            report.put((name, "tick", step))  # alive: the parent's time limit is on time without progress
        if step < steps:
            history["losses"].append(lib.step(*batch(train_ids, step, "train"),
                                              learning_rate(step, PEAK_LR, LOW_LR, WARMUP, steps)))
    history["seconds"] = time.perf_counter() - start
    history["cpu"] = time.process_time() - cpu  # this process's own time: what the run costs on a shared machine
    history["final_val"] = lib.evaluate(val_ids, "eval-val", plan["final"])
    history["samples"]["end"] = lib.sample(vocab, plan["chars"])
    report.put((name, "done", history))


def run_both(plan, vocab, train_ids, val_ids, initial, libraries):
    """Train each library in its own process at the same time; print progress; {name: history}."""
    from tito import watchdog
    from tito.children import ONE_THREAD

    os.environ.update(ONE_THREAD)  # each process on one core: a busy BLAS thread pool would only wait
    context = multiprocessing.get_context("spawn")
    report = context.Queue()
    workers = [context.Process(target=train, args=(name, plan, vocab, train_ids, val_ids, initial, report))
               for name in libraries]
    for worker in workers:
        worker.start()
    results = {}
    while len(results) < len(workers):
        try:
            name, kind, payload = report.get(timeout=5)
        except queue.Empty:  # nothing new yet
            if any(w.exitcode not in (None, 0) for w in workers):
                raise SystemExit("a training process failed (its error is above)") from None
            continue
        watchdog.progress()
        if kind == "progress":
            step, train_loss, val_loss, seconds = payload
            console.print(f"{name:9s} step {step:5d}/{plan['steps']}  train {train_loss:.4f}  val {val_loss:.4f}  "
                          f"{seconds / 60:5.1f} min")
        elif kind == "done":
            results[name] = payload
    for worker in workers:
        worker.join()
    return results


def figure(results, plan):
    """Training loss of both libraries, their evaluations, and how far apart the two runs are."""
    import matplotlib

    matplotlib.use("Agg")
    from tito.feedback.plots import _figure

    fig = _figure((15.0, 4.6))
    left, middle, right = fig.subplots(1, 3)
    style = {"PyTorch": {"color": "tab:orange", "lw": 4, "alpha": 0.5}, "TinyTorch": {"color": "tab:blue", "lw": 1}}
    for name in ("PyTorch", "TinyTorch"):
        if name not in results:
            continue
        h = results[name]
        losses = np.array(h["losses"])
        smooth = np.convolve(losses, np.ones(25) / 25, mode="valid") if len(losses) > 25 else losses
        left.plot(np.arange(len(smooth)) + (len(losses) - len(smooth)), smooth, label=f"{name} (mean of 25 batches)",
                  **style[name])
        middle.plot(h["step"], h["val"], "-o", ms=3, label=f"{name}: validation (Macbeth)", **style[name])
        middle.plot(h["step"], h["train"], "--", label=f"{name}: train (eval batches)", **style[name])
    left.set_title("training loss: same initial weights, same batches")
    left.set_ylabel("cross-entropy (nats per character)")
    middle.set_title(f"evaluated every {plan['every']} steps")
    if "PyTorch" in results:
        gap = np.abs(np.array(results["TinyTorch"]["losses"]) - np.array(results["PyTorch"]["losses"]))
        right.semilogy(np.maximum(gap, 1e-9), ".", ms=2, color="tab:green")
        right.set_title("|TinyTorch - PyTorch|, training loss of each step")
        right.set_ylabel("difference (equal losses drawn at 1e-9)")
    for ax in (left, middle, right):
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    middle.legend(fontsize=8)
    return fig


def main():
    args = arguments(__doc__)
    import tinytorch
    from tinytorch.models import GPT

    plan = QUICK if args.quick else FULL
    vocab, train_ids, val_ids = data()
    tinytorch.manual_seed(SEED)
    initial = GPT(len(vocab), BLOCK, LAYERS, HEADS, WIDTH).state_dict()
    try:
        import torch  # noqa: F401
        libraries = ["TinyTorch", "PyTorch"]
    except ImportError:
        console.print("PyTorch is not installed: TinyTorch trains alone, and the comparison is skipped")
        libraries = ["TinyTorch"]
    if args.quick:
        console.print(f"[bold]shortened run[/] (--quick, what the test suite runs): {plan['steps']} steps instead of "
                      f"{FULL['steps']}, a validation loss of at most {plan['target']}")
    console.print(f"{len(train_ids):,} training and {len(val_ids):,} validation characters, a vocabulary of "
                  f"{len(vocab)}; GPT {LAYERS} layers x {HEADS} heads x {WIDTH}, block {BLOCK}, batch {BATCH}, "
                  f"{plan['steps']} steps")
    results = run_both(plan, vocab, train_ids, val_ids, initial, libraries)
    ours = results["TinyTorch"]
    console.print(f"\n[bold]TinyTorch, before training[/] ({plan['chars']} characters, temperature {TEMPERATURE}):")
    console.print(ours["samples"]["start"], markup=False)
    console.print(f"\n[bold]TinyTorch, after {plan['steps']} steps[/] (generated with the key/value cache):")
    console.print(ours["samples"]["end"], markup=False)
    rows = [[name, f"{h['final_val']:.4f}", f"{h['val'][-1]:.4f}", f"{h['train'][-1]:.4f}",
             f"{h['cpu'] / 60:.1f}", f"{h['seconds'] / 60:.1f}"] for name, h in sorted(results.items(), reverse=True)]
    table(f"GPT on Shakespeare, {plan['steps']} steps: validation loss on Macbeth ({plan['final']} batches of "
          f"{BATCH}x{BLOCK})",
          ["library", "val loss", f"val ({plan['batches']} batches)", "train", "CPU minutes", "wall minutes"], rows)
    save(figure(results, plan), args.out / "gpt_loss_curves.png")
    checks = [(f"TinyTorch's validation loss at most {plan['target']} ({ours['final_val']:.4f})",
               ours["final_val"] <= plan["target"]),
              (f"the TinyTorch run took at most {MINUTES:g} minutes of CPU time ({ours['cpu'] / 60:.1f})",
               ours["cpu"] <= 60 * MINUTES)]
    if "PyTorch" in results:
        gap = abs(ours["final_val"] - results["PyTorch"]["final_val"])
        said = (f"within {GAP} of PyTorch's on the same recipe and initial weights "
                f"({results['PyTorch']['final_val']:.4f}, a gap of {gap:.4f})")
        checks.insert(1, (said, gap <= GAP))
    verdict(checks)


if __name__ == "__main__":
    main()
