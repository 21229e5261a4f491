"""Property tests: any YAML text or --set item gives a Config or our one-line InputError."""

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.train.config import Config, load_config, parse_overrides

KEYS = {
    "genome": ["fasta", "cache_dir", "build"],
    "windows": [
        "bin_size",
        "context",
        "min_overlap",
        "target",
        "negative_ratio",
        "valid_chroms",
        "test_chroms",
        "seed",
        "max_n_fraction",
        "gc_matched",
    ],
    "model": ["arch", "resnet", "baseline"],
    "training": ["batch_size", "epochs", "learning_rate", "patience", "strategy", "rc_augment", "seed"],
    "transfer": ["mode", "extractor", "learning_rate"],
    "profiles": [],
    "out_dir": [],
    "nonsense": ["x"],
}
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
sections = st.sampled_from(sorted(KEYS)).flatmap(
    lambda s: st.tuples(
        st.just(s),
        st.dictionaries(st.sampled_from(KEYS[s] or ["name"]), values, max_size=4) if KEYS[s] else values,
    )
)
documents = st.dictionaries(st.sampled_from(sorted(KEYS)), st.none()).flatmap(
    lambda _: st.lists(sections, max_size=5).map(dict)
)
SETTINGS = settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _load(path) -> None:
    try:
        assert isinstance(load_config(path), Config)
    except InputError as err:
        assert "\n" not in str(err).strip()


@SETTINGS
@given(doc=documents)
def test_any_structured_config_loads_or_fails_in_one_line(tmp_path, doc):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    _load(path)


@SETTINGS
@given(text=st.text(alphabet=string.printable + "äé{}[]:-#&*!|>'\"%@`", max_size=120))
def test_any_text_loads_or_fails_in_one_line(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    _load(path)


@settings(max_examples=1000, deadline=None)
@given(
    items=st.lists(
        st.text(alphabet=string.ascii_letters + string.digits + "._=-[]{}: ,", max_size=30), max_size=4
    )
)
def test_any_set_items_give_a_config_or_one_line(items):
    try:
        overrides = parse_overrides(items)
        assert isinstance(load_config(None, overrides), Config)
    except InputError as err:
        assert "\n" not in str(err).strip()
