import torch
import torch.nn as nn

from models import build_detector


def main():
    model = build_detector("yolo-m")
    model = nn.DataParallel(model)
    model.cuda().eval()
    with torch.no_grad():
        out = model(torch.randn(16, 3, 640, 640).cuda())
    print(out.shape)


if __name__ == "__main__":
    main()
