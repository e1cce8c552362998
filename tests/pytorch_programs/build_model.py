"""Build the Neural Network: a Module of your own, its layers one by one, its parameters."""
import torch
from torch import nn

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8 * 8, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)

X = torch.rand(1, 8, 8, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred.tolist()}")

input_image = torch.rand(3, 8, 8)
print(tuple(input_image.size()))

flatten = nn.Flatten()
flat_image = flatten(input_image)
print(tuple(flat_image.size()))

layer1 = nn.Linear(in_features=8 * 8, out_features=20)
hidden1 = layer1(flat_image)
print(tuple(hidden1.size()))

print(f"Before ReLU: {hidden1[0, :5].tolist()}\n\n")
hidden1 = nn.ReLU()(hidden1)
print(f"After ReLU: {hidden1[0, :5].tolist()}")

seq_modules = nn.Sequential(
    flatten,
    layer1,
    nn.ReLU(),
    nn.Linear(20, 10),
)
input_image = torch.rand(3, 8, 8)
logits = seq_modules(input_image)

softmax = nn.Softmax(dim=1)
pred_probab = softmax(logits)
print("probabilities sum to", [round(v, 5) for v in pred_probab.sum(dim=1).tolist()])
print(seq_modules)

print(f"Model structure: {model}\n\n")

for name, param in model.named_parameters():
    print(
        f"Layer: {name} | Size: {tuple(param.size())} | "
        f"Values : {param[:2, :3].tolist() if param.dim() > 1 else param[:2].tolist()} \n"
    )
