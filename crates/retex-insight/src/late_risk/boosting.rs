//! Gradient-boosted regression trees for the logistic loss, over histogram bins: plain, sequential and
//! deterministic (the same rows give the same trees, bit for bit).
//!
//! Each feature's values are cut into at most [`BoostingConfig::max_bins`] bins at quantiles of the training
//! values; an unknown value (`NaN`) has a bin of its own that always goes left. A tree grows depth first to
//! [`BoostingConfig::max_depth`]. Like Friedman's gradient boosting (and scikit-learn's
//! `GradientBoostingClassifier`), a split is chosen as a least-squares regression tree fitted to the gradients
//! would choose it, where the squared sums over the rows fall most: `G_L²/n_L + G_R²/n_R - G²/n` (the first such
//! split on ties); every node keeps its Newton value `-G/(H+λ)` times the learning rate, so a prediction can be
//! explained as the sum of the changes along its path (Saabas). Weighting the split by the second derivatives
//! instead (`G²/(H+λ)`, as histogram boosters do) lets the few rows already predicted near 0 or 1 decide the
//! splits; on the SCMS history's time splits it ranked later deliveries worse (`docs/insight.md`).

/// How the trees are grown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoostingConfig {
    pub rounds: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub min_rows_per_leaf: usize,
    /// L2 penalty λ on a leaf's value.
    pub l2: f64,
    /// Bins per feature, the unknown value's included; at most 256.
    pub max_bins: usize,
}

impl Default for BoostingConfig {
    fn default() -> Self {
        Self {
            rounds: 100,
            learning_rate: 0.1,
            max_depth: 3,
            min_rows_per_leaf: 1,
            l2: 0.0,
            max_bins: 256,
        }
    }
}

/// A node: a split or a leaf, with its value (log-odds, learning rate applied) either way.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Node {
    value: f64,
    /// `None` for a leaf.
    split: Option<Split>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Split {
    feature: usize,
    /// Left when the value is unknown or at most this.
    threshold: f64,
    left: usize,
    right: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct Tree {
    /// The root is node 0.
    nodes: Vec<Node>,
}

/// The trained ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct Booster {
    /// The log-odds of the training rate.
    base: f64,
    trees: Vec<Tree>,
    feature_count: usize,
}

