//! The documents an exception is about: its reference, by the kind its type gives it, and those its facts name
//! (a complaint's or a return's order, the other promotion, the count). Its page lists them, and a document's
//! number finds every exception about it.

use schemars::JsonSchema;
use serde::Serialize;

use crate::codes::DocumentNumber;
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, TypeRef};
use crate::engine::facts::Facts;
use crate::rules::ExceptionType;

/// A document an exception is about: `transfer T1`, `purchase order PO-7`, `count c1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RelatedDocument {
    /// `transfer`, `purchase order`, `order`, `return`, `promotion`, `customer message`, `supplier` or `count`
    /// (the count event's id), or `document` for a custom type's.
    pub kind: &'static str,
    pub number: String,
}

impl Engine {
    /// The documents an exception is about: its reference by the kind its type gives it, and those its facts
    /// name (a return's order, the other promotion, the count).
    pub(super) fn related_documents(&self, record: &ExceptionRecord) -> Vec<RelatedDocument> {
        let mut documents = Vec::new();
        for (kind, number) in self.documents_of(record) {
            let document = RelatedDocument {
                kind,
                number: number.to_owned(),
            };
            if !documents.contains(&document) {
                documents.push(document);
            }
        }
        documents
    }

    /// Whether an exception is about the document numbered `number`, whatever its case: its reference, or a
    /// document its facts name (a complaint's order, a count's id, a return's order).
    pub fn is_about_document(&self, record: &ExceptionRecord, number: &str) -> bool {
        self.documents_of(record)
            .any(|(_, own)| own.eq_ignore_ascii_case(number))
    }

    /// The documents an exception is about, each as its kind and number, perhaps more than once.
    fn documents_of<'a>(&'a self, record: &'a ExceptionRecord) -> impl Iterator<Item = (&'static str, &'a str)> {
        let reference = (record.reference.as_ref())
            .zip(reference_kind(record.key.exception_type))
            .map(|(reference, kind)| (kind, reference.as_str()));
        let named_by_facts = match &record.facts {
            Some(Facts::Count { count, .. }) => [Some(("count", count.as_str())), None],
            Some(Facts::ReturnPolicy { order, .. } | Facts::CustomerMessage { order: Some(order), .. }) => {
                [Some(("order", order.as_str())), None]
            }
            Some(Facts::PromotionOverlap { promotion, other, .. }) => [
                Some(("promotion", promotion.as_str())),
                Some(("promotion", other.as_str())),
            ],
            _ => [None, None],
        };
        let return_order = self.return_order(record).map(|order| ("order", order.as_str()));
        reference
            .into_iter()
            .chain(named_by_facts.into_iter().flatten())
            .chain(return_order)
    }

    /// The order a return names, for the return types.
    fn return_order(&self, record: &ExceptionRecord) -> Option<&DocumentNumber> {
        let is_return = matches!(
            record.key.exception_type,
            TypeRef::BuiltIn(ExceptionType::ReturnPolicy | ExceptionType::RefundOverdue)
        );
        let reference = record.reference.as_ref().filter(|_| is_return)?;
        self.state.picture.returns.get(reference)?.order.as_ref()
    }
}

/// What an exception's reference is, by its type; `None` when it is no document (`count_overdue`'s is the
/// scheduled category, `recurring_problem`'s the root cause).
fn reference_kind(type_ref: TypeRef) -> Option<&'static str> {
    let TypeRef::BuiltIn(exception_type) = type_ref else {
        return Some("document");
    };
    let kind = match exception_type {
        ExceptionType::TransferOverdue | ExceptionType::TransferMismatch => "transfer",
        ExceptionType::PoLate | ExceptionType::PoShort | ExceptionType::DamagedReceipt | ExceptionType::PoLateRisk => {
            "purchase order"
        }
        ExceptionType::OrderAtRisk | ExceptionType::AllocationShort | ExceptionType::OrderCancelledStockout => "order",
        ExceptionType::ReturnPolicy | ExceptionType::RefundOverdue => "return",
        ExceptionType::PromotionConflict => "promotion",
        ExceptionType::CustomerComplaint => "customer message",
        ExceptionType::MasterData => "supplier",
        ExceptionType::CountVariance
        | ExceptionType::NegativeStock
        | ExceptionType::LowStock
        | ExceptionType::PhantomStock
        | ExceptionType::PriceMismatch
        | ExceptionType::StoreExceptionRate
        | ExceptionType::ShrinkAnomaly => "document",
        ExceptionType::CountOverdue | ExceptionType::RecurringProblem => return None,
    };
    Some(kind)
}
