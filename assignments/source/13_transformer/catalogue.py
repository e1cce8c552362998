"""Module 13's catalogue: learner mistakes its tests catch (PyTorch absent too) and
correct variants, written differently, that they pass."""
from tito.catalogue import Mistake, Variant

AT_LEAST = 15  # the catalogue keeps at least this many mistakes

MISTAKES = [
    Mistake("layer_norm_over_the_batch", "the mean and variance taken over axis 0 (the batch)", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    axes = _norm_axes(x, normalized_shape)
    mean = x.data.mean(axis=0, keepdims=True)
    centred = x.data - mean
    r = 1.0 / np.sqrt((centred * centred).mean(axis=0, keepdims=True) + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * (grad - grad.mean(axis=0, keepdims=True) - x_hat * (grad * x_hat).mean(axis=0, keepdims=True)),)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Mistake("layer_norm_over_everything", "one mean and variance over the whole tensor", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    mean = x.data.mean()
    centred = x.data - mean
    r = 1.0 / np.sqrt((centred * centred).mean() + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * (grad - grad.mean() - x_hat * (grad * x_hat).mean()),)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Mistake("layer_norm_unbiased_variance", "the variance divided by n - 1", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    axes = _norm_axes(x, normalized_shape)
    mean = x.data.mean(axis=axes, keepdims=True)
    centred = x.data - mean
    r = 1.0 / np.sqrt(x.data.var(axis=axes, keepdims=True, ddof=1) + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * (grad - grad.mean(axis=axes, keepdims=True)
                     - x_hat * (grad * x_hat).mean(axis=axes, keepdims=True)),)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Mistake("layer_norm_eps_outside_the_root", "1 / (sqrt(var) + eps) instead of 1 / sqrt(var + eps)", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    axes = _norm_axes(x, normalized_shape)
    mean = x.data.mean(axis=axes, keepdims=True)
    centred = x.data - mean
    r = 1.0 / (np.sqrt((centred * centred).mean(axis=axes, keepdims=True)) + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * (grad - grad.mean(axis=axes, keepdims=True)
                     - x_hat * (grad * x_hat).mean(axis=axes, keepdims=True)),)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Mistake("layer_norm_gradient_as_a_scale", "backward treats mean and variance as constants: r * grad", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    axes = _norm_axes(x, normalized_shape)
    mean = x.data.mean(axis=axes, keepdims=True)
    centred = x.data - mean
    r = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * grad,)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Mistake("layer_norm_gradient_forgets_the_variance", "backward keeps the mean's term only", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    axes = _norm_axes(x, normalized_shape)
    mean = x.data.mean(axis=axes, keepdims=True)
    centred = x.data - mean
    r = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * (grad - grad.mean(axis=axes, keepdims=True)),)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Mistake("layer_norm_gradient_sums", "backward with sums where the formula has means", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    axes = _norm_axes(x, normalized_shape)
    mean = x.data.mean(axis=axes, keepdims=True)
    centred = x.data - mean
    r = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * (grad - grad.sum(axis=axes, keepdims=True) - x_hat * (grad * x_hat).sum(axis=axes, keepdims=True)),)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Mistake("block_post_norm", "the norms after the residual sums: x = ln(x + f(x))", '''
class Block:
    def forward(self, x, cache=None):
        x = self.ln_1(x + self.attn(x, cache))
        return self.ln_2(x + self.mlp(x))
'''),
    Mistake("block_no_residual", "the attention's output replaces x instead of being added", '''
class Block:
    def forward(self, x, cache=None):
        x = self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))
'''),
    Mistake("block_one_norm", "ln_1 used before both parts", '''
class Block:
    def forward(self, x, cache=None):
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_1(x))
'''),
    Mistake("block_parallel", "the MLP reads the block's input, not the sum after attention", '''
class Block:
    def forward(self, x, cache=None):
        return x + self.attn(self.ln_1(x), cache) + self.mlp(self.ln_2(x))
'''),
    Mistake("block_drops_the_cache", "the cache is not passed on to the attention", '''
class Block:
    def forward(self, x, cache=None):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))
'''),
    Mistake("positions_restart_at_zero", "with a cache the new tokens get positions 0, 1, ...", '''
class GPT:
    def forward(self, idx, caches=None):
        idx = idx if isinstance(idx, Tensor) else Tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT takes token ids of shape (B, T), integers, got {idx.dtype} {idx.shape}")
        B, T = idx.shape
        start = len(caches[0]) if caches else 0
        if start + T > self.block_size:
            raise ValueError(f"GPT: {start + T} positions, but block_size is {self.block_size}")
        x = self.drop(self.tok_emb(idx) + self.pos_emb(Tensor(np.arange(T, dtype=np.int64))))
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches else None)
        x = self.ln_f(x)
        return (x.reshape(B * T, -1) @ self.tok_emb.weight.T).reshape(B, T, self.vocab_size)
'''),
    Mistake("no_position_embedding", "the position embedding never added", '''
class GPT:
    def forward(self, idx, caches=None):
        idx = idx if isinstance(idx, Tensor) else Tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT takes token ids of shape (B, T), integers, got {idx.dtype} {idx.shape}")
        B, T = idx.shape
        start = len(caches[0]) if caches else 0
        if start + T > self.block_size:
            raise ValueError(f"GPT: {start + T} positions, but block_size is {self.block_size}")
        x = self.drop(self.tok_emb(idx))
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches else None)
        x = self.ln_f(x)
        return (x.reshape(B * T, -1) @ self.tok_emb.weight.T).reshape(B, T, self.vocab_size)
'''),
    Mistake("no_final_norm", "ln_f skipped before the output", '''
class GPT:
    def forward(self, idx, caches=None):
        idx = idx if isinstance(idx, Tensor) else Tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT takes token ids of shape (B, T), integers, got {idx.dtype} {idx.shape}")
        B, T = idx.shape
        start = len(caches[0]) if caches else 0
        if start + T > self.block_size:
            raise ValueError(f"GPT: {start + T} positions, but block_size is {self.block_size}")
        x = self.drop(self.tok_emb(idx) + self.pos_emb(Tensor(np.arange(start, start + T, dtype=np.int64))))
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches else None)
        return (x.reshape(B * T, -1) @ self.tok_emb.weight.T).reshape(B, T, self.vocab_size)
'''),
    Mistake("output_from_the_position_table", "the logits read against pos_emb instead of tok_emb", '''
class GPT:
    def forward(self, idx, caches=None):
        idx = idx if isinstance(idx, Tensor) else Tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT takes token ids of shape (B, T), integers, got {idx.dtype} {idx.shape}")
        B, T = idx.shape
        start = len(caches[0]) if caches else 0
        if start + T > self.block_size:
            raise ValueError(f"GPT: {start + T} positions, but block_size is {self.block_size}")
        x = self.drop(self.tok_emb(idx) + self.pos_emb(Tensor(np.arange(start, start + T, dtype=np.int64))))
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches else None)
        x = self.ln_f(x)
        out = x.reshape(B * T, -1) @ self.pos_emb.weight.T
        return out.reshape(B, T, -1)
'''),
    Mistake("cache_appended_twice", "the new keys and values stored, then joined on again", '''
class KVCache:
    def append(self, k, v):
        if self.keys is None:
            self.keys, self.values = k, v
        self.keys = np.concatenate([self.keys, k], axis=-2)
        self.values = np.concatenate([self.values, v], axis=-2)
        return self.keys, self.values
'''),
    Mistake("cache_keeps_only_the_new", "the cache replaced by the new positions instead of growing", '''
class KVCache:
    def append(self, k, v):
        self.keys, self.values = k, v
        return self.keys, self.values
'''),
    Mistake("cache_new_before_old", "the new positions put in front of the cached ones", '''
class KVCache:
    def append(self, k, v):
        if self.keys is None:
            self.keys, self.values = k, v
        else:
            self.keys = np.concatenate([k, self.keys], axis=-2)
            self.values = np.concatenate([v, self.values], axis=-2)
        return self.keys, self.values
'''),
    Mistake("cache_joined_on_features", "keys joined along the feature axis", '''
class KVCache:
    def append(self, k, v):
        if self.keys is None:
            self.keys, self.values = k, v
        else:
            self.keys = np.concatenate([self.keys, k], axis=-1)
            self.values = np.concatenate([self.values, v], axis=-1)
        return self.keys, self.values
'''),
]

VARIANTS = [
    Variant("layer_norm_with_np_var", "np.var and np.sqrt, the gradient with sums divided by n", '''
@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    axes = _norm_axes(x, normalized_shape)
    n = int(np.prod([x.shape[a] for a in axes]))
    x_hat = (x.data - x.data.mean(axis=axes, keepdims=True)) / np.sqrt(x.data.var(axis=axes, keepdims=True) + eps)
    r = 1.0 / np.sqrt(x.data.var(axis=axes, keepdims=True) + eps)

    def backward(grad):
        total = grad.sum(axis=axes, keepdims=True)
        along = (grad * x_hat).sum(axis=axes, keepdims=True)
        return (r / n * (n * grad - total - x_hat * along),)
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward
'''),
    Variant("block_with_names", "the two steps with names for each part", '''
class Block:
    def forward(self, x, cache=None):
        attended = self.attn(self.ln_1(x), cache=cache)
        h = x + attended
        thought = self.mlp(self.ln_2(h))
        return h + thought
'''),
    Variant("gpt_positions_first", "positions added first, the product on the 3-D tensor", '''
class GPT:
    def forward(self, idx, caches=None):
        idx = idx if isinstance(idx, Tensor) else Tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT takes token ids of shape (B, T), integers, got {idx.dtype} {idx.shape}")
        B, T = idx.shape
        past = 0 if not caches else len(caches[0])
        if past + T > self.block_size:
            raise ValueError(f"GPT: {past + T} positions, but block_size is {self.block_size}")
        x = self.pos_emb(Tensor(np.arange(T, dtype=np.int64) + past)) + self.tok_emb(idx)
        x = self.drop(x)
        for block, cache in zip(self.blocks, caches or [None] * len(self.blocks)):
            x = block(x, cache)
        return self.ln_f(x) @ self.tok_emb.weight.T
'''),
    Variant("cache_with_positive_axis", "np.concatenate on axis 2 of the (B, H, T, D) arrays", '''
class KVCache:
    def append(self, k, v):
        self.keys = k if self.keys is None else np.concatenate((self.keys, k), axis=2)
        self.values = v if self.values is None else np.concatenate((self.values, v), axis=2)
        return self.keys, self.values
'''),
]
