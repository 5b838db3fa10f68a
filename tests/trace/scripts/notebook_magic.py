#!/usr/bin/env python

# In[1]:


import torch

get_ipython().run_line_magic("matplotlib", "inline")  # noqa: F821


# In[2]:


model = torch.nn.Linear(1, 1)
print("never reached")
