"""A script that imports a progress-bar package the environment does not have."""

import torch
import torch.nn as nn
from tqdm_is_not_installed_here import tqdm  # stands for `from tqdm import tqdm`

model = nn.Linear(2, 1)
for x in tqdm(torch.randn(4, 2)):
    print(model(x))
