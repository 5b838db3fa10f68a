"""The "build a large language model from scratch" book's training functions:
`calc_loss_batch` with cross-entropy on `logits.flatten(0, 1)`, `train_model_simple(model,
train_loader, val_loader, optimizer, device, num_epochs, eval_freq, eval_iter,
start_context)`, `evaluate_model` under `model.eval()` + `torch.no_grad()` then
`model.train()`, `generate_text_simple` sampling after each epoch, `tokens_seen`."""

import sys

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(123)
text = "every effort moves you forward, every step moves you on. " * 6
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}


def text_to_token_ids(s):
    return torch.tensor([stoi[c] for c in s]).unsqueeze(0)


def token_ids_to_text(ids):
    return "".join(itos[int(i)] for i in ids.squeeze(0))


class GPTDatasetV1(Dataset):
    def __init__(self, txt, max_length, stride):
        ids = [stoi[c] for c in txt]
        self.input_ids, self.target_ids = [], []
        for i in range(0, len(ids) - max_length, stride):
            self.input_ids.append(torch.tensor(ids[i : i + max_length]))
            self.target_ids.append(torch.tensor(ids[i + 1 : i + max_length + 1]))

    def __len__(self):
        return len(self.input_ids)

    def __getitem__(self, idx):
        return self.input_ids[idx], self.target_ids[idx]


class TinyGPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.block = nn.TransformerEncoderLayer(
            cfg["emb_dim"], 2, 2 * cfg["emb_dim"], dropout=0.0, batch_first=True
        )
        self.final_norm = nn.LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        batch_size, seq_len = in_idx.shape
        x = self.tok_emb(in_idx) + self.pos_emb(torch.arange(seq_len, device=in_idx.device))
        mask = nn.Transformer.generate_square_subsequent_mask(seq_len)
        x = self.block(self.drop_emb(x), src_mask=mask, is_causal=True)
        return self.out_head(self.final_norm(x))


def calc_loss_batch(input_batch, target_batch, model, device):
    input_batch, target_batch = input_batch.to(device), target_batch.to(device)
    logits = model(input_batch)
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())


def calc_loss_loader(data_loader, model, device, num_batches=None):
    total_loss = 0.0
    if len(data_loader) == 0:
        return float("nan")
    num_batches = len(data_loader) if num_batches is None else min(num_batches, len(data_loader))
    for i, (input_batch, target_batch) in enumerate(data_loader):
        if i < num_batches:
            total_loss += calc_loss_batch(input_batch, target_batch, model, device).item()
        else:
            break
    return total_loss / num_batches


def evaluate_model(model, train_loader, val_loader, device, eval_iter):
    model.eval()
    with torch.no_grad():
        train_loss = calc_loss_loader(train_loader, model, device, num_batches=eval_iter)
        val_loss = calc_loss_loader(val_loader, model, device, num_batches=eval_iter)
    model.train()
    return train_loss, val_loss


def generate_text_simple(model, idx, max_new_tokens, context_size):
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)
        probas = torch.softmax(logits[:, -1, :], dim=-1)
        idx_next = torch.multinomial(probas, num_samples=1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def generate_and_print_sample(model, device, start_context):
    model.eval()
    context_size = model.pos_emb.weight.shape[0]
    encoded = text_to_token_ids(start_context).to(device)
    token_ids = generate_text_simple(model, encoded, 10, context_size)
    print(repr(token_ids_to_text(token_ids)))
    model.train()


def train_model_simple(
    model,
    train_loader,
    val_loader,
    optimizer,
    device,
    num_epochs,
    eval_freq,
    eval_iter,
    start_context,
):
    train_losses, val_losses, track_tokens_seen = [], [], []
    tokens_seen, global_step = 0, -1
    for epoch in range(num_epochs):
        model.train()
        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()
            optimizer.step()
            tokens_seen += input_batch.numel()
            global_step += 1
            if global_step % eval_freq == 0:
                train_loss, val_loss = evaluate_model(
                    model, train_loader, val_loader, device, eval_iter
                )
                train_losses.append(train_loss)
                val_losses.append(val_loss)
                track_tokens_seen.append(tokens_seen)
                print(
                    f"Ep {epoch + 1} (Step {global_step:06d}): "
                    f"Train loss {train_loss:.3f}, Val loss {val_loss:.3f}"
                )
        generate_and_print_sample(model, device, start_context)
    return train_losses, val_losses, track_tokens_seen


GPT_CONFIG = {"vocab_size": len(chars), "context_length": 16, "emb_dim": 16, "drop_rate": 0.1}
split = int(0.85 * len(text))
train_loader = DataLoader(
    GPTDatasetV1(text[:split], 16, 16), batch_size=2, shuffle=True, drop_last=True
)
val_loader = DataLoader(GPTDatasetV1(text[split:], 16, 16), batch_size=2, drop_last=False)
device = torch.device("cpu")
model = TinyGPT(GPT_CONFIG)
model.to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
train_losses, val_losses, tokens_seen = train_model_simple(
    model,
    train_loader,
    val_loader,
    optimizer,
    device,
    num_epochs=2,
    eval_freq=5,
    eval_iter=1,
    start_context="every effort",
)
print("tokens seen", tokens_seen[-1])
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
