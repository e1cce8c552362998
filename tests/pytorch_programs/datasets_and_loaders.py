"""Datasets & DataLoaders: a Dataset of your own, shuffled mini-batches, one batch looked at."""
import torch
from torch.utils.data import DataLoader, Dataset

from tinytorch.datasets import load_digits

labels_map = {0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
              8: "eight", 9: "nine"}


class DigitsDataset(Dataset):
    """The digits as (image, label) pairs: a 1x8x8 float tensor and an int."""

    def __init__(self, train=True, transform=None, target_transform=None):
        images, labels = load_digits()
        cut = 1500
        self.images = images[:cut] if train else images[cut:]
        self.labels = labels[:cut] if train else labels[cut:]
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image = torch.tensor(self.images[idx] / 16.0, dtype=torch.float32).reshape(1, 8, 8)
        label = int(self.labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


training_data = DigitsDataset(train=True)
test_data = DigitsDataset(train=False, transform=lambda image: image * 2 - 1)
print(len(training_data), len(test_data))

for _ in range(3):
    sample_idx = torch.randint(len(training_data), size=(1,)).item()
    img, label = training_data[sample_idx]
    print(sample_idx, labels_map[label], round(img.sum().item(), 4))

train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=64, shuffle=True)

train_features, train_labels = next(iter(train_dataloader))
print(f"Feature batch shape: {tuple(train_features.size())}")
print(f"Labels batch shape: {tuple(train_labels.size())}")
img = train_features[0].squeeze()
label = train_labels[0]
print(f"Image shape: {tuple(img.shape)}, label: {label.item()} ({labels_map[label.item()]})")
print("first labels of an epoch:", train_labels[:10].tolist())
test_features, test_labels = next(iter(test_dataloader))
print("test pixels in", round(test_features.min().item(), 4), round(test_features.max().item(), 4))
print("batches per epoch:", len(train_dataloader), len(test_dataloader))
