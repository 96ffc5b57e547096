//! Property tests against a naive reference ledger: random event sequences give the same stock, and replaying
//! from any snapshot point gives the same state hash. (Duplicates are the log's business: the ingest tests of
//! the `retex` crate insert them through the real store.)

use std::collections::BTreeMap;

use proptest::prelude::*;
use retex_core::codes::Qty;
use retex_core::engine::{Engine, Input};
use retex_core::wire::parse_event;

const LOCATIONS: [&str; 3] = ["L0", "L1", "L2"];
const SKUS: [&str; 3] = ["A", "B", "C"];

#[derive(Clone, Debug)]
enum Op {
    Sale {
        location: usize,
        sku: usize,
        qty: i64,
    },
    Adjust {
        location: usize,
        sku: usize,
        qty: i64,
    },
    Count {
        location: usize,
        sku: usize,
        counted: i64,
    },
    Ship {
        transfer: usize,
        from: usize,
        sku: usize,
        qty: i64,
    },
    Receive {
        transfer: usize,
        location: usize,
        qty: i64,
        damaged: i64,
    },
    Place {
        order: usize,
        sku: usize,
        qty: i64,
    },
    Allocate {
        order: usize,
        location: usize,
    },
    ShipOrder {
        order: usize,
        location: usize,
    },
    Cancel {
        order: usize,
    },
    Receipt {
        location: usize,
        sku: usize,
        qty: i64,
        damaged: i64,
    },
    Return {
        location: usize,
        sku: usize,
        qty: i64,
        resellable: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let location = 0..3usize;
    let sku = 0..3usize;
    prop_oneof![
        (location.clone(), sku.clone(), 1..6i64).prop_map(|(location, sku, qty)| Op::Sale { location, sku, qty }),
        (location.clone(), sku.clone(), -5..6i64).prop_map(|(location, sku, qty)| Op::Adjust { location, sku, qty }),
        (location.clone(), sku.clone(), 0..20i64).prop_map(|(location, sku, counted)| Op::Count {
            location,
            sku,
            counted
        }),
        (0..4usize, location.clone(), sku.clone(), 1..6i64).prop_map(|(transfer, from, sku, qty)| Op::Ship {
            transfer,
            from,
            sku,
            qty
        }),
        (0..4usize, location.clone(), 0..6i64, 0..3i64).prop_map(|(transfer, location, qty, damaged)| Op::Receive {
            transfer,
            location,
            qty,
            damaged: damaged.min(qty)
        }),
        (0..4usize, sku.clone(), 1..4i64).prop_map(|(order, sku, qty)| Op::Place { order, sku, qty }),
        (0..4usize, location.clone()).prop_map(|(order, location)| Op::Allocate { order, location }),
        (0..4usize, location.clone()).prop_map(|(order, location)| Op::ShipOrder { order, location }),
        (0..4usize).prop_map(|order| Op::Cancel { order }),
        (location.clone(), sku.clone(), 0..8i64, 0..3i64).prop_map(|(location, sku, qty, damaged)| Op::Receipt {
            location,
            sku,
            qty,
            damaged: damaged.min(qty)
        }),
        (location, sku, 1..3i64, any::<bool>()).prop_map(|(location, sku, qty, resellable)| {
            Op::Return {
                location,
                sku,
                qty,
                resellable,
            }
        }),
    ]
}

/// Every transfer goes to one fixed destination, so the model need not follow re-routed shipments.
fn transfer_destination(transfer: usize) -> usize {
    transfer % 3
}

/// Where a shipment of `transfer` goes from and to: the drawn origin, moved on when it is the destination.
fn transfer_route(transfer: usize, drawn_from: usize) -> (usize, usize) {
    let to = transfer_destination(transfer);
    let from = if drawn_from == to {
        (drawn_from + 1) % 3
    } else {
        drawn_from
    };
    (from, to)
}

fn event_line(index: usize, op: &Op) -> String {
    let at = format!("2026-11-01T{:02}:{:02}:00Z", index / 60, index % 60);
    let head = format!(r#""id":"e{index}","source":"prop","at":"{at}""#);
    match *op {
        Op::Sale { location, sku, qty } => format!(
            r#"{{{head},"type":"sale","location":"{}","sku":"{}","qty":{qty},"unit_price":1,"channel":"pos"}}"#,
            LOCATIONS[location], SKUS[sku]
        ),
        Op::Adjust { location, sku, qty } => format!(
            r#"{{{head},"type":"adjustment","location":"{}","sku":"{}","qty":{qty},"reason":"correction"}}"#,
            LOCATIONS[location], SKUS[sku]
        ),
        Op::Count { location, sku, counted } => format!(
            r#"{{{head},"type":"count","location":"{}","sku":"{}","counted":{counted}}}"#,
            LOCATIONS[location], SKUS[sku]
        ),
        Op::Ship {
            transfer,
            from,
            sku,
            qty,
        } => {
            let (from, to) = transfer_route(transfer, from);
            format!(
                r#"{{{head},"type":"transfer_shipped","transfer":"T{transfer}","from":"{}","to":"{}","lines":[{{"sku":"{}","qty":{qty}}}]}}"#,
                LOCATIONS[from], LOCATIONS[to], SKUS[sku]
            )
        }
        Op::Receive {
            transfer,
            location,
            qty,
            damaged,
        } => format!(
            r#"{{{head},"type":"transfer_received","transfer":"T{transfer}","location":"{}","lines":[{{"sku":"A","qty":{qty},"damaged":{damaged}}}]}}"#,
            LOCATIONS[location]
        ),
        Op::Place { order, sku, qty } => format!(
            r#"{{{head},"type":"order_placed","order":"O{order}","channel":"web","ship_by":"2026-11-09T00:00:00Z","lines":[{{"sku":"{}","qty":{qty},"unit_price":2}}]}}"#,
            SKUS[sku]
        ),
        Op::Allocate { order, location } => {
            format!(
                r#"{{{head},"type":"order_allocated","order":"O{order}","location":"{}"}}"#,
                LOCATIONS[location]
            )
        }
        Op::ShipOrder { order, location } => {
            format!(
                r#"{{{head},"type":"order_shipped","order":"O{order}","location":"{}"}}"#,
                LOCATIONS[location]
            )
        }
        Op::Cancel { order } => {
            format!(r#"{{{head},"type":"order_cancelled","order":"O{order}","reason":"customer"}}"#)
        }
        Op::Receipt {
            location,
            sku,
            qty,
            damaged,
        } => format!(
            r#"{{{head},"type":"receipt","po":"PO","location":"{}","lines":[{{"sku":"{}","qty":{qty},"damaged":{damaged}}}],"final":false}}"#,
            LOCATIONS[location], SKUS[sku]
        ),
        Op::Return {
            location,
            sku,
            qty,
            resellable,
        } => format!(
            r#"{{{head},"type":"return_received","return":"R{index}","location":"{}","lines":[{{"sku":"{}","qty":{qty},"condition":"{}"}}]}}"#,
            LOCATIONS[location],
            SKUS[sku],
            if resellable { "resellable" } else { "damaged" }
        ),
    }
}

#[derive(Default)]
struct ReferenceTransfer {
    destination: usize,
    shipped: Vec<(usize, i64)>,
    received: bool,
}

#[derive(Default)]
struct ReferenceOrder {
    line: Option<(usize, i64)>,
    shipped: i64,
    reserved: i64,
    allocated: Option<usize>,
    closed: bool,
}

/// (on hand, reserved, in transit) per (location, sku), written as plainly as possible.
#[derive(Default)]
struct ReferenceLedger {
    positions: BTreeMap<(usize, usize), [i64; 3]>,
    transfers: BTreeMap<usize, ReferenceTransfer>,
    orders: BTreeMap<usize, ReferenceOrder>,
}

impl ReferenceLedger {
    fn add(&mut self, location: usize, sku: usize, column: usize, qty: i64) {
        self.positions.entry((location, sku)).or_default()[column] += qty;
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Sale { location, sku, qty } => self.add(location, sku, 0, -qty),
            Op::Adjust { location, sku, qty } => self.add(location, sku, 0, qty),
            Op::Count { location, sku, counted } => {
                self.positions.entry((location, sku)).or_default()[0] = counted;
            }
            Op::Ship {
                transfer,
                from,
                sku,
                qty,
            } => {
                let (from, to) = transfer_route(transfer, from);
                self.add(from, sku, 0, -qty);
                let doc = self.transfers.entry(transfer).or_insert_with(|| ReferenceTransfer {
                    destination: to,
                    ..Default::default()
                });
                if !doc.received {
                    doc.shipped.push((sku, qty));
                    self.add(to, sku, 2, qty);
                }
            }
            Op::Receive {
                transfer,
                location,
                qty,
                damaged,
            } => {
                let doc = self.transfers.entry(transfer).or_insert_with(|| ReferenceTransfer {
                    destination: location,
                    ..Default::default()
                });
                if doc.received {
                    return;
                }
                doc.received = true;
                let destination = doc.destination;
                let shipped = std::mem::take(&mut doc.shipped);
                for (sku, shipped_qty) in shipped {
                    self.add(destination, sku, 2, -shipped_qty);
                }
                self.add(location, 0, 0, qty - damaged);
            }
            Op::Place { order, sku, qty } => {
                let doc = self.orders.entry(order).or_default();
                if doc.line.is_some() {
                    return;
                }
                doc.line = Some((sku, qty));
                if let (Some(location), false) = (doc.allocated, doc.closed) {
                    doc.reserved = qty;
                    self.add(location, sku, 1, qty);
                }
            }
            Op::Allocate { order, location } => {
                let doc = self.orders.entry(order).or_default();
                if doc.closed {
                    return;
                }
                let previous = doc.allocated.replace(location);
                let reserved = std::mem::take(&mut doc.reserved);
                let line = doc.line;
                if let Some((sku, qty)) = line {
                    let open = qty - doc.shipped;
                    doc.reserved = open;
                    if let Some(previous) = previous {
                        self.add(previous, sku, 1, -reserved);
                    }
                    self.add(location, sku, 1, open);
                }
            }
            Op::ShipOrder { order, location } => {
                let Some(doc) = self.orders.get_mut(&order) else {
                    return;
                };
                let Some((sku, qty)) = doc.line else { return };
                let open = qty - doc.shipped;
                doc.shipped += open;
                let released = doc.reserved.min(open);
                doc.reserved -= released;
                if doc.shipped >= qty {
                    doc.closed = true;
                }
                let allocated = doc.allocated;
                self.add(location, sku, 0, -open);
                if let Some(allocated) = allocated {
                    self.add(allocated, sku, 1, -released);
                }
            }
            Op::Cancel { order } => {
                // A cancellation seen before its order still closes it.
                let doc = self.orders.entry(order).or_default();
                doc.closed = true;
                let reserved = std::mem::take(&mut doc.reserved);
                if let (Some(location), Some((sku, _))) = (doc.allocated, doc.line) {
                    self.add(location, sku, 1, -reserved);
                }
            }
            Op::Receipt {
                location,
                sku,
                qty,
                damaged,
            } => self.add(location, sku, 0, qty - damaged),
            Op::Return {
                location,
                sku,
                qty,
                resellable,
            } => {
                if resellable {
                    self.add(location, sku, 0, qty);
                }
            }
        }
    }
}

fn engine_inputs(ops: &[Op]) -> Vec<Input> {
    ops.iter()
        .enumerate()
        .map(|(index, op)| Input::Event(parse_event(&event_line(index, op)).unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_ledger_matches_the_reference(ops in prop::collection::vec(op(), 1..120)) {
        let mut reference = ReferenceLedger::default();
        let mut engine = Engine::default();
        for (index, input) in engine_inputs(&ops).iter().enumerate() {
            reference.apply(&ops[index]);
            engine.apply(index as u64 + 1, input);
        }
        for (location, location_code) in LOCATIONS.iter().enumerate() {
            for (sku, sku_code) in SKUS.iter().enumerate() {
                let expected = reference.positions.get(&(location, sku)).copied().unwrap_or_default();
                let position = engine.position(location_code, sku_code);
                let actual = [position.on_hand, position.reserved, position.in_transit];
                prop_assert_eq!(actual, expected.map(Qty::from_units), "{} {}", location_code, sku_code);
            }
        }
    }

    #[test]
    fn replay_from_any_snapshot_point_gives_the_same_state_hash(
        ops in prop::collection::vec(op(), 1..80),
        cut_share in 0.0..1.0f64,
    ) {
        let inputs = engine_inputs(&ops);
        let cut = ((inputs.len() as f64) * cut_share) as usize;
        let mut full = Engine::default();
        for (index, input) in inputs.iter().enumerate() {
            full.apply(index as u64 + 1, input);
        }
        let mut head = Engine::default();
        for (index, input) in inputs.iter().enumerate().take(cut) {
            head.apply(index as u64 + 1, input);
        }
        let mut restored = Engine::from_snapshot(&head.snapshot_bytes(), head.config().clone()).unwrap();
        for (index, input) in inputs.iter().enumerate().skip(cut) {
            restored.apply(index as u64 + 1, input);
        }
        prop_assert_eq!(restored.state_hash(), full.state_hash());
    }
}
