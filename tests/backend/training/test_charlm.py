"""The charlm scenario: vocabulary, model and batches against plain torch, seeded sampling."""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import torch
import torch.nn.functional as F
from pydantic import ValidationError
from torch import nn

from loopscope import cli
from loopscope.capture.language import rows_used, rows_with_grad, uniform_loss
from loopscope.training.charlm import (
    BigramLM,
    Vocabulary,
    Windows,
    corpus_pairs,
    corpus_vocabulary,
    sample_ids,
    sample_text,
)
from loopscope.training.configs import CharLMConfig
from loopscope.training.corpora import CORPORA, load_corpus
from loopscope.training.errors import CommandError

from .._helpers import (
    all_equal,
    by_phase,
    check_event,
    decode,
    make_session,
    params_of,
    phase_events,
    step_phases,
    wire_loss,
)


@pytest.mark.parametrize("name", CORPORA)
def test_corpus_vocabulary_round_trip(name: str) -> None:
    text = load_corpus(name)
    vocab = Vocabulary.of(text)
    assert list(vocab.chars) == sorted(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == torch.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids.tolist()) == text
    assert "\n" in vocab.chars and len(text.splitlines()) >= 200


def test_unknown_corpus_and_character_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown corpus 'latin'"):
        load_corpus("latin")
    with pytest.raises(ValueError, match="'z' is not in the vocabulary"):
        Vocabulary.of("abc").encode("abz")


@pytest.mark.parametrize(
    ("vocab_size", "n_embd", "batch_size", "block_size"), [(8, 5, 2, 4), (1015, 32, 32, 8)]
)
def test_model_matches_a_hand_written_bigram_loop(
    vocab_size: int, n_embd: int, batch_size: int, block_size: int
) -> None:
    """Same seed, same init: logits, loss and every gradient equal plain torch's."""
    g = torch.Generator().manual_seed(1)
    x = torch.randint(vocab_size, (batch_size, block_size), generator=g)
    y = torch.randint(vocab_size, (batch_size * block_size,), generator=g)
    torch.manual_seed(7)
    model = BigramLM(vocab_size, n_embd)
    torch.manual_seed(7)
    table, head = nn.Embedding(vocab_size, n_embd), nn.Linear(n_embd, vocab_size)
    logits = model(x)
    plain = (table.weight[x] @ head.weight.T + head.bias).reshape(-1, vocab_size)
    assert torch.equal(logits, plain)
    loss = F.cross_entropy(logits, y)
    plain_loss = F.cross_entropy(plain, y)
    assert torch.equal(loss, plain_loss)
    loss.backward()
    plain_loss.backward()
    assert table.weight.grad is not None and head.weight.grad is not None
    assert torch.equal(model.token_embedding.weight.grad, table.weight.grad)
    assert torch.equal(model.lm_head.weight.grad, head.weight.grad)
    assert torch.equal(model.lm_head.bias.grad, head.bias.grad)


def test_batches_are_windows_and_their_next_characters() -> None:
    ids = torch.arange(100, 160)  # distinct values: a window's start is its first value
    x, y = corpus_pairs(ids)
    assert torch.equal(x, ids[:-1]) and torch.equal(y, ids[1:])
    x_batch, y_batch = Windows(6, 5).draw(x, y, torch.Generator().manual_seed(1))
    assert x_batch.shape == (6, 5) and y_batch.shape == (30,)
    # Karpathy's get_batch, written out: starts drawn from the same seeded generator.
    starts = torch.randint(60 - 5, (6,), generator=torch.Generator().manual_seed(1))
    for b, start in enumerate(starts.tolist()):
        assert x_batch[b].tolist() == ids[start : start + 5].tolist()
        assert y_batch[b * 5 : (b + 1) * 5].tolist() == ids[start + 1 : start + 6].tolist()


def test_every_window_can_be_drawn_including_the_last() -> None:
    x, y = corpus_pairs(torch.arange(10))
    windows = Windows(500, 4)
    x_batch, _ = windows.draw(x, y, torch.Generator().manual_seed(0))
    assert set(x_batch[:, 0].tolist()) == set(range(9 - 4 + 1))


