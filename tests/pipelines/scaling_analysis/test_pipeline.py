"""scaling_analysis: score points and the model's language similarity -> one fitted scaling law per language."""

import numpy as np
import pandas as pd
from kedro.runner import SequentialRunner

from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.pipelines.scaling_analysis import create_pipeline

from ...conftest import RAW, sample_parameters
from ..conftest import memory_catalog


def test_user_points_are_fitted_with_gamma_from_the_model(use_parameters, tiny_model_dir):
    params = sample_parameters()
    params["scaling"] = {**params["scaling"], "points_source": "user", "languages": ["zh"],
                         "fit": {**params["scaling"]["fit"], "n_bootstrap": 20}}
    use_parameters(params)
    truth = ScalingLaw(alpha=45.0, beta=-0.4, gamma=0.5)
    sizes = np.array([100, 200, 400, 800, 1600])
    points = pd.DataFrame({"language": "zh", "size": sizes, "score": truth.predict(sizes)})
    catalog = memory_catalog(
        params, keep=("language_similarity", "scaling_laws"), user_scaling_points=points, base_model=tiny_model_dir,
        **{f"{lang}.flores_raw": (RAW / "multiway" / f"{lang}.txt").read_text(encoding="utf-8") for lang in ("en", "zh")},
    )
    SequentialRunner().run(create_pipeline(), catalog)
    gamma = catalog["language_similarity"].load()["zh"]
    assert 0 < gamma < 1
    law = ScalingLaw.from_dict(catalog["scaling_laws"].load()["zh"])
    assert law.gamma == gamma
    # alpha*gamma^beta is what the data pin down: it must match the truth's
    assert abs(law.alpha * gamma**law.beta - 45.0 * 0.5**-0.4) < 1e-3
    assert abs(law.beta + 0.4) < 1e-4
    assert catalog["scaling_law_plot"].load().axes[0].get_xscale() == "log"
