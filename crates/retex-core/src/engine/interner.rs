//! Dense ids for location and SKU codes, so the ledger keys on two `u32`s instead of two strings.
//!
//! Ids are handed out in order of first appearance in the log, so a full replay and a snapshot plus its tail give
//! the same ids. Only the names are serialized; the lookup map is rebuilt on load.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct codes");
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

impl Serialize for Interner {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.names.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Interner {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names: Vec<Box<str>> = Vec::deserialize(deserializer)?;
        let mut ids = FxHashMap::default();
        ids.reserve(names.len());
        for (id, name) in names.iter().enumerate() {
            let id = u32::try_from(id).map_err(serde::de::Error::custom)?;
            ids.insert(name.clone(), id);
        }
        Ok(Self { ids, names })
    }
}
