"""evaluation: every experiment's model on its declared tasks (parameters 'tasks'), then the reports."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.project_parameters import project_parameters
from xllm_kedro.spec.tasks import load_tasks, task_units
from xllm_kedro.pipelines._build import bound, experiments, ns_node
from xllm_kedro.pipelines.evaluation.nodes import collect_results_node, evaluate_model_node


def create_pipeline(**kwargs) -> Pipeline:
    params = project_parameters()
    tasks = load_tasks(params.get("tasks"))
    judge_on = bool((((params.get("evaluation") or {}).get("scorers") or {}).get("llm_judge") or {}).get("enabled"))
    nodes, collected = [], {}
    for exp in experiments():
        units = task_units(tasks, exp.tasks, exp.eval_languages, where=f"parameters experiments.{exp.name}.tasks")
        if not units:
            continue
        inputs = {"model_dir": f"{exp.name}.model", "evaluation": "params:evaluation", "tasks": "params:tasks",
                  "trust_remote_code": "params:trust_remote_code"}
        for name, lang in units:
            task = tasks[name]
            inputs[f"{name}__{lang}"] = task.dataset(lang)
            if task.kind == "translation":
                inputs[f"{name}__en"] = task.dataset("en")
        if judge_on and any("llm_judge" in tasks[name].metrics for name, _ in units):
            inputs["llm_judge_credentials"] = "llm_judge_credentials"
        func = bound(evaluate_model_node, experiment=exp.name, units=[list(u) for u in units])
        nodes.append(ns_node(exp.name, func, inputs, [f"{exp.name}.predictions", f"{exp.name}.metrics"],
                             "evaluate_model_node"))
        if not exp.strategy:  # budgeted runs are scored in the `budgeted` pipeline, after allocation
            collected[exp.name] = f"{exp.name}.metrics"
    nodes.append(ns_node(None, collect_results_node, {"evaluation": "params:evaluation", "tasks": "params:tasks",
                                                      **collected},
                         ["evaluation_results", "evaluation_table", "evaluation_table_md", "translation_chart",
                          "evaluation_metrics"], "collect_results_node"))
    return Pipeline(nodes, tags="evaluation")
