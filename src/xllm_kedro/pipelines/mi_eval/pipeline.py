"""mi_eval: the MI-Eval set (built, or a ready-made file in the catalog), each listed model's answers
(the ``instruction`` task), response consistency (Table 3) and, when on, the pairwise judge (Figure 4)."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.mi_eval.nodes import (answer_mi_eval_node, build_mi_eval_node, judge_mi_eval_node,
                                                report_consistency_node)
from xllm_kedro.spec.study import Study


def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    spec = study.mi_eval
    if spec is None:
        return Pipeline([])
    nodes = []
    if spec.build:
        nodes.append(ns_node(None, bound(build_mi_eval_node, spec=spec),
                             [spec.seed_source, "llm_generator_credentials", *spec.aligned_sources()],
                             ["mi_eval", "mi_eval_provenance", "mi_eval_build_metrics"], "build_mi_eval_node"))
    for exp in spec.models:
        nodes.append(ns_node(exp, bound(answer_mi_eval_node, spec=spec, experiment=exp),
                             [study.model_dataset(exp), "mi_eval", "params:evaluation", "params:trust_remote_code"],
                             [f"{exp}.mi_eval_answers", f"{exp}.mi_eval_consistency"], "answer_mi_eval_node"))
    nodes.append(ns_node(None, bound(report_consistency_node, layer=spec.layer),
                         [f"{exp}.mi_eval_consistency" for exp in spec.models if len(spec.answer_languages[exp]) > 1],
                         ["mi_eval_consistency_table", "mi_eval_consistency_report", "mi_eval_consistency_metrics"],
                         "report_consistency_node"))
    if spec.judge.enabled and spec.judge.pairs:
        judged = sorted({m for p in spec.judge.pairs for m in (p.a, p.b)})
        nodes.append(ns_node(None, bound(judge_mi_eval_node, models=judged, spec=spec),
                             ["llm_judge_credentials", *(f"{m}.mi_eval_answers" for m in judged)],
                             ["mi_eval_judgements", "mi_eval_judge_table", "mi_eval_judge_chart", "mi_eval_judge"],
                             "judge_mi_eval_node"))
    return Pipeline(nodes, tags="mi_eval")
