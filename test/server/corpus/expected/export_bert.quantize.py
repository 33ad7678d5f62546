"""Export a fine-tuned BERT classifier to ONNX for the CPU inference service."""
import argparse
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from onnxruntime.quantization import QuantType, quantize_dynamic


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="checkpoints/bert-sst2")
    args = parser.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(args.checkpoint)
    model.eval()

    sample = tokenizer("The movie was great!", return_tensors="pt")
    input_ids = sample["input_ids"]
    attention_mask = sample["attention_mask"]

    Path("build").mkdir(exist_ok=True)
    torch.onnx.export(
        model,
        (input_ids, attention_mask),
        "build/bert-sst2.onnx",
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        opset_version=11,
        do_constant_folding=True,
    )
    quantize_dynamic("build/bert-sst2.onnx", "build/bert-sst2.int8.onnx", weight_type=QuantType.QInt8)
    print("exported build/bert-sst2.onnx")


if __name__ == "__main__":
    main()
