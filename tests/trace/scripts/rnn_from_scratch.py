"""The "classifying names with a character-level RNN" tutorial's shape: an RNN cell called
once per letter (more calls per iteration than most loops make), `rnn.zero_grad()`, and
the update by hand with `p.data.add_(p.grad.data, alpha=-learning_rate)`."""

import string
import sys

import torch
import torch.nn as nn

torch.manual_seed(12)
all_letters = string.ascii_letters
n_letters = len(all_letters)
categories = ["Short", "Long"]
names = ["Anna", "Bo", "Christopher", "Di", "Maximiliano", "Ed", "Bartholomew", "Al"]


def line_to_tensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][all_letters.find(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.softmax(self.h2o(combined))
        return output, hidden

    def init_hidden(self):
        return torch.zeros(1, self.hidden_size)


rnn = RNN(n_letters, 16, len(categories))
criterion = nn.NLLLoss()
learning_rate = 0.005


def train(category_tensor, line_tensor):
    hidden = rnn.init_hidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


for epoch in range(2):
    for name in names:
        category = torch.tensor([int(len(name) > 4)])
        output, loss = train(category, line_to_tensor(name))
    print(f"epoch {epoch}: last loss {loss:.4f}")
if len(sys.argv) > 1:
    torch.save(rnn.state_dict(), sys.argv[1])
