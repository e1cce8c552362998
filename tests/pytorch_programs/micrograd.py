"""micrograd in PyTorch form: its two checks of the chain rule on scalars, then its demo, a small MLP
trained on two moons with a max-margin loss, L2 regularisation and a decaying learning rate."""
import torch
from torch import nn

from tinytorch.datasets import make_moons

# the checks micrograd's tests make against PyTorch
x = torch.Tensor([-4.0]).double()
x.requires_grad = True
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
print("sanity:", y.data.item(), x.grad.item())

a = torch.Tensor([-4.0]).double()
b = torch.Tensor([2.0]).double()
a.requires_grad = True
b.requires_grad = True
c = a + b
d = a * b + b ** 3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d * 2 + (b + a).relu()
d = d + 3 * d + (b - a).relu()
e = c - d
f = e ** 2
g = f / 2.0
g = g + 10.0 / f
g.backward()
print("more ops:", round(g.item(), 10), round(a.grad.item(), 10), round(b.grad.item(), 10))

# the demo
X, labels = make_moons(n_samples=100, noise=0.1, random_state=1)
X = torch.tensor(X, dtype=torch.float32)
y = torch.tensor(labels, dtype=torch.float32) * 2 - 1  # -1 or 1

model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
print("number of parameters", sum(p.numel() for p in model.parameters()))


def loss_and_accuracy():
    scores = model(X).squeeze(1)
    data_loss = (1 + -y * scores).relu().mean()  # max-margin
    alpha = 1e-4
    reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
    accuracy = ((y > 0) == (scores > 0)).float().mean()
    return data_loss + reg_loss, accuracy


for k in range(60):
    total_loss, acc = loss_and_accuracy()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 60
    with torch.no_grad():
        for p in model.parameters():
            p -= learning_rate * p.grad
    if k % 10 == 0:
        print(f"step {k} loss {total_loss.item():.6f}, accuracy {acc.item() * 100:.1f}%")
