"""evaluation: every experiment's model on its tasks (QA in the target language, En->X translation)."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from .._nodes import bound, experiments, ns_node
from .nodes import collect_results_node, evaluate_model_node


def create_pipeline(**kwargs) -> Pipeline:
    nodes, collected = [], {}
    for exp in experiments():
        if not exp.eval_languages:
            continue
        inputs = {"model_dir": f"{exp.name}.model", "evaluation": "params:evaluation"}
        for lang in exp.eval_languages:
            if "qa" in exp.tasks:
                inputs[f"qa__{lang}"] = f"{lang}.qa_examples"
            if "translation" in exp.tasks:
                inputs[f"flores__{lang}"] = f"{lang}.flores_raw"
                inputs["flores__en"] = "en.flores_raw"
        func = bound(evaluate_model_node, experiment=exp.name, tasks=list(exp.tasks), languages=list(exp.eval_languages))
        nodes.append(ns_node(exp.name, func, inputs, [f"{exp.name}.predictions", f"{exp.name}.metrics"],
                             "evaluate_model_node"))
        collected[exp.name] = f"{exp.name}.metrics"
    nodes.append(ns_node(None, collect_results_node, collected, ["evaluation_results", "evaluation_metrics"],
                         "collect_results_node"))
    return Pipeline(nodes, tags="evaluation")
