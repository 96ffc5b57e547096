"""The peer for the late-risk model: scikit-learn's GradientBoostingClassifier and LogisticRegression on the
same time splits and the same features, as `late_risk_split --dump DIR` writes them.

    cargo run --release -p retex-insight --example late_risk_split -- --dump /tmp/late-risk 2010-12-31 2011-12-31
    python examples/late_risk_peer.py /tmp/late-risk 2010-12-31 2011-12-31

Gradient boosting gets the features as they are (unknown values as -1: every feature is otherwise >= 0).
Logistic regression gets the numeric features standardised (unknown values as the training median, plus an
indicator per feature with unknown values) and every categorical column one-hot (in place of the model's
indicators for frequent values).
"""
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler


def reliability(p, y, bins=10):
    rows = []
    index = np.minimum((p * bins).astype(int), bins - 1)
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append(f"[{b / bins:.1f},{(b + 1) / bins:.1f}) n={mask.sum()} pred={p[mask].mean():.3f} obs={y[mask].mean():.3f}")
    return rows


def main(directory, cuts):
    for cut in cuts:
        train = pd.read_csv(f"{directory}/{cut}_train.csv", keep_default_na=False, na_values=[""])
        score = pd.read_csv(f"{directory}/{cut}_score.csv", keep_default_na=False, na_values=[""])
        y_train, y_score = train.pop("late").values, score.pop("late").values
        categorical = [c for c in train.columns if c.startswith("cat_")]
        features = [c for c in train.columns if not c.startswith("cat_") and c != "scheduled"]
        gb = GradientBoostingClassifier(random_state=0).fit(train[features].fillna(-1), y_train)
        p_gb = gb.predict_proba(score[features].fillna(-1))[:, 1]

        numeric = [c for c in features if "=" not in c]
        medians = train[numeric].median()
        def design(frame):
            parts = [frame[numeric].fillna(medians)]
            missing = frame[numeric].isna().astype(float).add_suffix("_unknown")
            parts.append(missing[[c + "_unknown" for c in numeric if train[c].isna().any()]])
            return pd.concat(parts, axis=1)
        scaler = StandardScaler().fit(design(train))
        onehot = pd.get_dummies(pd.concat([train[categorical], score[categorical]]).astype(str)).astype(float)
        x_train = np.hstack([scaler.transform(design(train)), onehot.values[: len(train)]])
        x_score = np.hstack([scaler.transform(design(score)), onehot.values[len(train):]])
        lr = LogisticRegression(C=1.0, max_iter=5000).fit(x_train, y_train)
        p_lr = lr.predict_proba(x_score)[:, 1]
        print(f"cut {cut}: train {len(train)} ({y_train.sum()} late), score {len(score)} ({y_score.sum()} late)")
        for name, p in [("GradientBoostingClassifier", p_gb), ("LogisticRegression", p_lr)]:
            print(f"  {name}: AUC {roc_auc_score(y_score, p):.4f} Brier {brier_score_loss(y_score, p):.4f}")
            for row in reliability(p, y_score):
                print("    " + row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
