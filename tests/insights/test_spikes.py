"""The spike rule on synthetic weekly series: it fires on a spike, not on steady noise."""

import numpy as np
import pytest

from insights import spikes

WEEKS = 30


def _steady_reviews(rng, weeks=WEEKS, n=40, p=0.15):
    sizes = rng.poisson(n, weeks)
    return [(int(size), int(rng.binomial(size, p))) for size in sizes]


def _alerts_share(series):
    return [w for w in range(1, len(series)) if spikes.share_spike(series[max(0, w - spikes.BASELINE_WEEKS):w],
                                                                    series[w])]


def _alerts_volume(counts):
    return [w for w in range(1, len(counts)) if spikes.volume_spike(counts[max(0, w - spikes.BASELINE_WEEKS):w],
                                                                     counts[w])]


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize(("n", "p"), [(15, 0.1), (40, 0.15), (200, 0.2), (25, 0.4)])
def test_steady_share_negative_raises_no_alert(seed, n, p):
    assert _alerts_share(_steady_reviews(np.random.default_rng(seed), n=n, p=p)) == []


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("mean", [2, 6, 20, 80])
def test_steady_ticket_volume_raises_no_alert(seed, mean):
    counts = [int(c) for c in np.random.default_rng(seed).poisson(mean, WEEKS)]
    assert _alerts_volume(counts) == []


@pytest.mark.parametrize("seed", range(10))
def test_a_jump_in_share_negative_fires_in_its_week(seed):
    rng = np.random.default_rng(seed)
    series = _steady_reviews(rng, n=40, p=0.12)
    size = 40
    series[20] = (size, int(rng.binomial(size, 0.5)))  # the week a bad batch shipped
    assert _alerts_share(series) == [20]
    spike = spikes.share_spike(series[12:20], series[20])
    assert spike.value > 0.3 and spike.baseline < 0.2 and spike.z >= spikes.Z and spike.count == size


@pytest.mark.parametrize("seed", range(10))
def test_a_jump_in_ticket_volume_fires_in_its_week(seed):
    counts = [int(c) for c in np.random.default_rng(seed).poisson(6, WEEKS)]
    counts[22] = 30
    assert _alerts_volume(counts) == [22]


def test_small_numbers_never_alert():
    quiet = [(3, 0)] * 10
    assert spikes.share_spike(quiet, (9, 9)) is None  # every review negative, but fewer than MIN_REVIEWS
    assert spikes.volume_spike([0] * 10, spikes.MIN_TICKETS - 1) is None
    assert spikes.volume_spike([0] * 10, spikes.MIN_TICKETS) is not None


def test_without_enough_history_nothing_fires():
    assert spikes.share_spike([(40, 2)] * 3, (40, 30)) is None  # fewer than MIN_BASELINE_WEEKS weeks
    assert spikes.share_spike([(40, 2)] * 4, (40, 30)) is not None
    assert spikes.share_spike([(4, 0)] * 4, (40, 30)) is None  # fewer than MIN_BASELINE_REVIEWS reviews
    assert spikes.volume_spike([1, 1, 1], 40) is None
    assert spikes.volume_spike([1, 1, 1, 1], 40) is not None
