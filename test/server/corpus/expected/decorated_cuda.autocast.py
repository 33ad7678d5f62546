import torch

model = torch.load("model.pt", weights_only=False).cuda().eval()


@torch.no_grad()
def infer(batch: torch.Tensor) -> torch.Tensor:
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(batch.cuda())
    return logits.softmax(dim=-1)
