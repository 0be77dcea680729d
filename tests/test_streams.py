"""The per-id random streams (forecast.streams): the seed words the band and the watch list
have always used, so that their draws stay the same."""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from forecast.streams import id_words, stream


def test_id_words_are_the_first_16_bytes_of_sha256_little_endian():
    digest = hashlib.sha256("invasion-δ".encode()).digest()
    assert id_words("invasion-δ") == list(struct.unpack("<4I", digest[:16]))


def test_the_band_and_watch_streams_keep_their_seed_words():
    words = list(struct.unpack("<4I", hashlib.sha256(b"troops-massing").digest()[:16]))
    band = np.random.default_rng([11, *words, 2]).standard_normal(5)
    watch = np.random.default_rng([11, 7, *words]).standard_normal(5)
    np.testing.assert_array_equal(stream(11, "troops-massing", 2).standard_normal(5), band)
    np.testing.assert_array_equal(stream(11, 7, "troops-massing").standard_normal(5), watch)
    assert not np.array_equal(stream(11, "troops-massinG", 2).standard_normal(5), band)
