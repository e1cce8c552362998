"""Save and Load the Model: weights through a state_dict, loaded with weights_only=True, and a checkpoint."""
import os
import tempfile

import torch
from torch import nn

folder = tempfile.mkdtemp()


def make_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


model = make_model()
torch.save(model.state_dict(), os.path.join(folder, "model_weights.pth"))

model2 = make_model()  # other random weights until loaded
model2.load_state_dict(torch.load(os.path.join(folder, "model_weights.pth"), weights_only=True))
model2.eval()

x = torch.rand(2, 4)
print("same outputs after loading:", torch.allclose(model(x), model2(x)))
print("keys:", list(model2.state_dict().keys()))

# a checkpoint: the model, the optimizer and where training stood
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
loss = ((model(x) - 1) ** 2).mean()
loss.backward()
optimizer.step()
torch.save({"epoch": 5, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss.item()}, os.path.join(folder, "checkpoint.pth"))

checkpoint = torch.load(os.path.join(folder, "checkpoint.pth"), weights_only=True, map_location="cpu")
model3 = make_model()
optimizer3 = torch.optim.Adam(model3.parameters(), lr=1e-2)
model3.load_state_dict(checkpoint["model_state_dict"])
optimizer3.load_state_dict(checkpoint["optimizer_state_dict"])
print("epoch", checkpoint["epoch"], "loss", round(checkpoint["loss"], 5))

for m, opt in ((model, optimizer), (model3, optimizer3)):  # one more step each: the same step
    opt.zero_grad()
    ((m(x) - 1) ** 2).mean().backward()
    opt.step()
print("resumed exactly:", torch.allclose(model(x), model3(x)))
