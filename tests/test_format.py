"""Sizes are written as DevTools writes them (i18n.ByteUtilities.bytesToString in en-US), with a
plain space where DevTools puts a non-breaking one."""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest

from heaptui.format import human_size, signed


@pytest.mark.parametrize("size, text", [
    # DevTools' own unit-test cases (ByteUtilities.test.ts).
    (50, "50 B"),
    (5 * 1000, "5.0 kB"),
    (500 * 1000, "500 kB"),
    (1500 * 1000, "1.5 MB"),
    (210 * 1000 * 1000, "210 MB"),
    # Issue #9: what DevTools shows for 812,600 B.
    (812_600, "813 kB"),
    # Each boundary, on both sides.
    (0, "0 B"),
    (999, "999 B"),
    (1000, "1.0 kB"),
    (1049, "1.0 kB"),
    (1050, "1.1 kB"),  # 1.05 rounds up: halves go away from zero on the decimal digits
    (99_949, "99.9 kB"),
    (99_950, "100.0 kB"),  # still below 100 kB before rounding, so still one decimal
    (99_999, "100.0 kB"),
    (100_000, "100 kB"),
    (100_499, "100 kB"),
    (100_500, "101 kB"),
    (999_499, "999 kB"),
    (999_500, "1,000 kB"),
    (999_999, "1,000 kB"),
    (1_000_000, "1.0 MB"),
    (99_949_999, "99.9 MB"),
    (99_950_000, "100.0 MB"),
    (100_000_000, "100 MB"),
    # No unit above MB: DevTools writes gigabytes as grouped megabytes.
    (1_234_567_890, "1,235 MB"),
    (12_000_000_000, "12,000 MB"),
])
def test_human_size_matches_devtools(size, text):
    assert human_size(size) == text


def test_negative_sizes_are_the_magnitude_with_a_sign():
    assert human_size(-812_600) == "-813 kB"
    assert human_size(-5) == "-5 B"
    assert human_size(-1050) == "-1.1 kB"
    # The comparison's deltas keep DevTools' signs around the same digits.
    assert signed(-812_600, human_size) == "\u2212813 kB"
    assert signed(1050, human_size) == "+1.1 kB"


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    assert human_size(np.uint32(812_600)) == "813 kB"
    assert human_size(np.int64(-99_950)) == "-100.0 kB"


_INTL = r"""
const lines = require('fs').readFileSync(0, 'utf8').trim().split('\n').map(Number);
const fmt = (unit, digits) => new Intl.NumberFormat('en-US', {style: 'unit', unit, unitDisplay: 'narrow',
  minimumFractionDigits: digits, maximumFractionDigits: digits});
const out = lines.map(b => {
  if (b < 1000) return fmt('byte', 0).format(b);
  const k = b / 1000;
  if (k < 1000) return fmt('kilobyte', k < 100 ? 1 : 0).format(k);
  const m = k / 1000;
  return fmt('megabyte', m < 100 ? 1 : 0).format(m);
});
process.stdout.write(JSON.stringify(out));
"""


def test_digits_agree_with_intl_number_format():
    """The platform formatter DevTools calls, on many sizes: same digits, rounding and grouping
    (Intl omits the space before a narrow unit; DevTools inserts one, as heaptui does)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on the PATH")
    rng = random.Random(9)
    sizes = [rng.randrange(10 ** rng.randint(1, 12)) for _ in range(3000)]
    sizes += [k * 50 for k in range(1, 2000)]  # exact halves at every decimal place we show
    sizes += [b + d for b in (10**3, 10**5, 10**6, 10**8) for d in range(-60, 60)]
    done = subprocess.run([node, "-e", _INTL], input="\n".join(map(str, sizes)), capture_output=True,
                          text=True, timeout=60, check=True)
    expected = [re.sub(r"(?<=\d)(?=[kM]?B$)", " ", t) for t in json.loads(done.stdout)]
    mismatches = [(s, human_size(s), e) for s, e in zip(sizes, expected) if human_size(s) != e]
    assert not mismatches[:10]
