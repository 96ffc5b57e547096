//! Serializes hash maps in key order (and hash sets in order, with [`serialize_set`] and [`deserialize_set`]),
//! so that equal states encode to equal bytes whatever their insertion history.

use std::hash::Hash;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<K, V, S>(map: &FxHashMap<K, V>, serializer: S) -> Result<S::Ok, S::Error>
where
    K: Serialize + Ord,
    V: Serialize,
    S: Serializer,
{
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries.serialize(serializer)
}

pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<FxHashMap<K, V>, D::Error>
where
    K: Deserialize<'de> + Eq + Hash,
    V: Deserialize<'de>,
    D: Deserializer<'de>,
{
    let entries: Vec<(K, V)> = Vec::deserialize(deserializer)?;
    let mut map = FxHashMap::default();
    map.reserve(entries.len());
    map.extend(entries);
    Ok(map)
}

pub fn serialize_set<T, S>(set: &FxHashSet<T>, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + Ord,
    S: Serializer,
{
    let mut values: Vec<&T> = set.iter().collect();
    values.sort_unstable();
    values.serialize(serializer)
}

pub fn deserialize_set<'de, T, D>(deserializer: D) -> Result<FxHashSet<T>, D::Error>
where
    T: Deserialize<'de> + Eq + Hash,
    D: Deserializer<'de>,
{
    let values: Vec<T> = Vec::deserialize(deserializer)?;
    let mut set = FxHashSet::default();
    set.reserve(values.len());
    set.extend(values);
    Ok(set)
}
