"""Feedback on module 13 (transformer): the cache figure and `tito bench transformer`.

    cache_figure(cost)      # seconds per generated token against the context, with and without the cache
    bench(ctx)              # a training step of the milestone's GPT against PyTorch; the cache's speed-up
"""
from __future__ import annotations

import numpy as np

FIGURES = {"kv_cache": "the time of each generated token as the context grows, with and without the key/value cache"}


def cache_figure(cost):
    """cost: {label: seconds of each generated token, in order}; a line per label against the context."""
    from tito.feedback.plots import _figure

    fig = _figure((8.0, 4.4))
    ax = fig.subplots()
    for label, seconds in cost.items():
        ax.plot(np.arange(1, len(seconds) + 1), 1e3 * np.asarray(seconds), label=label, lw=1.2)
    ax.set_xlabel("context length when the token is generated")
    ax.set_ylabel("milliseconds for this token")
    ax.set_ylim(bottom=0)
    ax.set_title("generation: recomputing the whole context vs one new position per token")
    ax.legend()
    return fig


def figures(ctx, names):
    """(name, Figure, status) for `tito plot transformer`."""
    if "kv_cache" in names:
        yield "kv_cache", cache_figure(token_costs()), ""


def token_costs(tokens=255, timeout=60.0):
    """{label: seconds of each token} for the milestone's GPT (the package's: 4 layers, 128 wide; block 256),
    with and without the cache, measured in a child process whose BLAS uses one thread (on a busy
    machine a two-thread BLAS waits for a core, and the curve would show the waiting).
    timeout: seconds the child may go without finishing a token."""
    import json
    import os
    import sys

    from tito import children
    from tito.console import TitoError

    env = dict(os.environ, **children.ONE_THREAD, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = children.run([sys.executable, "-m", "tito.watchdog", __file__, "tokens", str(tokens)], env=env,
                        capture=True, timeout=timeout)
    if done.timed_out or done.returncode != 0:
        lines = done.stdout.strip().splitlines()
        raise TitoError(f"timing the GPT's tokens failed: {done.stuck_at if done.timed_out else lines[-1:]}",
                        hint="run `tito test transformer` first")
    return {label: np.array(times) for label, times in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def token_times(model, use_cache, tokens=255, repeats=3):
    """Seconds of each of `tokens` greedy tokens from a one-token prompt (the context grows to tokens):
    the fastest of `repeats` runs of each step (the cache put back between them), so that other
    programs on a busy machine do not draw the curve."""
    import time

    from tinytorch.core.autograd import no_grad
    from tinytorch.core.tensor import Tensor
    from tinytorch.core.transformer import KVCache
    from tito import watchdog

    times, context = [], np.zeros((1, 1), np.int64)
    caches = [KVCache() for _ in range(model.n_layer)] if use_cache else []
    with no_grad():
        for _ in range(tokens):
            feed = context[:, -1:] if use_cache and len(caches[0]) else context
            fastest = np.inf
            for repeat in range(repeats):
                saved = [(c.keys, c.values) for c in caches]
                start = time.perf_counter()
                logits = model(Tensor(feed), caches or None).data[:, -1]
                fastest = min(fastest, time.perf_counter() - start)
                if repeat < repeats - 1:
                    for c, (keys, values) in zip(caches, saved):
                        c.keys, c.values = keys, values
            context = np.concatenate([context, logits.argmax(-1)[:, None]], axis=1)
            times.append(fastest)
            watchdog.progress()  # a token is a step: tito's time limit is on time without progress
    return np.array(times)


# ---------------------------------------------------------------- tito bench transformer

STEP_TARGET = 2.0      # a training step at most this multiple of PyTorch's (one thread each)
CACHE_TARGET = 5.0     # generation with the cache at least this many times faster than without
CONTEXT, NEW_TOKENS = 256, 256


def _recipe():
    """milestones/06_gpt/recipe.py: the milestone's GPT in PyTorch, the same as tinytorch.models.GPT."""
    import importlib.util

    from tito.modules import project_root

    path = project_root() / "milestones" / "06_gpt" / "recipe.py"
    spec = importlib.util.spec_from_file_location("tinytorch_gpt_recipe", path)
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    return recipe


def measure(repeats=5):
    """{"step": (ours, PyTorch's or None), "cache": (with, without, same tokens)}: seconds, one BLAS thread."""
    import time

    import tinytorch
    from tinytorch.core.losses import cross_entropy
    from tinytorch.core.optim import AdamW
    from tinytorch.core.tensor import Tensor
    from tinytorch.core.transformer import GPT
    from tito import watchdog
    from tito.bench import median_seconds

    vocab, block, batch = 65, 64, 12
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, vocab, (batch, block)), rng.integers(0, vocab, (batch, block))
    tinytorch.manual_seed(0)
    model = GPT(vocab, block)  # the milestone's: 4 layers, 4 heads, 128 wide
    optimizer = AdamW(model.parameters(), lr=1e-4)

    def ours():
        optimizer.zero_grad()
        cross_entropy(model(Tensor(x)).reshape(batch * block, vocab), Tensor(y.reshape(-1))).backward()
        optimizer.step()

    calls = [ours]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        twin = _recipe().torch_gpt(torch, vocab, block)
        twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
        torch_optimizer = torch.optim.AdamW(twin.parameters(), lr=1e-4)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y.reshape(-1))

        def theirs():
            torch_optimizer.zero_grad()
            torch.nn.functional.cross_entropy(twin(tx).reshape(batch * block, vocab), ty).backward()
            torch_optimizer.step()

        calls.append(theirs)
    step = median_seconds(calls, repeats)
    tinytorch.manual_seed(0)
    long = GPT(vocab, CONTEXT + NEW_TOKENS)
    prompt = rng.integers(0, vocab, (1, CONTEXT))
    seconds, tokens = {}, {}
    for use_cache in (True, False):
        start = time.perf_counter()
        tokens[use_cache] = long.generate(prompt, NEW_TOKENS, top_k=1, use_cache=use_cache).data
        seconds[use_cache] = time.perf_counter() - start
        watchdog.progress()
    return {"step": [step[0], step[1] if torch is not None else None],
            "cache": [seconds[True], seconds[False], bool(np.array_equal(tokens[True], tokens[False]))]}


