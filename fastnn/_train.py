"""`python -m fastnn train`: a LeNet trained on scikit-learn's 8x8 digits, end to end on
fastnn (autograd, fastnn.optim, fastnn.utils.data), with a checkpoint torch.load reads.

The data: the 1,797 images of `sklearn.datasets.load_digits` (scikit-learn is the `train`
extra), scaled to [0, 1], split once into training and held-out test images by `--seed`.
The same seed sets the weights and the DataLoader's shuffling, so a run is reproducible.
The learning rate falls to zero along a cosine over the run (CosineAnnealingLR, stepped
per batch).
"""
import argparse
import sys
import time

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn._demo import positive_int
from fastnn.utils.data import DataLoader, TensorDataset

OPTIMIZERS = {"sgd": 0.05, "adam": 2e-3}          # the default learning rate of each
TEST_FRACTION = 0.2
BAR_WIDTH = 30
MISSING_SKLEARN = ("the digits data set comes from scikit-learn "
                   "(sklearn.datasets.load_digits), which is not installed: "
                   "pip install 'fastnn[train]' (or pip install scikit-learn)")


class DigitsLeNet(nn.Module):
    """LeNet for 8x8 images: two 3x3 convolutions (padding 1) with relu and 2x2 max
    pooling, then three linear layers; torch's layer names (conv1, conv2, fc1, fc2, fc3)."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 2 * 2, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = fastnn.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def add_arguments(parser):
    parser.add_argument("--epochs", type=positive_int, default=20,
                        help="passes over the training images (20)")
    parser.add_argument("--batch-size", type=positive_int, default=32,
                        help="images per optimizer step (32)")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd",
                        help="sgd: SGD with momentum 0.9; adam: Adam (sgd)")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="initial learning rate, annealed to 0 along a cosine over the "
                             "run (sgd: 0.05, adam: 0.002)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the test split, the weights and the shuffling (0)")
    parser.add_argument("--save", metavar="PATH", default=None,
                        help="write the trained model's state_dict there with fastnn.save "
                             "(torch's zip format: torch.load reads it)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="kernel threads (default: all cores)")


def load_digits():
    """(images float32 (N, 1, 8, 8) in [0, 1], labels int64 (N,)); None when
    scikit-learn is missing."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        return None
    digits = sklearn_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    return images, digits.target.astype(np.int64)


def split(images, labels, seed):
    """(train, test) TensorDatasets: a seeded held-out fraction TEST_FRACTION."""
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(len(labels) * TEST_FRACTION))
    test, train = order[:n_test], order[n_test:]
    return (TensorDataset(fastnn.tensor(images[train]), fastnn.tensor(labels[train])),
            TensorDataset(fastnn.tensor(images[test]), fastnn.tensor(labels[test])))


def make_optimizer(name, params, lr):
    if name == "sgd":
        return fastnn.optim.SGD(params, lr=lr, momentum=0.9)
    return fastnn.optim.Adam(params, lr=lr)


def progress_bar(epoch, epochs, done, total, loss):
    filled = BAR_WIDTH * done // total
    return (f"epoch {epoch:>{len(str(epochs))}}/{epochs} "
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} "
            f"loss {loss:.4f}")


def train_epoch(model, loader, optimizer, scheduler, epoch, epochs, stream):
    """One pass over `loader`; a progress bar rewritten in place. -> (mean loss, accuracy)."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    batches = len(loader)
    for done, (x, y) in enumerate(loader, 1):
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total_loss += float(loss) * len(y)
        correct += int((np.asarray(logits).argmax(1) == np.asarray(y)).sum())
        seen += len(y)
        stream.write("\r" + progress_bar(epoch, epochs, done, batches, total_loss / seen))
        stream.flush()
    stream.write("\r" + " " * (BAR_WIDTH + 40) + "\r")
    return total_loss / seen, correct / seen


def evaluate(model, dataset):
    """(mean cross-entropy, accuracy) of `model` on every image of `dataset`."""
    model.eval()
    images, labels = dataset.tensors
    with fastnn.no_grad():
        logits = model(images)
        loss = float(F.cross_entropy(logits, labels))
    accuracy = float((np.asarray(logits).argmax(1) == np.asarray(labels)).mean())
    return loss, accuracy


def main(args, stream=None):
    stream = stream or sys.stdout             # looked up per call (pytest replaces it)
    data = load_digits()
    if data is None:
        print(f"python -m fastnn train: error: {MISSING_SKLEARN}", file=sys.stderr)
        return 2
    images, labels = data
    if args.threads:
        fastnn.set_num_threads(args.threads)
    lr = args.lr if args.lr is not None else OPTIMIZERS[args.optimizer]
    train_set, test_set = split(images, labels, args.seed)
    fastnn.manual_seed(args.seed)
    model = DigitsLeNet()
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                        generator=fastnn.Generator().manual_seed(args.seed))
    scheduler = fastnn.optim.lr_scheduler.CosineAnnealingLR(optimizer,
                                                            args.epochs * len(loader))
    print(f"LeNet on scikit-learn's digits: {len(train_set)} training and {len(test_set)} "
          f"test images (8x8), {args.optimizer} lr {lr:g}, batch {args.batch_size}, "
          f"seed {args.seed}", file=stream)
    header = (f"{'epoch':>5}  {'train loss':>10}  {'train acc':>9}  {'test loss':>9}  "
              f"{'test acc':>8}  {'seconds':>7}")
    print(header, file=stream)
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_started = time.perf_counter()
        train_loss, train_acc = train_epoch(model, loader, optimizer, scheduler, epoch,
                                            args.epochs, stream)
        test_loss, test_acc = evaluate(model, test_set)
        print(f"{epoch:>5}  {train_loss:>10.4f}  {train_acc:>8.1%}  {test_loss:>9.4f}  "
              f"{test_acc:>8.1%}  {time.perf_counter() - epoch_started:>7.2f}", file=stream)
    print(f"test accuracy {test_acc:.1%} after {args.epochs} epochs in "
          f"{time.perf_counter() - started:.1f} s ({fastnn.get_num_threads()} threads)",
          file=stream)
    if args.save:
        fastnn.save(model.state_dict(), args.save)
        print(f"saved the state_dict to {args.save} (torch.load reads it: "
              f"{', '.join(model.state_dict())})", file=stream)
    return 0
