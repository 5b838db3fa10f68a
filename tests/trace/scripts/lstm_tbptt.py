"""A character LSTM trained with truncated backpropagation through time: the hidden state
is carried from one chunk to the next and detached between them."""

import os
import sys

import torch
import torch.nn as nn

torch.manual_seed(8)
with open(os.path.join(os.path.dirname(__file__), "tiny.txt"), encoding="utf-8") as f:
    text = f.read()
chars = sorted(set(text))
data = torch.tensor([chars.index(c) for c in text])
seq_len, batch = 10, 2


class CharLSTM(nn.Module):
    def __init__(self, vocab, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.lstm = nn.LSTM(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


model = CharLSTM(len(chars))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
streams = data[: (len(data) // batch) * batch].view(batch, -1)
for epoch in range(2):
    h = None
    total = 0.0
    chunks = 0
    for start in range(0, streams.size(1) - seq_len - 1, seq_len):
        x = streams[:, start : start + seq_len]
        y = streams[:, start + 1 : start + seq_len + 1]
        if h is not None:
            h = tuple(s.detach() for s in h)
        logits, h = model(x, h)
        loss = criterion(logits.reshape(-1, len(chars)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        total += loss.item()
        chunks += 1
    print(f"epoch {epoch}: {chunks} chunks, mean loss {total / chunks:.4f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
