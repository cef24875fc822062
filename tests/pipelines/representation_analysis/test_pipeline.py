"""representation_analysis: base and tuned models compared layer by layer on multi-way parallel sentences."""

from kedro.runner import SequentialRunner

from xllm_kedro.pipelines.representation_analysis import create_pipeline

from ...conftest import sample_parameters
from ..conftest import memory_catalog, small_parameters


def test_base_and_tuned_models_are_compared_on_real_flores(use_parameters, tiny_model_dir, shared_data):
    representation = {**sample_parameters()["representation_analysis"], "languages": ["zh", "hi"],
                      "models": ["x_zh"], "max_sentences": 40, "pca_layers": [0, 2]}
    params = small_parameters(["zh", "hi"], {"x_zh": {"sources": ["alpaca_en"], "eval_languages": []}},
                              representation_analysis=representation)
    use_parameters(params)
    flores = {f"{lang}.flores_raw": (shared_data / "flores" / f"flores101.dev.{lang}").read_text(encoding="utf-8")
              for lang in ("en", "zh", "hi")}
    catalog = memory_catalog(params, keep=("representation_alignment",), base_model=tiny_model_dir,
                             **{"x_zh.model": tiny_model_dir}, **flores)
    SequentialRunner().run(create_pipeline(), catalog)
    table = catalog["representation_alignment"].load()
    assert set(table["model"]) == {"base", "x_zh"} and set(table["language"]) == {"zh", "hi"}
    assert len(table) == 2 * 2 * 3  # models x languages x (embeddings + 2 layers)
    assert table["retrieval_en_x"].between(0, 1).all() and table["cka"].between(0, 1 + 1e-9).all()
    base = table[table["model"] == "base"].reset_index(drop=True)
    same = table[table["model"] == "x_zh"].reset_index(drop=True)
    assert (base.drop(columns="model") == same.drop(columns="model")).all().all()  # same weights, same numbers
    figure = catalog["representation_pca_plot"].load()
    assert len(figure.axes) == 2 * 2
