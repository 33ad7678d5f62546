import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def evaluate(model, root: str) -> float:
    data = datasets.ImageFolder(root, transform=transforms.ToTensor())
    loader = DataLoader(data, batch_size=64, shuffle=False, num_workers=4, pin_memory=True)
    model.to(device).eval()
    correct = 0
    total = 0
    for images, labels in loader:
        images = images.to(device)
        labels = labels.to(device)
        logits = model(images)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        total += labels.numel()
        torch.cuda.empty_cache()
    return correct / total
