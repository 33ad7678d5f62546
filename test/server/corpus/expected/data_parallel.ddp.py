import os
import torch
import torch.nn as nn

from models import build_detector


def main():
    model = build_detector("yolo-m")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.distributed.init_process_group("nccl")
    torch.cuda.set_device(local_rank)
    model = nn.parallel.DistributedDataParallel(model.to(local_rank), device_ids=[local_rank])
    model.cuda().eval()
    with torch.no_grad():
        out = model(torch.randn(16, 3, 640, 640).cuda())
    print(out.shape)


if __name__ == "__main__":
    main()
