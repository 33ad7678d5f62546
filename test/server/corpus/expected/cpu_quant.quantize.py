import time

import torch
from transformers import AutoModel, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
model = AutoModel.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
model.eval()
model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)

sentences = ["A man is eating food.", "A man is riding a horse."] * 16
encoded = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
start = time.perf_counter()
with torch.inference_mode():
    embeddings = model(**encoded).last_hidden_state.mean(dim=1)
print(f"{len(sentences)} sentences in {time.perf_counter() - start:.3f} s")
