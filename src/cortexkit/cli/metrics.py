"""The scores ``cortexkit train`` (held-out rows) and ``cortexkit evaluate`` print."""

from __future__ import annotations

from typing import Any

__all__ = ["format_metrics", "metrics"]


def metrics(est: Any, X: Any, y: Any, task: str) -> dict[str, Any]:
    """Regression: RMSE, MAE, R². Classification: accuracy, balanced accuracy, F1, ROC AUC
    and the confusion matrix."""
    import numpy as np
    from sklearn import metrics as m

    pred = est.predict(X)
    if task == "regress":
        return {
            "rmse": float(m.root_mean_squared_error(y, pred)),
            "mae": float(m.mean_absolute_error(y, pred)),
            "r2": float(m.r2_score(y, pred)),
        }
    labels = list(est.classes_)
    binary = len(labels) == 2
    out: dict[str, Any] = {
        "accuracy": float(m.accuracy_score(y, pred)),
        "balanced_accuracy": float(m.balanced_accuracy_score(y, pred)),
        "f1": float(
            m.f1_score(
                y,
                pred,
                average="binary" if binary else "macro",
                pos_label=labels[-1] if binary else 1,
            )
        ),
    }
    scores = est.predict_proba(X) if hasattr(est, "predict_proba") else est.decision_function(X)
    if np.isin(labels, np.unique(y)).all():
        if binary:
            positive = scores[:, 1] if scores.ndim == 2 else scores
            out["roc_auc"] = float(m.roc_auc_score(np.asarray(y) == labels[1], positive))
        else:  # one-vs-rest, macro: works for scores that are not probabilities too
            out["roc_auc"] = float(
                np.mean([m.roc_auc_score(np.asarray(y) == k, scores[:, i])
                         for i, k in enumerate(labels)])
            )  # fmt: skip
    out["labels"] = [str(v) for v in labels]
    out["confusion_matrix"] = m.confusion_matrix(y, pred, labels=labels).tolist()
    return out


def format_metrics(metrics: dict[str, Any]) -> str:
    """One ``  name   0.1234`` line per score, then the confusion matrix."""
    lines = [f"  {k:<18} {v:.4f}" for k, v in metrics.items() if isinstance(v, float)]
    if "confusion_matrix" in metrics:
        labels = metrics["labels"]
        width = max(8, *(len(s) for s in labels))
        lines.append("  confusion matrix (rows: actual, columns: predicted)")
        lines.append("  " + " " * width + "".join(f"{s:>{width}}" for s in labels))
        for label, row in zip(labels, metrics["confusion_matrix"], strict=True):
            lines.append("  " + f"{label:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)