def test_batches_are_reproducible_from_the_seed_and_leave_the_global_rng_alone() -> None:
    text = load_corpus("english")
    x, y = corpus_pairs(Vocabulary.of(text).encode(text))
    windows = Windows(32, 8)
    before = torch.get_rng_state()
    g = torch.Generator().manual_seed(5)
    first = [windows.draw(x, y, g) for _ in range(3)]
    g = torch.Generator().manual_seed(5)
    again = [windows.draw(x, y, g) for _ in range(3)]
    assert torch.equal(torch.get_rng_state(), before)
    for (x1, y1), (x2, y2) in zip(first, again, strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(first[0][0], first[1][0])  # the generator moves on each draw
    other = windows.draw(x, y, torch.Generator().manual_seed(6))
    assert not torch.equal(other[0], first[0][0])


def test_a_sequence_shorter_than_a_window_is_refused() -> None:
    with pytest.raises(ValueError, match="7 rows has no window of 8"):
        Windows(2, 8).draw(torch.arange(7), torch.arange(7), torch.Generator())


def test_an_epoch_predicts_about_the_whole_corpus() -> None:
    assert Windows(32, 8).per_epoch(4800) == 19  # 4800 targets / 256 per batch
    assert Windows(32, 8).per_epoch(256) == 1
    assert Windows(32, 8).per_epoch(257) == 2


def test_sampling_is_seeded_and_draws_nothing_from_the_global_rng() -> None:
    vocab = Vocabulary.of(load_corpus("poetry_zh"))
    torch.manual_seed(0)
    model = BigramLM(len(vocab), 8)
    before = torch.get_rng_state()
    text = sample_text(model, vocab, 40, 8, seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    assert len(text) == 40 and set(text) <= set(vocab.chars)
    assert sample_text(model, vocab, 40, 8, seed=3) == text
    assert sample_text(model, vocab, 40, 8, seed=4) != text


def test_sampling_follows_the_model_probabilities() -> None:
    """A model sure of one next character for each character gives exactly that chain."""
    model = BigramLM(4, 4)
    with torch.no_grad():
        model.token_embedding.weight.copy_(torch.eye(4))
        model.lm_head.weight.copy_(torch.roll(torch.eye(4), 1, dims=0) * 100)  # i → i + 1
        model.lm_head.bias.zero_()
    assert sample_ids(model, 2, 6, block_size=3, seed=0) == [3, 0, 1, 2, 3, 0]


# ---------------------------------------------------------------------- the run


@dataclass
class PlainIteration:
    loss: torch.Tensor
    grads: list[torch.Tensor]
    params: list[torch.Tensor]


def plain_charlm(corpus: str, **config: Any) -> Iterator[PlainIteration]:
    """The loop a learner writes for a bigram model (Karpathy's get_batch), nothing imported
    from loopscope but the corpus text: seed, vocabulary, model, AdamW, random windows."""
    seed, lr = config.get("seed", 42), config.get("lr", 0.01)
    n_embd, batch, block = config.get("n_embd", 32), config["batch_size"], config["block_size"]
    text = load_corpus(corpus)
    chars = sorted(set(text))
    ids = torch.tensor([chars.index(c) for c in text])
    x, y = ids[:-1], ids[1:]
    torch.manual_seed(seed)
    table, head = nn.Embedding(len(chars), n_embd), nn.Linear(n_embd, len(chars))
    params = [table.weight, head.weight, head.bias]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)
    while True:
        starts = torch.randint(len(x) - block + 1, (batch,), generator=g).tolist()
        x_batch = torch.stack([x[s : s + block] for s in starts])
        y_batch = torch.stack([y[s : s + block] for s in starts]).view(-1)
        loss = F.cross_entropy(head(table(x_batch)).view(-1, len(chars)), y_batch)
        optimizer.zero_grad()
        loss.backward()
        grads = [p.grad.clone() for p in params if p.grad is not None]
        optimizer.step()
        yield PlainIteration(loss.detach(), grads, [p.detach() for p in params])


CONFIGS = [
    {"corpus": "poetry_zh", "batch_size": 32, "block_size": 8},
    {"corpus": "english", "batch_size": 5, "block_size": 3, "n_embd": 6, "lr": 0.05},
]


@pytest.mark.parametrize("config", CONFIGS)
def test_captured_phases_equal_the_plain_loop(config: dict[str, Any]) -> None:
    session = make_session("charlm", **config)
    plain = plain_charlm(**config)
    embedding = session.stepper.params["token_embedding.weight"]
    for _ in range(12):
        phases = by_phase(step_phases(session, 5))
        reference = next(plain)
        assert torch.equal(wire_loss(phases["loss"]["loss"]), reference.loss)
        # After step the grads are still those backward left: the plain loop's, exactly.
        assert all_equal([p.grad for p in session.stepper.params.values()], reference.grads)
        assert all_equal(params_of(session), reference.params)
        # Only the rows of the characters in this batch got a nonzero gradient.
        x_batch = decode(phases["forward"]["capture"]["tensors"]["x"])
        assert x_batch.shape == (config["batch_size"], config["block_size"])
        assert embedding.grad is not None
        assert torch.equal(rows_with_grad(embedding.grad), rows_used(x_batch))
        assert rows_used(x_batch).numel() < embedding.shape[0]


def test_fast_forward_and_rewind_give_the_same_bits() -> None:
    config = CONFIGS[0]
    session = make_session("charlm", checkpoint_every=16, **config)
    plain = plain_charlm(**config)
    session.step("iteration", 40)
    references = [next(plain) for _ in range(40)]
    assert all_equal(params_of(session), references[-1].params)
    # Back to iteration 21 (between checkpoints): the same windows are drawn again.
    session.rewind(21)
    session.step("iteration", 19)
    assert all_equal(params_of(session), references[-1].params)
    assert session.stepper.iteration == 40


def test_epochs_and_the_session_event() -> None:
    session = make_session("charlm", **CONFIGS[0])
    event = check_event(session.session_event())
    vocab = corpus_vocabulary("poetry_zh")
    assert event["n_batches"] == math.ceil((len(load_corpus("poetry_zh")) - 1) / 256)
    assert event["batch_size"] == 32
    assert event["capabilities"]["fit"] is None and event["fit"] is None
    assert not event["capabilities"]["data_plot"] and event["landscape"] is None
    assert [p["shape"] for p in event["model"]["children"][0]["parameters"]] == [[len(vocab), 32]]
    listing = "\n".join(event["source"]["lines"])
    assert f"BigramLM({len(vocab)}, 32)" in listing and "n, noise" not in listing
    events = session.step("epoch", 1)
    assert check_event(events[-1])["iteration"] == event["n_batches"] - 1


def test_sampling_does_not_move_the_run() -> None:
    """Two runs, one sampled from between iterations: the same parameters, bit for bit."""
    sampled, plain = make_session("charlm", seed=3), make_session("charlm", seed=3)
    vocab = corpus_vocabulary("poetry_zh")
    texts = []
    for _ in range(4):
        sampled.step("iteration", 10)
        plain.step("iteration", 10)
        texts.append(sample_text(sampled.stepper.model, vocab, 30, 8, seed=3))
        assert all_equal(params_of(sampled), params_of(plain))
    assert len(set(texts)) == 4  # same draws, a changing model: the text changes


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"corpus": "latin"}, "config.corpus"),
        ({"block_size": 0}, "config.block_size"),
        ({"block_size": 65}, "config.block_size"),
        ({"n_embd": 129}, "config.n_embd"),
        ({"batch_size": None}, "config.batch_size"),
        ({"batch_size": 513}, "config.batch_size"),
        ({"sample_every": 0}, "config.sample_every"),
        ({"sample_length": 401}, "config.sample_length"),
    ],
)
def test_bad_config_names_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(CommandError) as exc:
        make_session("charlm", **raw)
    assert exc.value.field == field


