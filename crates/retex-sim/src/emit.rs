//! Writing events: the envelope, the source systems, money and quantity conversion, and NDJSON output.
//!
//! Every event is one `serde_json` serialization of a `retex_core::event::Event` and a newline. The world runs
//! its actions in time order and each action writes its events at its own instant, so arrival order is time
//! order; [`Emitter::emit`] asserts it. A write error is kept and reported once the day ends, so the world's code
//! is not threaded with `?` for a failure it cannot handle anyway.

use std::io::{self, BufWriter, Write};

use retex_core::codes::{EventId, Money, Qty, SourceName, Timestamp};
use retex_core::event::{Event, EventBody};
use rust_decimal::Decimal;

use crate::clock::event_time;

/// The systems that send events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Master data, purchase orders, refunds.
    Erp,
    /// Store tills: sales and in-store returns.
    Pos,
    /// Store back office: counts, adjustments, transfer receipts.
    Store,
    /// The warehouse: shipments, receipts, returns received.
    Wms,
    /// The web shop and its order management.
    Web,
    /// Suppliers' delivery notices.
    Supplier,
    /// Customer service.
    Service,
}

const SOURCES: [(Source, &str); 7] = [
    (Source::Erp, "erp"),
    (Source::Pos, "pos"),
    (Source::Store, "store"),
    (Source::Wms, "wms"),
    (Source::Web, "web"),
    (Source::Supplier, "supplier"),
    (Source::Service, "service"),
];

/// An amount in cents as exact money with two decimals.
pub(crate) fn money(cents: i64) -> Money {
    Money(Decimal::new(cents, 2))
}

pub(crate) fn units(count: i32) -> Qty {
    Qty::from_units(i64::from(count))
}

pub(crate) struct Emitter<'a> {
    out: BufWriter<&'a mut dyn Write>,
    line: Vec<u8>,
    source_names: Vec<SourceName>,
    pub(crate) events_written: u64,
    pub(crate) bytes_written: u64,
    /// The `at` of the last event written: output never goes back in time.
    pub(crate) last_at: Timestamp,
    /// After the stream ends the world may run on, writing nothing.
    silent: bool,
    error: Option<io::Error>,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(out: &'a mut dyn Write) -> Self {
        let source_names = SOURCES
            .iter()
            .map(|(_, name)| SourceName::parse(*name).expect("source names are valid codes"))
            .collect();
        Self {
            out: BufWriter::new(out),
            line: Vec::new(),
            source_names,
            events_written: 0,
            bytes_written: 0,
            last_at: Timestamp(i64::MIN),
            silent: false,
            error: None,
        }
    }

    /// Writes one event at `at`, stamped with the local `offset_minutes` of the place where it happened.
    pub(crate) fn emit(&mut self, at: Timestamp, offset_minutes: i32, source: Source, id: String, body: EventBody) {
        if self.silent {
            return;
        }
        assert!(at >= self.last_at, "events are written in time order");
        self.last_at = at;
        let source_index = SOURCES
            .iter()
            .position(|(known, _)| *known == source)
            .expect("every source is listed");
        let event = Event {
            id: EventId::parse(id).expect("simulated ids are valid codes"),
            source: self.source_names[source_index].clone(),
            at: event_time(at, offset_minutes),
            body,
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &event).expect("events always serialize");
        self.line.push(b'\n');
        self.events_written += 1;
        self.bytes_written += self.line.len() as u64;
        if self.error.is_none()
            && let Err(error) = self.out.write_all(&self.line)
        {
            self.error = Some(error);
        }
    }

    /// The first write error since the last call, if any.
    pub(crate) fn take_error(&mut self) -> io::Result<()> {
        match self.error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Writes nothing from now on: the stream has ended.
    pub(crate) fn fall_silent(&mut self) {
        self.silent = true;
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.take_error()?;
        self.out.flush()
    }
}
