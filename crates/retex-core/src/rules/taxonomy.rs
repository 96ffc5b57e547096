//! The built-in exception types of exceptions.md: their names, categories, default teams, severity floors and
//! the parameters of their detectors with the defaults that hold when no rules file says otherwise.

use rust_decimal::Decimal;

crate::wire_names! {
    /// Severity, lowest first; the order is the escalation order.
    pub enum Severity {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

crate::wire_names! {
    /// A built-in exception type.
    pub enum ExceptionType {
        CountVariance = "count_variance",
        NegativeStock = "negative_stock",
        LowStock = "low_stock",
        PhantomStock = "phantom_stock",
        TransferOverdue = "transfer_overdue",
        TransferMismatch = "transfer_mismatch",
        PoLate = "po_late",
        PoShort = "po_short",
        DamagedReceipt = "damaged_receipt",
        PriceMismatch = "price_mismatch",
        PromotionConflict = "promotion_conflict",
        ReturnPolicy = "return_policy",
        RefundOverdue = "refund_overdue",
        OrderAtRisk = "order_at_risk",
        AllocationShort = "allocation_short",
        OrderCancelledStockout = "order_cancelled_stockout",
        CustomerComplaint = "customer_complaint",
        MasterData = "master_data",
        StoreExceptionRate = "store_exception_rate",
        PoLateRisk = "po_late_risk",
        ShrinkAnomaly = "shrink_anomaly",
        CountOverdue = "count_overdue",
        RecurringProblem = "recurring_problem",
    }
}

/// Days of sales history the engine keeps per position and store: no window in the rules may be longer.
pub const HISTORY_DAYS: usize = 16;

/// The team of the exception's location (`store S001`), as opposed to a company-wide team.
pub const LOCATION_TEAM: &str = "location";

crate::wire_names! {
    /// One detector parameter: its name in the rules file and its default.
    pub enum Param {
        /// `count_variance`: a variance is tolerated up to max(this many units, ...
        ToleranceUnits = "tolerance_units",
        /// ... this share of abs(on hand)).
        ToleranceShare = "tolerance_share",
        /// `low_stock`: days of sales history behind the demand's daily mean and variance.
        VelocityWindowDays = "velocity_window_days",
        /// `low_stock`: the item must have sold on at least this many of those days.
        MinSellingDays = "min_selling_days",
        /// `low_stock`: a position is low when demand until its next supply exceeds what it has with a higher
        /// probability than this.
        StockoutProbability = "stockout_probability",
        /// `low_stock`: lead time used when the product's supplier names none.
        DefaultLeadTimeDays = "default_lead_time_days",
        /// `phantom_stock`: a silence less likely than this under the position's own pattern is phantom stock.
        MaxSilenceProbability = "max_silence_probability",
        /// `transfer_overdue`: hours after `expected`.
        GraceHours = "grace_hours",
        /// `transfer_overdue`: hours after shipping when there is no `expected`.
        NoExpectedHours = "no_expected_hours",
        /// `po_late`, `po_short`: a line counts as received at this share of its ordered quantity.
        ReceivedShare = "received_share",
        /// `po_late`: a `po_update` moving `expected` more than this many hours past the original is late.
        SlipHours = "slip_hours",
        /// `price_mismatch`: tolerated difference from the active price, in money.
        PriceTolerance = "price_tolerance",
        /// `refund_overdue`: hours after the return was received.
        RefundHours = "refund_hours",
        /// `order_at_risk`: hours before `ship_by`.
        HoursBeforeShipBy = "hours_before_ship_by",
        /// `store_exception_rate`: days in the window.
        RateWindowDays = "rate_window_days",
        /// `store_exception_rate`: significance level of the test, before the Bonferroni correction.
        Alpha = "alpha",
        /// `store_exception_rate`: stores with fewer sale lines in the window are not tested.
        MinSaleLines = "min_sale_lines",
        /// `store_exception_rate`: a store needs at least this many exceptions in the window to be flagged.
        MinExceptions = "min_exceptions",
        /// `po_late_risk`: a PO is at risk when the probability that it arrives late reaches this.
        RiskThreshold = "risk_threshold",
        /// `po_late_risk`: a supplier is judged once this many of its POs have been delivered.
        MinDeliveries = "min_deliveries",
        /// `shrink_anomaly`: a day's shrink at cost below this is never reported, however unusual.
        MinShrink = "min_shrink",
        /// `shrink_anomaly`: a day is abnormal when the detector's score reaches this (0 to 1).
        AnomalyScore = "anomaly_score",
        /// `shrink_anomaly`: a day with fewer losses than this is never reported: one large loss is its own
        /// `count_variance`, an unusual day is several at once.
        MinLosses = "min_losses",
        /// `recurring_problem`: resolutions with the same root cause at the same location that make a problem.
        Repeats = "repeats",
        /// `recurring_problem`: days those resolutions must fall within.
        WindowDays = "window_days",
    }
}

impl Param {
    pub fn index(self) -> usize {
        self as usize
    }
}

const fn decimal(mantissa: u32, scale: u32) -> Decimal {
    Decimal::from_parts(mantissa, 0, 0, false, scale)
}

impl ExceptionType {
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn category(self) -> &'static str {
        match self {
            Self::CountVariance
            | Self::NegativeStock
            | Self::LowStock
            | Self::PhantomStock
            | Self::ShrinkAnomaly
            | Self::CountOverdue => "inventory",
            Self::TransferOverdue | Self::TransferMismatch => "transfer",
            Self::PoLate | Self::PoShort | Self::PoLateRisk => "supplier",
            Self::DamagedReceipt => "quality",
            Self::PriceMismatch | Self::PromotionConflict => "pricing",
            Self::ReturnPolicy | Self::RefundOverdue => "returns",
            Self::OrderAtRisk | Self::AllocationShort | Self::OrderCancelledStockout => "fulfilment",
            Self::CustomerComplaint => "service",
            Self::MasterData => "data",
            Self::StoreExceptionRate => "governance",
            Self::RecurringProblem => "problem",
        }
    }

    /// The owning team of exceptions.md; [`LOCATION_TEAM`] means the team of the exception's location.
    pub fn default_team(self) -> &'static str {
        match self {
            Self::CountVariance
            | Self::NegativeStock
            | Self::PhantomStock
            | Self::TransferOverdue
            | Self::TransferMismatch
            | Self::CountOverdue
            | Self::RecurringProblem => LOCATION_TEAM,
            Self::LowStock | Self::PoLate | Self::PoShort | Self::PoLateRisk => "buyers",
            Self::DamagedReceipt => "quality",
            Self::PriceMismatch | Self::PromotionConflict => "category manager",
            Self::ReturnPolicy | Self::CustomerComplaint => "customer service",
            Self::RefundOverdue => "finance",
            Self::OrderAtRisk | Self::AllocationShort | Self::OrderCancelledStockout => "web operations",
            Self::MasterData => "data governance",
            Self::StoreExceptionRate => "regional manager",
            Self::ShrinkAnomaly => "loss prevention",
        }
    }

    /// The severity floor of workflow.md: the severity is at least this whatever the impact.
    pub fn default_severity_floor(self) -> Severity {
        match self {
            Self::OrderAtRisk | Self::AllocationShort | Self::OrderCancelledStockout | Self::PromotionConflict => {
                Severity::High
            }
            Self::NegativeStock
            | Self::CustomerComplaint
            | Self::RefundOverdue
            | Self::StoreExceptionRate
            | Self::ShrinkAnomaly
            | Self::RecurringProblem => Severity::Medium,
            _ => Severity::Low,
        }
    }

    /// The detector's parameters and their defaults (exceptions.md).
    pub fn default_params(self) -> &'static [(Param, Decimal)] {
        const COUNT_VARIANCE: &[(Param, Decimal)] = &[
            (Param::ToleranceUnits, decimal(2, 0)),
            (Param::ToleranceShare, decimal(5, 2)),
        ];
        const LOW_STOCK: &[(Param, Decimal)] = &[
            (Param::VelocityWindowDays, decimal(14, 0)),
            (Param::MinSellingDays, decimal(7, 0)),
            (Param::StockoutProbability, decimal(5, 1)),
            (Param::DefaultLeadTimeDays, decimal(0, 0)),
        ];
        const PHANTOM_STOCK: &[(Param, Decimal)] = &[
            (Param::MaxSilenceProbability, decimal(1, 5)),
            (Param::MinSaleLines, decimal(20, 0)),
        ];
        const TRANSFER_OVERDUE: &[(Param, Decimal)] = &[
            (Param::GraceHours, decimal(4, 0)),
            (Param::NoExpectedHours, decimal(24, 0)),
        ];
        const PO_LATE: &[(Param, Decimal)] = &[
            (Param::ReceivedShare, decimal(98, 2)),
            (Param::SlipHours, decimal(24, 0)),
        ];
        const PO_SHORT: &[(Param, Decimal)] = &[(Param::ReceivedShare, decimal(98, 2))];
        const PRICE_MISMATCH: &[(Param, Decimal)] = &[(Param::PriceTolerance, decimal(1, 2))];
        const REFUND_OVERDUE: &[(Param, Decimal)] = &[(Param::RefundHours, decimal(72, 0))];
        const ORDER_AT_RISK: &[(Param, Decimal)] = &[(Param::HoursBeforeShipBy, decimal(4, 0))];
        const PO_LATE_RISK: &[(Param, Decimal)] = &[
            (Param::RiskThreshold, decimal(5, 1)),
            (Param::MinDeliveries, decimal(5, 0)),
        ];
        const STORE_EXCEPTION_RATE: &[(Param, Decimal)] = &[
            (Param::RateWindowDays, decimal(7, 0)),
            (Param::Alpha, decimal(1, 2)),
            (Param::MinSaleLines, decimal(200, 0)),
            (Param::MinExceptions, decimal(5, 0)),
        ];
        const SHRINK_ANOMALY: &[(Param, Decimal)] = &[
            (Param::MinShrink, decimal(100, 0)),
            (Param::AnomalyScore, decimal(25, 2)),
            (Param::MinLosses, decimal(4, 0)),
        ];
        const RECURRING_PROBLEM: &[(Param, Decimal)] =
            &[(Param::Repeats, decimal(3, 0)), (Param::WindowDays, decimal(30, 0))];
        match self {
            Self::CountVariance => COUNT_VARIANCE,
            Self::LowStock => LOW_STOCK,
            Self::PhantomStock => PHANTOM_STOCK,
            Self::TransferOverdue => TRANSFER_OVERDUE,
            Self::PoLate => PO_LATE,
            Self::PoShort => PO_SHORT,
            Self::PriceMismatch => PRICE_MISMATCH,
            Self::RefundOverdue => REFUND_OVERDUE,
            Self::OrderAtRisk => ORDER_AT_RISK,
            Self::StoreExceptionRate => STORE_EXCEPTION_RATE,
            Self::PoLateRisk => PO_LATE_RISK,
            Self::ShrinkAnomaly => SHRINK_ANOMALY,
            Self::RecurringProblem => RECURRING_PROBLEM,
            Self::NegativeStock
            | Self::TransferMismatch
            | Self::DamagedReceipt
            | Self::PromotionConflict
            | Self::ReturnPolicy
            | Self::AllocationShort
            | Self::OrderCancelledStockout
            | Self::CustomerComplaint
            | Self::MasterData
            | Self::CountOverdue => &[],
        }
    }

    /// The standard operating procedure the exception page shows under "What to do" when the rules file gives
    /// none: what to check first, what evidence to keep, when to escalate.
    pub fn default_procedure(self) -> &'static str {
        match self {
            Self::CountVariance => {
                "Recount the shelf and the back store before changing anything; check open transfers, deliveries not \
                 yet booked and sales since the count. If the recount confirms the variance, attach the count sheet \
                 or a photo and adjust stock with a reason. Escalate to loss prevention when the item or store \
                 repeats within a month, or when the value needs an approval."
            }
            Self::NegativeStock => {
                "The books sold or shipped more than they held: look for a delivery or transfer not booked in and \
                 for sales scanned under the wrong SKU. Count the item, then book the missing receipt rather than a \
                 blind adjustment. Escalate to the receiving team when a delivery was never booked."
            }
            Self::LowStock => {
                "Check the shelf and the back store first: stock that is there only needs a count. If it is short, \
                 check the open purchase order or transfer and its date; expedite it or ask a store with spare stock \
                 for a transfer. Escalate to the buyer when no supply can arrive before the projected stockout."
            }
            Self::PhantomStock => {
                "The item stopped selling while the books show stock: go to the shelf. Look in the back store, in \
                 wrong locations and on displays, and count what is there; a count resolves it. Photograph an empty \
                 shelf. Escalate to loss prevention when stock is missing without explanation."
            }
            Self::TransferOverdue => {
                "Call the sending location: was it shipped, how, and when? Check the receiving dock for a delivery \
                 not booked in, and book the receipt if it arrived; otherwise note the new arrival date. Escalate to \
                 logistics when it is more than a day late or cannot be traced."
            }
            Self::TransferMismatch => {
                "Compare the delivery note with what arrived, line by line, and photograph damaged units and their \
                 packaging. Confirm with the sending location what it packed, then book the damage and claim it with \
                 logistics. Escalate when the value needs an approval or the same route repeats."
            }
            Self::PoLate => {
                "Ask the supplier for a confirmed delivery date, note it here and set waiting for supplier. Check \
                 the stock cover of the order's items and ask for transfers where they will run out. Escalate to the \
                 buyer when the new date is past the cover or the supplier does not answer within a day."
            }
            Self::PoShort => {
                "Check the receipt against the delivery note and the dock: units may be on another pallet or booked \
                 to another order. If they are missing, claim a credit or a follow-up delivery from the supplier with \
                 the delivery note attached. Escalate to the buyer when the supplier delivers short again."
            }
            Self::DamagedReceipt => {
                "Photograph the damaged units, their packaging and the delivery note before anything is moved, and \
                 set the units aside. Claim a credit from the supplier or the carrier with the photos attached. \
                 Escalate to quality when damage repeats for a supplier or touches food safety."
            }
            Self::PriceMismatch => {
                "Check the shelf label, the till price and any running promotion; scan the item at a till. Correct \
                 the label or the price file, whichever is wrong, and tell the store. Escalate to the category \
                 manager when the price file itself is wrong or several stores are affected."
            }
            Self::PromotionConflict => {
                "Compare the promotions' dates, stores and channels with the promotion plan and decide which price \
                 is meant; correct or end the wrong one, before it starts if possible. Escalate to the category \
                 manager when a promotion sells below cost without a sign-off."
            }
            Self::ReturnPolicy => {
                "Check the order or receipt, the purchase date and what the customer paid for the returned units. \
                 Refund at most what was paid, within the return window unless a manager agrees otherwise, and note \
                 why. Escalate to the customer service lead for refunds above what was paid or repeated returns."
            }
            Self::RefundOverdue => {
                "Check that the return was received and inspected and that the refund was not issued under another \
                 reference. Issue the refund, or tell the customer why it is held. Escalate to finance when the \
                 payment system blocks it or it is more than two days late."
            }
            Self::OrderAtRisk => {
                "Check that the order is allocated and being picked; call the store or warehouse when it is not \
                 moving. Move it to another location with stock, or tell the customer about the delay before the \
                 promised date passes. Escalate to web operations when the promise cannot be kept."
            }
            Self::AllocationShort => {
                "The location cannot pick the whole order: count the item there first. If stock is short, allocate \
                 the order to a location with stock, or split it. Escalate to web operations when no location can \
                 fill it before its ship-by date."
            }
            Self::OrderCancelledStockout => {
                "Find out why the stock was not there: read the linked exceptions of the item (count variances, \
                 overdue transfers, phantom stock) and correct the stock record. Offer the customer an alternative \
                 or a voucher. Escalate to the buyer when stockout cancellations repeat for the item."
            }
            Self::CustomerComplaint => {
                "Read the message and the order's history, and answer the customer within the service promise. Fix \
                 what can be fixed now (refund, replacement, redelivery) and note what was done. Escalate to the \
                 customer service lead for legal threats, safety issues or a second complaint on one order."
            }
            Self::MasterData => {
                "Complete the missing fields (cost, unit, category, supplier, lead time) in the master data system \
                 from the supplier's price list or contract; the exception clears when the complete record arrives. \
                 Escalate to data governance when nobody owns the record."
            }
            Self::StoreExceptionRate => {
                "Read the store's open exceptions by type to find the pattern: counts, receiving, tills or returns. \
                 Call or visit the store manager and agree actions for the top causes. Escalate to the regional \
                 manager when the rate stays abnormal another week."
            }
            Self::ShrinkAnomaly => {
                "The store lost more than usual in one day: read the day's count variances and write-offs by item \
                 and by who booked them. Look for a delivery booked twice, a count of the wrong shelf, or damage \
                 booked as loss. Escalate to loss prevention when the losses cluster on one shift, one person or \
                 high-value items."
            }
            Self::CountOverdue => {
                "Positions of this category missed their scheduled count: plan the counts for the store's quiet \
                 hours, longest waiting first, and count the whole shelf, back store included. If the schedule \
                 cannot be kept, agree with the store manager which counts move and when. Escalate to the \
                 regional manager when the store misses its schedule two weeks running."
            }
            Self::RecurringProblem => {
                "The same root cause keeps coming back here: read the resolutions that did not hold and why, agree \
                 a corrective action with an owner and a date, and note it on this problem. Close it only once \
                 the action is in place. Escalate to the operations lead when nobody will own it or the cause \
                 returns after the action."
            }
            Self::PoLateRisk => {
                "Ask the supplier to confirm the delivery date now, before it is late, and check the stock cover of \
                 the order's items; plan transfers where they would run out. Escalate to the buyer when the supplier \
                 cannot confirm or keeps missing dates."
            }
        }
    }

    /// Detected statistically, judged by precision and recall rather than by exact instants (exceptions.md).
    pub fn is_statistical(self) -> bool {
        matches!(
            self,
            Self::LowStock
                | Self::PhantomStock
                | Self::StoreExceptionRate
                | Self::CustomerComplaint
                | Self::PoLateRisk
                | Self::ShrinkAnomaly
        )
    }

    /// Whether the type is on when no rules file says otherwise. `po_late_risk` is a forecast, not a deviation
    /// that has happened, and not one of exceptions.md's types: a buyer turns it on.
    pub fn enabled_by_default(self) -> bool {
        self != Self::PoLateRisk
    }

    /// Whether a store's own operations cause it, so that it counts towards the store's exception rate
    /// (`store_exception_rate`): its counts, tills, receiving and returns desk. Statistical types (other
    /// detectors' noise), suppliers', the web shop's and master data's are not the store's doing.
    pub fn is_caused_by_store(self) -> bool {
        matches!(
            self,
            Self::CountVariance
                | Self::NegativeStock
                | Self::PriceMismatch
                | Self::TransferOverdue
                | Self::TransferMismatch
                | Self::ReturnPolicy
                | Self::CountOverdue
        )
    }

    /// The causal order of exceptions.md's correlation: a lower rank is further upstream, a likelier root
    /// cause. `None` for a type outside it, which incidents neither join to nor join.
    pub fn root_cause_rank(self) -> Option<u8> {
        let rank = match self {
            Self::MasterData => 0,
            Self::PoLate => 1,
            Self::PoShort => 2,
            Self::TransferOverdue => 3,
            Self::TransferMismatch => 4,
            Self::CountVariance => 5,
            Self::PhantomStock => 6,
            Self::NegativeStock => 7,
            Self::LowStock => 8,
            Self::AllocationShort => 9,
            Self::OrderAtRisk => 10,
            Self::OrderCancelledStockout => 11,
            Self::RefundOverdue => 12,
            Self::CustomerComplaint => 13,
            Self::DamagedReceipt
            | Self::PriceMismatch
            | Self::PromotionConflict
            | Self::ReturnPolicy
            | Self::StoreExceptionRate
            | Self::PoLateRisk
            | Self::ShrinkAnomaly
            | Self::CountOverdue
            | Self::RecurringProblem => return None,
        };
        Some(rank)
    }
}