def test_defaults_and_large_batches() -> None:
    c = CharLMConfig()
    assert (c.corpus, c.n_embd, c.block_size, c.batch_size) == ("poetry_zh", 32, 8, 32)
    assert (c.lr, c.optimizer, c.seed) == (0.01, "adamw", 42)
    # A batch counts windows, not data points: nothing bounds it but its own limit.
    assert CharLMConfig(batch_size=512).batch_size == 512
    # The regression scenarios' data fields are not charlm's: refused, by name.
    for field in ("n_points", "noise"):
        with pytest.raises(ValidationError) as exc:
            CharLMConfig.model_validate({field: 2})
        assert exc.value.errors()[0]["loc"] == (field,)
        assert field not in CharLMConfig.model_json_schema()["properties"]


def test_headless_run_logs_like_the_other_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    config = '{"device": "cpu", "batch_size": 8}'
    args = ["run", "--scenario", "charlm", "--epochs", "4", "--every", "2", "--config", config]
    assert cli.main([*args, "--torch-threads", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    logs, samples = lines[0::2], lines[1::2]
    assert [line.split(",")[0] for line in logs] == ["Epoch [2/4]", "Epoch [4/4]"]
    losses = [float(line.split("Loss: ")[1].split(",")[0]) for line in logs]
    assert losses[1] < losses[0] < uniform_loss(len(corpus_vocabulary("poetry_zh"))) + 0.5
    # Each log line is followed by the model's text, quoted (newlines show as \n).
    texts = [ast.literal_eval(line.removeprefix("  sample: ")) for line in samples]
    assert len(texts) == 2 and all(len(text) == 80 for text in texts)
    assert set("".join(texts)) <= set(corpus_vocabulary("poetry_zh").chars)


# ---------------------------------------------------------------------- on the wire


def test_session_event_says_what_the_language_run_is() -> None:
    session = make_session("charlm", corpus="english", sample_length=50)
    language = check_event(session.session_event())["language"]
    vocab = corpus_vocabulary("english")
    assert language["vocab"] == vocab.chars and language["corpus"] == "english"
    assert language["uniform_loss"] == math.log(len(vocab))
    assert (language["block_size"], language["sample_every"]) == (8, 100)
    sample = language["sample"]
    assert sample["iteration"] == 0 and len(sample["text"]) == 50
    assert set(sample["text"]) <= set(vocab.chars)
    # The other scenarios have no language.
    assert "language" not in check_event(make_session("classify").session_event())


def test_captured_phases_show_rows_softmax_and_sparse_grad() -> None:
    session = make_session("charlm", corpus="english", batch_size=4, block_size=5)
    session.step("iteration", 3)
    forward = check_event(session.step("phase", 1)[-1])
    x_batch = decode(forward["capture"]["tensors"]["x"])
    assert forward["language"]["rows_used"] == sorted(set(x_batch.view(-1).tolist()))
    with torch.no_grad():  # the same forward again: the same bits, before step changes them
        logits = session.stepper.model(x_batch)
    loss_event = check_event(session.step("phase", 1)[-1])
    _, y_batch = session.stepper.batch_tensors
    shown = loss_event["language"]["position"]
    assert shown["position"] == 0 and shown["target"] == int(y_batch[0])
    assert torch.equal(decode(shown["probs"]), F.softmax(logits, dim=-1)[0])
    per_position = F.cross_entropy(logits, y_batch, reduction="none")
    assert torch.equal(decode(shown["loss"]), per_position[0])
    top = torch.topk(F.softmax(logits, dim=-1)[0], 10)
    assert shown["top_ids"] == top.indices.tolist()
    assert torch.equal(decode(shown["top_probs"]), top.values)
    events = [check_event(e) for e in session.step("phase", 2)]  # zero_grad, backward
    backward = phase_events(events)[-1]
    assert backward["phase"] == "backward"
    grad = session.stepper.params["token_embedding.weight"].grad
    assert grad is not None
    assert backward["language"]["grad_rows"] == forward["language"]["rows_used"]
    assert (
        backward["language"]["grad_rows"] == torch.nonzero(grad.abs().sum(dim=1)).view(-1).tolist()
    )


def test_a_step_sends_a_sample_each_time_sample_every_iterations_passed() -> None:
    session = make_session("charlm", sample_every=3, sample_length=20)
    sampled = []
    for _ in range(7):
        step = phase_events([check_event(e) for e in session.step("phase", 5)])[-1]
        assert step["phase"] == "step"
        if "sample" in step.get("language", {}):
            sampled.append(step["language"]["sample"]["iteration"])
    assert sampled == [3, 6]
    # A command that runs past a multiple samples once, at its end.
    step = check_event(session.step("iteration", 10)[-1])
    assert step["language"]["sample"]["iteration"] == 17
    text = step["language"]["sample"]["text"]
    vocab = corpus_vocabulary("poetry_zh")
    assert text == sample_text(session.stepper.model, vocab, 20, 8, seed=42)
    assert check_event(session.step("iteration", 1)[-1])["language"]["sample"]["iteration"] == 18
    assert "sample" not in check_event(session.step("iteration", 1)[-1])["language"]


def test_a_frozen_embedding_has_no_gradient_rows_to_show() -> None:
    session = make_session("charlm", frozen=["token_embedding.weight"], batch_size=4)
    events = by_phase(step_phases(session, 5))
    assert events["forward"]["language"]["rows_used"]
    assert "language" not in events["backward"]
    assert session.stepper.params["token_embedding.weight"].grad is None


def test_without_zero_grad_the_gradient_rows_pile_up() -> None:
    """skip_zero_grad: .grad keeps the rows of every batch since the last zero_grad."""
    session = make_session("charlm", skip_zero_grad=True, batch_size=2, block_size=3)
    used: set[int] = set()
    for _ in range(3):
        events = by_phase(step_phases(session, 5))
        used |= set(events["forward"]["language"]["rows_used"])
        assert events["backward"]["language"]["grad_rows"] == sorted(used)
    assert len(used) > len(events["forward"]["language"]["rows_used"])


def test_every_summarized_update_carries_its_mean_abs_change() -> None:
    session = make_session("charlm", **CONFIGS[0])
    before = {n: p.detach().clone() for n, p in session.stepper.params.items()}
    step = by_phase(step_phases(session, 5))["step"]
    updates = step["capture"]["updates"]
    assert updates and all("summary" in u["after"] for u in updates)
    for update in updates:
        param = session.stepper.params[update["name"]]
        change = (param.detach() - before[update["name"]]).abs().double().mean()
        assert update["mean_abs_change"] == pytest.approx(float(change), rel=1e-12)
        assert update["replay_head"] > 0 and update["same_bits"] is True


def test_every_shown_position_can_be_picked_and_is_torch_softmax() -> None:
    """The loss frame carries softmax and cross-entropy at each position of the windows the
    page shows (4 of them), so the learner can pick any; the picked one equals torch's."""
    session = make_session("charlm", corpus="english", batch_size=6, block_size=5)
    session.step("iteration", 2)
    forward = check_event(session.step("phase", 1)[-1])
    x_batch = decode(forward["capture"]["tensors"]["x"])
    with torch.no_grad():
        logits = session.stepper.model(x_batch)
    loss_event = check_event(session.step("phase", 1)[-1])
    _, y_batch = session.stepper.batch_tensors
    choices = loss_event["language"]["positions"]
    assert choices["count"] == 4 * 5  # the first four windows, five characters each
    assert choices["targets"] == y_batch[:20].tolist()
    probs = F.softmax(logits, dim=-1)
    top_probs = decode(choices["top_probs"])
    for picked in (0, 7, 19):  # first, inside the second window, last shown
        assert choices["top_ids"][picked] == torch.topk(probs[picked], 5).indices.tolist()
        assert torch.equal(top_probs[picked], torch.topk(probs[picked], 5).values)
        assert torch.equal(decode(choices["target_probs"])[picked], probs[picked, y_batch[picked]])
        per_position = F.cross_entropy(logits, y_batch, reduction="none")
        assert torch.equal(decode(choices["losses"])[picked], per_position[picked])


def test_a_loss_frame_with_the_largest_pickable_windows_stays_within_64_kb() -> None:
    session = make_session("charlm", block_size=64, batch_size=512)
    session.step("phase", 1)
    event = session.step("phase", 1)[-1]
    assert event["language"]["positions"]["count"] == 4 * 64
    assert len(orjson.dumps(event, option=orjson.OPT_SERIALIZE_NUMPY)) <= 65_536


def test_a_step_says_how_far_each_kind_of_embedding_row_moved() -> None:
    """AdamW: rows of this batch move by their gradient; rows seen in earlier batches keep
    moving on exp_avg; rows never seen move only by the decoupled weight decay."""
    session = make_session("charlm", corpus="english", batch_size=2, block_size=3)
    for iteration in range(3):
        events = by_phase(step_phases(session, 5))
        emb = session.stepper.params["token_embedding.weight"]
        moves = events["step"]["language"]["moves"]
        used = events["forward"]["language"]["rows_used"]
        assert moves["grad_rows"] == len(used)
        assert moves["grad_rows"] + moves["memory_rows"] + moves["still_rows"] == emb.shape[0]
        if iteration == 0:  # nothing to remember yet
            assert moves["memory_rows"] == 0
        assert moves["memory_shift"] <= moves["grad_shift"] * 1.5
    assert moves["memory_rows"] > 0 and moves["memory_shift"] > 0
    # Decay alone: w ← w·(1 − lr·λ), so the largest move is lr·λ·max|w| over those rows.
    group = session.stepper.optimizer.param_groups[0]
    assert (
        0
        < moves["still_shift"]
        < 2 * group["lr"] * group["weight_decay"] * float(emb.detach().abs().max())
    )
    assert moves["still_shift"] < moves["grad_shift"] / 10
