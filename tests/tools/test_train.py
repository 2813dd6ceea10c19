"""`python -m fastnn train`: a short run learns, its checkpoint gives torch the same logits,
--help explains the options, a missing scikit-learn is said plainly."""
import re
import sys

import numpy as np
import pytest

import fastnn
from fastnn import _train
from fastnn.__main__ import build_parser, main


def _torch_lenet(torch):
    nn, F = torch.nn, torch.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
            self.conv2 = nn.Conv2d(6, 16, 3, padding=1)
            self.fc1, self.fc2, self.fc3 = nn.Linear(64, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
    return LeNet()


def _shapes(images, seed=0):
    """Ten seeded 8x8 patterns with noise: a stand-in for the digits a run can learn."""
    rng = np.random.default_rng(seed)
    patterns = (rng.random((10, 8, 8)) > 0.6).astype(np.float32)
    labels = rng.integers(0, 10, images)
    noisy = patterns[labels] + 0.2 * rng.standard_normal((images, 8, 8)).astype(np.float32)
    return np.clip(noisy, 0, 1)[:, None].astype(np.float32), labels.astype(np.int64)


def _run(capsys, argv):
    assert main(["train"] + argv) == 0
    out = capsys.readouterr().out
    accuracy = re.search(r"test accuracy ([\d.]+)% after", out)
    return out, float(accuracy.group(1)) / 100


def _same_logits_in_torch(torch, path, images):
    state = torch.load(path)
    assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                           "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight",
                           "fc3.bias"]
    reference = _torch_lenet(torch)
    reference.load_state_dict(state)
    model = _train.DigitsLeNet()
    model.load_state_dict(fastnn.load(path))
    with torch.no_grad():
        expected = reference(torch.from_numpy(images)).numpy()
    with fastnn.no_grad():
        got = np.asarray(model(images))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_run_prints_progress_and_table_and_saves_a_torch_checkpoint(torch, capsys,
                                                                    monkeypatch, tmp_path):
    images, labels = _shapes(400)
    monkeypatch.setattr(_train, "load_digits", lambda: (images, labels))
    out, accuracy = _run(capsys, ["--epochs", "2", "--batch-size", "16", "--optimizer",
                                  "adam", "--lr", "0.01", "--seed", "3", "--save",
                                  str(tmp_path / "m.pt")])
    assert "epoch 1/2 [" in out and "] 20/20 loss " in out         # the progress bar
    row = re.compile(r"\s+(\d)\s+[\d.]+\s+[\d.]+%\s+[\d.]+\s+[\d.]+%\s+[\d.]+")
    lines = re.split(r"[\r\n]", out)              # the bar is rewritten after a carriage return
    assert [row.fullmatch(line).group(1) for line in lines if row.fullmatch(line)] == ["1", "2"]
    assert "320 training and 80 test images" in out and "adam lr 0.01" in out
    assert accuracy > 0.4                                     # chance is 0.1
    _same_logits_in_torch(torch, tmp_path / "m.pt", images[:32])


def test_short_run_on_the_digits_learns(torch, capsys, tmp_path):
    pytest.importorskip("sklearn")
    out, accuracy = _run(capsys, ["--epochs", "3", "--batch-size", "16", "--save",
                                  str(tmp_path / "digits.pt")])
    assert "1438 training and 359 test images" in out
    assert accuracy > 0.7
    images, _ = _train.load_digits()
    _same_logits_in_torch(torch, tmp_path / "digits.pt", images[:64])


def test_the_split_is_seeded_and_disjoint():
    images = np.arange(50, dtype=np.float32).reshape(50, 1, 1, 1)
    labels = np.arange(50)
    train, test = _train.split(images, labels, 7)
    again, _ = _train.split(images, labels, 7)
    other, _ = _train.split(images, labels, 8)
    train_ids, test_ids = np.asarray(train.tensors[1]), np.asarray(test.tensors[1])
    assert len(test_ids) == 10 and sorted(np.r_[train_ids, test_ids]) == list(range(50))
    np.testing.assert_array_equal(np.asarray(again.tensors[1]), train_ids)
    assert not np.array_equal(np.asarray(other.tensors[1]), train_ids)


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["train", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--epochs", "--batch-size", "--lr", "--optimizer", "--seed", "--save"):
        assert option in text
    assert "torch.load" in text and "scikit-learn" in text


@pytest.mark.parametrize("argv, error", [
    (["--epochs", "0"], "must be a positive integer"),
    (["--lr", "-1"], "must be a positive number"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
])
def test_bad_options_are_refused(capsys, argv, error):
    with pytest.raises(SystemExit) as exit_:
        main(["train"] + argv)
    assert exit_.value.code == 2
    assert error in capsys.readouterr().err


def test_missing_scikit_learn_is_said_plainly(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)          # import sklearn fails
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert main(["train"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "pip install 'fastnn[train]'" in captured.err
    assert "scikit-learn" in captured.err
