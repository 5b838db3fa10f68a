#!/usr/bin/env python

# # Lab 3: a logistic regression, exported from the notebook
#
# Run the cells in order.

# In[1]:


import sys

import torch
import torch.nn as nn

try:
    get_ipython().run_line_magic("matplotlib", "inline")  # noqa: F821
except NameError:
    pass


# In[2]:


torch.manual_seed(21)
X = torch.randn(40, 2)
Y = ((X[:, 0] - X[:, 1]) > 0).float().unsqueeze(1)
X[:3]


# In[3]:


model = nn.Linear(2, 1)
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)


# In[4]:


history = []
for _epoch in range(10):
    logits = model(X)
    loss = loss_fn(logits, Y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history.append(loss.item())
history[-1]


# In[5]:


print(f"final loss {history[-1]:.4f} after {len(history)} epochs")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
