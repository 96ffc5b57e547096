//! `master_data`: a product or supplier lacks a field the other detectors need (events.md's required fields).

use crate::codes::{DocumentNumber, Money, SupplierCode};
use crate::engine::detect::{Cause, Detection, Verdict, key_of};
use crate::engine::facts::{Facts, MissingField};
use crate::engine::incidents::Touch;
use crate::engine::ledger::SkuId;
use crate::engine::master::MasterData;
use crate::rules::ExceptionType;

/// A product lacks cost, unit of measure, a category of two levels, or a supplier; a complete record clears it.
pub fn product(master: &MasterData, sku: SkuId, cause: Cause) -> Option<Verdict> {
    let kind = ExceptionType::MasterData;
    let product = master.product(sku)?;
    let category_levels = product
        .category
        .split('/')
        .filter(|level| !level.trim().is_empty())
        .count();
    let missing: Vec<MissingField> = [
        (product.cost.is_none(), MissingField::Cost),
        (product.uom.is_none(), MissingField::Uom),
        (category_levels < 2, MissingField::Category),
        (product.supplier.is_none(), MissingField::Supplier),
    ]
    .into_iter()
    .filter_map(|(is_missing, field)| is_missing.then_some(field))
    .collect();
    let key = key_of(kind, None, Some(sku), None);
    if missing.is_empty() {
        return Some(Verdict::Clear { key, cause });
    }
    let mut detection = Detection::at_position(kind, 0, sku, cause.at, Money::ZERO, cause.seq)
        .with_facts(Facts::MasterData { missing });
    detection.key = key;
    detection.location = None;
    // Of the fields it checks, only the supplier feeds another detector (`low_stock`, the PO types).
    detection.touches = match product.supplier {
        None => vec![Touch::SupplierOfSku(sku)],
        Some(_) => Vec::new(),
    };
    Some(Verdict::Raise(detection))
}

/// A supplier lacks `lead_time_days`; a complete record clears it.
pub fn supplier(master: &MasterData, code: &SupplierCode, cause: Cause) -> Verdict {
    let kind = ExceptionType::MasterData;
    let reference = DocumentNumber::parse(code.as_str()).expect("a supplier code is a valid reference");
    let defective = master
        .suppliers
        .get(code)
        .is_some_and(|supplier| supplier.lead_time_days.is_none());
    if !defective {
        return Verdict::Clear {
            key: key_of(kind, None, None, Some(&reference)),
            cause,
        };
    }
    let mut detection = Detection::on_document(kind, None, &reference, &[], cause.at, Money::ZERO, cause.seq)
        .with_facts(Facts::MasterData {
            missing: vec![MissingField::LeadTimeDays],
        });
    detection.touches = vec![Touch::LeadTimeOf(code.clone())];
    Verdict::Raise(detection)
}