pub fn sigmoid(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

impl Booster {
    /// Trains on `rows` (each `feature_count` long) and their labels. `rows` must not be empty.
    pub fn train(rows: &[Vec<f64>], labels: &[bool], config: &BoostingConfig) -> Self {
        assert_eq!(rows.len(), labels.len(), "one label per row");
        assert!(!rows.is_empty(), "rows to train on");
        let feature_count = rows[0].len();
        let bins = Binned::new(rows, config.max_bins);
        let positives = labels.iter().filter(|&&label| label).count() as f64;
        let rate = ((positives + 0.5) / (rows.len() as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
        let base = (rate / (1.0 - rate)).ln();
        let mut log_odds = vec![base; rows.len()];
        let mut gradients = vec![0.0; rows.len()];
        let mut hessians = vec![0.0; rows.len()];
        let mut trees = Vec::with_capacity(config.rounds);
        for _ in 0..config.rounds {
            for index in 0..rows.len() {
                let probability = sigmoid(log_odds[index]);
                gradients[index] = probability - f64::from(u8::from(labels[index]));
                hessians[index] = (probability * (1.0 - probability)).max(1e-9);
            }
            let mut grower = Grower {
                bins: &bins,
                gradients: &gradients,
                hessians: &hessians,
                config,
                nodes: Vec::new(),
            };
            let all_rows: Vec<u32> = (0..rows.len() as u32).collect();
            grower.grow(all_rows, 0);
            let tree = Tree { nodes: grower.nodes };
            for (index, row) in rows.iter().enumerate() {
                log_odds[index] += tree.leaf_value(row);
            }
            trees.push(tree);
        }
        Self {
            base,
            trees,
            feature_count,
        }
    }

    /// The raw log-odds of a row.
    pub fn log_odds(&self, row: &[f64]) -> f64 {
        self.base + self.trees.iter().map(|tree| tree.leaf_value(row)).sum::<f64>()
    }

    /// The log-odds of a row split into the base (plus every root's value) and one contribution per feature;
    /// they add up to [`Booster::log_odds`].
    pub fn contributions(&self, row: &[f64]) -> (f64, Vec<f64>) {
        let mut bias = self.base;
        let mut by_feature = vec![0.0; self.feature_count];
        for tree in &self.trees {
            let mut node = tree.nodes[0];
            bias += node.value;
            while let Some(split) = node.split {
                let next = tree.nodes[split.next(row)];
                by_feature[split.feature] += next.value - node.value;
                node = next;
            }
        }
        (bias, by_feature)
    }
}

impl Split {
    fn next(&self, row: &[f64]) -> usize {
        let value = row[self.feature];
        if value.is_nan() || value <= self.threshold {
            self.left
        } else {
            self.right
        }
    }
}

impl Tree {
    fn leaf_value(&self, row: &[f64]) -> f64 {
        let mut node = self.nodes[0];
        while let Some(split) = node.split {
            node = self.nodes[split.next(row)];
        }
        node.value
    }
}

/// Every row's bin per feature, and each feature's bin edges: bin 0 is unknown, bin `b >= 1` holds values in
/// `(edges[b - 2], edges[b - 1]]`.
struct Binned {
    /// Row-major: `bins[row * features + feature]`.
    bins: Vec<u8>,
    edges: Vec<Vec<f64>>,
    features: usize,
}

impl Binned {
    fn new(rows: &[Vec<f64>], max_bins: usize) -> Self {
        let features = rows[0].len();
        let max_bins = max_bins.clamp(3, 256);
        let mut edges = Vec::with_capacity(features);
        for feature in 0..features {
            let mut values: Vec<f64> = rows
                .iter()
                .map(|row| row[feature])
                .filter(|value| !value.is_nan())
                .collect();
            values.sort_by(f64::total_cmp);
            edges.push(quantile_edges(&values, max_bins - 2));
        }
        let mut bins = Vec::with_capacity(rows.len() * features);
        for row in rows {
            for (feature, &value) in row.iter().enumerate() {
                bins.push(bin_of(&edges[feature], value));
            }
        }
        Self { bins, edges, features }
    }
}

/// At most `count` edges at quantiles of the sorted values, distinct, the largest value excluded (a split at
/// it would send nothing right).
fn quantile_edges(sorted: &[f64], count: usize) -> Vec<f64> {
    let mut edges: Vec<f64> = Vec::new();
    if sorted.is_empty() {
        return edges;
    }
    let last = sorted[sorted.len() - 1];
    for step in 1..=count {
        let position = (step * sorted.len()) / (count + 1);
        let value = sorted[position.min(sorted.len() - 1)];
        if value < last && edges.last().is_none_or(|&previous| value > previous) {
            edges.push(value);
        }
    }
    edges
}

fn bin_of(edges: &[f64], value: f64) -> u8 {
    if value.is_nan() {
        return 0;
    }
    (1 + edges.partition_point(|&edge| edge < value)) as u8
}

struct Grower<'a> {
    bins: &'a Binned,
    gradients: &'a [f64],
    hessians: &'a [f64],
    config: &'a BoostingConfig,
    nodes: Vec<Node>,
}

/// Sums over a set of rows.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    gradient: f64,
    hessian: f64,
    rows: usize,
}

impl Sums {
    fn add(&mut self, other: Self) {
        self.gradient += other.gradient;
        self.hessian += other.hessian;
        self.rows += other.rows;
    }

    fn minus(self, other: Self) -> Self {
        Self {
            gradient: self.gradient - other.gradient,
            hessian: self.hessian - other.hessian,
            rows: self.rows - other.rows,
        }
    }

    /// What a split gains from this side: its gradients' squared sum over its rows.
    fn split_score(self) -> f64 {
        self.gradient * self.gradient / self.rows as f64
    }
}

impl Grower<'_> {
    /// Grows the subtree of `rows` at `depth`; returns its node's index.
    fn grow(&mut self, rows: Vec<u32>, depth: usize) -> usize {
        let mut total = Sums::default();
        for &row in &rows {
            total.add(self.row_sums(row));
        }
        let index = self.nodes.len();
        let value = -total.gradient / (total.hessian + self.config.l2) * self.config.learning_rate;
        self.nodes.push(Node { value, split: None });
        if depth >= self.config.max_depth || rows.len() < 2 * self.config.min_rows_per_leaf {
            return index;
        }
        let Some((feature, bin)) = self.best_split(&rows, total) else {
            return index;
        };
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) =
            rows.iter().partition(|&&row| self.bin(row, feature) <= bin);
        let threshold = if bin == 0 {
            f64::NEG_INFINITY
        } else {
            self.bins.edges[feature][usize::from(bin) - 1]
        };
        let left = self.grow(left_rows, depth + 1);
        let right = self.grow(right_rows, depth + 1);
        self.nodes[index].split = Some(Split {
            feature,
            threshold,
            left,
            right,
        });
        index
    }

    fn row_sums(&self, row: u32) -> Sums {
        Sums {
            gradient: self.gradients[row as usize],
            hessian: self.hessians[row as usize],
            rows: 1,
        }
    }

    fn bin(&self, row: u32, feature: usize) -> u8 {
        self.bins.bins[row as usize * self.bins.features + feature]
    }

    /// The feature and bin (left: bins up to it) of the best split, if any gains.
    fn best_split(&self, rows: &[u32], total: Sums) -> Option<(usize, u8)> {
        let parent_score = total.split_score();
        let mut best: Option<(f64, usize, u8)> = None;
        let mut histogram = vec![Sums::default(); 256];
        for feature in 0..self.bins.features {
            let bin_count = self.bins.edges[feature].len() + 2;
            histogram[..bin_count].fill(Sums::default());
            for &row in rows {
                histogram[usize::from(self.bin(row, feature))].add(self.row_sums(row));
            }
            let mut left = Sums::default();
            for (bin, sums) in histogram[..bin_count - 1].iter().enumerate() {
                left.add(*sums);
                let right = total.minus(left);
                if left.rows < self.config.min_rows_per_leaf || right.rows < self.config.min_rows_per_leaf {
                    continue;
                }
                let gain = left.split_score() + right.split_score() - parent_score;
                if gain > 1e-12 && best.is_none_or(|(best_gain, _, _)| gain > best_gain) {
                    best = Some((gain, feature, bin as u8));
                }
            }
        }
        best.map(|(_, feature, bin)| (feature, bin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_threshold_is_learnt_and_contributions_add_up() {
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|index| vec![f64::from(index), f64::from(index % 7)])
            .collect();
        let labels: Vec<bool> = (0..200).map(|index| index >= 120).collect();
        let booster = Booster::train(&rows, &labels, &BoostingConfig::default());
        assert!(sigmoid(booster.log_odds(&[10.0, 3.0])) < 0.2);
        assert!(sigmoid(booster.log_odds(&[180.0, 3.0])) > 0.8);
        let (bias, by_feature) = booster.contributions(&[180.0, 3.0]);
        let total = bias + by_feature.iter().sum::<f64>();
        assert!((total - booster.log_odds(&[180.0, 3.0])).abs() < 1e-9);
        assert!(
            by_feature[0] > by_feature[1].abs(),
            "the first feature decides: {by_feature:?}"
        );
    }

    #[test]
    fn unknown_values_have_a_bin_of_their_own() {
        assert_eq!(bin_of(&[1.0, 2.0], f64::NAN), 0);
        assert_eq!(bin_of(&[1.0, 2.0], 0.5), 1);
        assert_eq!(bin_of(&[1.0, 2.0], 1.0), 1);
        assert_eq!(bin_of(&[1.0, 2.0], 1.5), 2);
        assert_eq!(bin_of(&[1.0, 2.0], 9.0), 3);
    }
}
