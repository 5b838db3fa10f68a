"""The "NLP from scratch: translation with a sequence to sequence network" tutorial's shape:
an encoder and a decoder, each an `nn.Module` with its own optimizer (both zeroed and
stepped every iteration), the encoder called once per input word, the decoder once per
output word, teacher forcing chosen by `random.random()`."""

import random
import sys

import torch
import torch.nn as nn
from torch import optim

random.seed(5)
torch.manual_seed(5)
SOS_token, EOS_token = 0, 1
vocab = 12
pairs = [
    ([2, 3, 4], [5, 6]),
    ([4, 7], [8, 9, 10]),
    ([3, 3, 5, 6], [11, 2]),
    ([9, 8], [7, 4, 3]),
]


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)

    def forward(self, input, hidden):
        embedded = self.embedding(input).view(1, 1, -1)
        output, hidden = self.gru(embedded, hidden)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, 1, self.hidden_size)


class DecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        output = torch.relu(self.embedding(input).view(1, 1, -1))
        output, hidden = self.gru(output, hidden)
        return self.softmax(self.out(output[0])), hidden


teacher_forcing_ratio = 0.5


def train(
    input_tensor, target_tensor, encoder, decoder, encoder_optimizer, decoder_optimizer, criterion
):
    encoder_hidden = encoder.initHidden()
    encoder_optimizer.zero_grad()
    decoder_optimizer.zero_grad()
    input_length, target_length = input_tensor.size(0), target_tensor.size(0)
    loss = 0
    for ei in range(input_length):
        encoder_output, encoder_hidden = encoder(input_tensor[ei], encoder_hidden)
    decoder_input = torch.tensor([[SOS_token]])
    decoder_hidden = encoder_hidden
    use_teacher_forcing = random.random() < teacher_forcing_ratio
    for di in range(target_length):
        decoder_output, decoder_hidden = decoder(decoder_input, decoder_hidden)
        loss += criterion(decoder_output, target_tensor[di])
        if use_teacher_forcing:
            decoder_input = target_tensor[di]
        else:
            topv, topi = decoder_output.topk(1)
            decoder_input = topi.squeeze().detach()
            if decoder_input.item() == EOS_token:
                break
    loss.backward()
    encoder_optimizer.step()
    decoder_optimizer.step()
    return loss.item() / target_length


def trainIters(encoder, decoder, n_iters, print_every=4, learning_rate=0.05):
    encoder_optimizer = optim.SGD(encoder.parameters(), lr=learning_rate)
    decoder_optimizer = optim.SGD(decoder.parameters(), lr=learning_rate)
    training_pairs = [random.choice(pairs) for _ in range(n_iters)]
    criterion = nn.NLLLoss()
    print_loss_total = 0
    for it in range(1, n_iters + 1):
        source, target = training_pairs[it - 1]
        input_tensor = torch.tensor(source + [EOS_token]).view(-1, 1)
        target_tensor = torch.tensor(target + [EOS_token]).view(-1, 1)
        print_loss_total += train(
            input_tensor,
            target_tensor,
            encoder,
            decoder,
            encoder_optimizer,
            decoder_optimizer,
            criterion,
        )
        if it % print_every == 0:
            average = print_loss_total / print_every
            print(f"iter {it} ({it / n_iters * 100:.0f}%) avg loss {average:.4f}")
            print_loss_total = 0


hidden_size = 16
encoder1 = EncoderRNN(vocab, hidden_size)
decoder1 = DecoderRNN(hidden_size, vocab)
trainIters(encoder1, decoder1, 12)
if len(sys.argv) > 1:
    torch.save({"encoder": encoder1.state_dict(), "decoder": decoder1.state_dict()}, sys.argv[1])
