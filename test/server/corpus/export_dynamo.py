import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, vocab: int = 32000, dim: int = 256):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layer = nn.TransformerEncoderLayer(dim, nhead=4, batch_first=True)

    def forward(self, input_ids, attention_mask):
        h = self.embed(input_ids)
        return self.layer(h, src_key_padding_mask=attention_mask == 0)


model = Encoder().eval()
input_ids = torch.randint(0, 32000, (2, 16))
attention_mask = torch.ones(2, 16, dtype=torch.long)

torch.onnx.export(
    model,
    (input_ids, attention_mask),
    "encoder.onnx",
    dynamo=True,
    opset_version=18,
    input_names=["input_ids", "attention_mask"],
    output_names=["hidden"],
)
