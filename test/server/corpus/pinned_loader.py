import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from mydata import TextDataset


def predict(model, dataset: TextDataset, device: str = "cuda"):
    loader = DataLoader(dataset, batch_size=32, num_workers=8, pin_memory=True)
    model = model.cuda().eval()
    outputs = []
    with torch.inference_mode():
        for step, batch in enumerate(tqdm(loader)):
            batch = {k: v.to(device) for k, v in batch.items()}
            logits = model(**batch).logits
            outputs.append(logits.float().cpu())
    return torch.cat(outputs)


def embed(encoder, loader_kwargs):
    loader = DataLoader(**loader_kwargs)
    for ids, mask in loader:
        ids = ids.to("cuda")
        yield encoder(ids, mask)
