# Modèle exporté pour la démo — 日本語のコメント 😀
import torch

modèle = torch.nn.Linear(4, 2)
entrée = torch.randn(1, 4)
étiquette = "😀 déjà vu"; torch.onnx.export(modèle, entrée, "modèle.onnx", input_names=["entrée"], output_names=["sortie"], opset_version=17,
                                            dynamic_axes={"entrée": {0: "batch"}, "sortie": {0: "batch"}})
