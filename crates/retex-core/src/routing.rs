//! Which events a shard of a chain split by region needs (docs/scaling.md).
//!
//! Every shard takes the master data and the customers' side (orders, returns, refunds, messages: small, and they
//! name stores of any region), so that each knows what it needs to; the stock and document events go to the
//! shards whose regions hold their locations. A transfer between two shards goes to both, its receipt too: the
//! sender's shard moves its stock out and closes the document, the receiver's matches what arrived against what
//! was shipped. An event at a location the router has not seen (no `location` event before it) is the home
//! shard's, as the engine treats it.

use std::collections::BTreeMap;

use crate::codes::{DocumentNumber, LocationCode};
use crate::event::{Event, EventBody};
use crate::rules::Shard;

/// Routes a stream of events, in log order, for one shard; remembers what later events refer to.
pub struct Router {
    shard: Shard,
    regions: BTreeMap<LocationCode, Option<String>>,
    purchase_orders: BTreeMap<DocumentNumber, LocationCode>,
    transfer_senders: BTreeMap<DocumentNumber, LocationCode>,
}

impl Router {
    pub fn new(shard: Shard) -> Self {
        Self {
            shard,
            regions: BTreeMap::new(),
            purchase_orders: BTreeMap::new(),
            transfer_senders: BTreeMap::new(),
        }
    }

    /// Whether the shard takes `event`; call it for every event of the stream, in order.
    pub fn takes(&mut self, event: &Event) -> bool {
        match &event.body {
            EventBody::Location(location) => {
                self.regions.insert(location.code.clone(), location.region.clone());
                true
            }
            EventBody::Sale(sale) => self.holds(&sale.location),
            EventBody::Adjustment(adjustment) => self.holds(&adjustment.location),
            EventBody::Count(count) => self.holds(&count.location),
            EventBody::PurchaseOrder(order) => {
                self.purchase_orders.insert(order.po.clone(), order.location.clone());
                self.holds(&order.location)
            }
            EventBody::PoUpdate(update) => match self.purchase_orders.get(&update.po) {
                Some(location) => self.holds(location),
                None => self.shard.home,
            },
            EventBody::Receipt(receipt) => self.holds(&receipt.location),
            EventBody::TransferShipped(shipped) => {
                self.transfer_senders
                    .insert(shipped.transfer.clone(), shipped.from.clone());
                self.holds(&shipped.from) || self.holds(&shipped.to)
            }
            EventBody::TransferReceived(received) => {
                let sender = self.transfer_senders.get(&received.transfer);
                self.holds(&received.location) || sender.is_some_and(|sender| self.holds(sender))
            }
            EventBody::Supplier(_)
            | EventBody::Product(_)
            | EventBody::Price(_)
            | EventBody::Promotion(_)
            | EventBody::OrderPlaced(_)
            | EventBody::OrderAllocated(_)
            | EventBody::OrderShipped(_)
            | EventBody::OrderCancelled(_)
            | EventBody::ReturnRequested(_)
            | EventBody::ReturnReceived(_)
            | EventBody::RefundIssued(_)
            | EventBody::CustomerMessage(_) => true,
        }
    }

    fn holds(&self, location: &LocationCode) -> bool {
        let region = self.regions.get(location).and_then(Option::as_deref);
        self.shard.answers_for(region)
    }
}
