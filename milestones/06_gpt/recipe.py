"""The recipe both libraries follow in the milestone: the GPT in PyTorch (the same layers,
parameter names and maths as tinytorch.models.GPT, so one state_dict loads into both),
AdamW's weight-decay groups and the learning-rate schedule."""
from __future__ import annotations

import math


def torch_gpt(torch, vocab_size, block_size, n_layer=4, n_head=4, n_embd=128):
    """A torch.nn.Module with tinytorch.models.GPT's architecture and state_dict keys (no dropout)."""
    nn, F = torch.nn, torch.nn.functional

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(n_embd, 3 * n_embd)
            self.proj = nn.Linear(n_embd, n_embd)

        def forward(self, x):
            B, T, E = x.shape
            q, k, v = (t.view(B, T, n_head, E // n_head).transpose(1, 2) for t in self.qkv(x).split(E, dim=2))
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(out.transpose(1, 2).reshape(B, T, E))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(n_embd, 4 * n_embd)
            self.proj = nn.Linear(4 * n_embd, n_embd)

        def forward(self, x):
            return self.proj(F.gelu(self.fc(x), approximate="tanh"))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn = nn.LayerNorm(n_embd), Attention()
            self.ln_2, self.mlp = nn.LayerNorm(n_embd), MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = nn.Embedding(vocab_size, n_embd)
            self.pos_emb = nn.Embedding(block_size, n_embd)
            self.blocks = nn.Sequential(*[Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)

        def forward(self, idx):
            T = idx.shape[1]
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
            return self.ln_f(self.blocks(x)) @ self.tok_emb.weight.T

    return GPT()


def decay_groups(named_parameters):
    """AdamW's two groups: weight decay on the matrices (2-D), none on biases and LayerNorms."""
    named = list(named_parameters)
    return ([p for name, p in named if p.ndim >= 2], [p for name, p in named if p.ndim < 2])


def learning_rate(step, peak, low, warmup, total):
    """Linear warm-up to `peak` over `warmup` steps, then a cosine down to `low` at `total`."""
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return low + 0.5 * (1.0 + math.cos(math.pi * progress)) * (peak - low)