def bench(ctx):
    """A training step of the milestone's GPT against PyTorch's, and generation with and without
    the cache, in a child process where NumPy's BLAS and PyTorch each use one thread."""
    import sys
    import time

    from tito.bench import ratio_check, run_in_child
    from tito.card import FAIL, PASS, WARN, Card, Check, Row

    start = time.perf_counter()
    ctx.step("a training step of the GPT, then 256 tokens with and without the cache")
    found = run_in_child([sys.executable, "-m", "tito.watchdog", __file__, str(ctx.repeats)], "transformer", ctx)
    ours, theirs = found["step"]
    step = ratio_check("forward+backward+AdamW", ours, theirs, STEP_TARGET, "PyTorch is not installed")
    cached, uncached, same = found["cache"]
    speedup = uncached / cached
    rows = [Row("training step: GPT 4x4x128, batch 12x64", [step]),
            Row(f"generate {NEW_TOKENS} tokens after a context of {CONTEXT}", [
                Check("key/value cache", PASS if speedup >= CACHE_TARGET else WARN,
                      f"{cached:.2f} s with, {uncached:.2f} s without: {speedup:.1f}x faster "
                      f"(target >= {CACHE_TARGET:g}x)"),
                Check("same tokens", PASS if same else FAIL,
                      "greedy tokens identical with and without the cache" if same else
                      "the cache changed the generated tokens")])]
    return Card("transformer", rows, title="TinyTorch transformer speed: NumPy's BLAS and PyTorch on one thread each",
                seconds=time.perf_counter() - start, done="nothing: within the targets")


def _small_gpt_times(tokens):
    """token_costs' child: the times of a seeded GPT, with and without the cache."""
    import tinytorch
    from tinytorch.core.transformer import GPT

    tinytorch.manual_seed(0)
    model = GPT(vocab_size=65, block_size=256)
    return {label: token_times(model, use_cache, tokens).tolist() for label, use_cache in
            (("without the cache", False), ("with the cache", True))}


if __name__ == "__main__":  # the child process of bench() and token_costs(): one-thread BLAS set by its environment
    import json
    import sys

    if sys.argv[1:2] == ["tokens"]:
        print(json.dumps(_small_gpt_times(int(sys.argv[2]))))
    else:
        print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 5)))
