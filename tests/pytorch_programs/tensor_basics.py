"""Tensors: creating them, their attributes, indexing, joining, arithmetic, the NumPy bridge."""
import numpy as np
import torch


def show(name, t):
    """A tensor as plain Python: its name, shape, dtype and values (the same text in any library)."""
    print(f"{name}: shape {tuple(t.shape)}, dtype {str(t.dtype).replace('torch.', '')}, values {t.tolist()}")


data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
show("from data", x_data)

np_array = np.array(data)
x_np = torch.from_numpy(np_array)
show("from NumPy", x_np)

x_ones = torch.ones_like(x_data)
show("ones like", x_ones)
x_rand = torch.rand_like(x_data, dtype=torch.float)
show("random like", x_rand)

shape = (2, 3,)
show("random", torch.rand(shape))
show("ones", torch.ones(shape))
show("zeros", torch.zeros(shape))

tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tuple(tensor.shape)}")
print(f"Datatype of tensor: {str(tensor.dtype).replace('torch.', '')}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())

tensor = torch.ones(4, 4)
show("first row", tensor[0])
show("first column", tensor[:, 0])
show("last column", tensor[..., -1])
tensor[:, 1] = 0
show("column 1 zeroed", tensor)

t1 = torch.cat([tensor, tensor, tensor], dim=1)
show("joined", t1)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
show("y1", y1)
print("the three products agree:", torch.equal(y1, y2) and torch.equal(y1, y3))

z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print("the three products agree:", torch.equal(z1, z2) and torch.equal(z1, z3))

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item).__name__)

print(f"before add_: {tensor.tolist()}")
tensor.add_(5)
print(f"after add_: {tensor.tolist()}")

t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(f"t: {t.tolist()}, n: {n.tolist()}")

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t.tolist()}, n: {n.tolist()}")
