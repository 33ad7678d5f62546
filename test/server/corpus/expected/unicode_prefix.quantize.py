# Modèle exporté pour la démo — 日本語のコメント 😀
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

modèle = torch.nn.Linear(4, 2)
entrée = torch.randn(1, 4)
étiquette = "😀 déjà vu"; torch.onnx.export(modèle, entrée, "modèle.onnx", input_names=["entrée"], output_names=["sortie"], opset_version=17)
quantize_dynamic("modèle.onnx", "modèle.int8.onnx", weight_type=QuantType.QInt8)
