import torch
import torch.nn.functional as F


def run(model, train_loader, val_loader, epochs: int = 3):
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        model.eval()
        total = 0.0
        for x, y in val_loader:
            total += F.cross_entropy(model(x), y).item()
        print(f"epoch {epoch}: val loss {total / len(val_loader):.4f}")
