"""evaluation: every experiment's model on its declared tasks (parameters 'tasks'), then the reports."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.evaluation.nodes import (collect_results_node, compare_on_language_node, evaluate_model_node,
                                                  significance_node)
from xllm_kedro.spec.experiments import Experiment
from xllm_kedro.spec.study import Study


def evaluate_node(study: Study, exp: Experiment) -> Node | None:
    """Scores ``exp``'s model on its (task, language) units; None when it has none."""
    units = list(study.units[exp.name])
    if not units:
        return None
    sets = list(dict.fromkeys(
        key for name, lang in units
        for key in ([(name, lang), (name, "en")] if study.tasks[name].kind == "translation" else [(name, lang)])))
    func = bound(evaluate_model_node, experiment=exp.name, units=units, sets=sets)
    inputs = [f"{exp.name}.model", "params:evaluation", "params:tasks", "params:trust_remote_code", "params:launcher",
              "llm_judge_credentials", *(study.tasks[name].dataset(lang) for name, lang in sets)]
    return ns_node(exp.name, func, inputs, [f"{exp.name}.predictions", f"{exp.name}.metrics"], "evaluate_model_node")


def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    nodes = [n for n in (evaluate_node(study, exp) for exp in study.staged) if n]
    scored = [exp.name for exp in study.staged if study.units[exp.name]]
    nodes.append(ns_node(None, bound(collect_results_node, experiments=scored),
                         ["params:evaluation", "params:tasks", *(f"{name}.metrics" for name in scored)],
                         ["evaluation_results", "evaluation_table", "evaluation_table_md", "translation_chart",
                          "evaluation_metrics"], "collect_results_node"))
    if study.continued_pretraining:
        report = study.continued_pretraining
        nodes.append(ns_node(None, bound(compare_on_language_node, experiments=list(report.experiments),
                                         language=report.language),
                             "evaluation_results", ["continued_pretraining_table", "continued_pretraining_plot"],
                             "compare_continued_pretraining_node"))
    if study.baselines:
        models = sorted({name for pair in study.baselines for name in pair})
        nodes.append(ns_node(None, bound(significance_node, models=models, comparisons=list(study.baselines)),
                             ["params:significance", "params:tasks", *(f"{m}.predictions" for m in models)],
                             ["significance_table", "significance_metrics"], "significance_node"))
    return Pipeline(nodes, tags="evaluation")
