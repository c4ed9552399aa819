"""The window-statistics baseline: what it embeds, and that it separates intensities."""

import numpy as np
import torch

from morphospace.hypervae.baselines import window_kmeans, window_statistics


def test_window_statistics_are_each_windows_mean_and_std():
    batch = torch.stack([torch.full((1, 4, 4, 4), 0.5), torch.arange(64.0).reshape(1, 4, 4, 4)])
    stats = window_statistics(batch)
    torch.testing.assert_close(stats[0], torch.tensor([0.5, 0.0]))
    torch.testing.assert_close(stats[1], torch.tensor([31.5, torch.arange(64.0).std().item()]))


def test_window_kmeans_splits_a_bright_half_from_a_dark_one():
    volume = np.zeros((1, 1, 16, 16, 16), np.float32)
    volume[..., 8:] = 1.0
    maps = window_kmeans(volume, (2,), patch_size=4, stride=2)
    assert maps.shape == (1, 1, 16, 16, 16)
    left, right = maps[0, 0, :, :, :6], maps[0, 0, :, :, 10:]
    assert (
        len(np.unique(left)) == 1 and len(np.unique(right)) == 1 and left[0, 0, 0] != right[0, 0, 0]
    )
