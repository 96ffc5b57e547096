//! The assortment: a three-level category tree, products with costs, prices and popularity, and suppliers with
//! their lead times and reliability.
//!
//! Popularity is lognormal, which gives retail's long tail: a few hundred fast movers carry most of the sales
//! while most SKUs sell a few units a month. Each leaf category belongs to one supplier.

use rand::Rng;
use rand::rngs::SmallRng;
use retex_core::codes::{Sku, SupplierCode};

use crate::master::ProductDefect;
use crate::random::lognormal;

/// Spread of SKU popularity (log scale): 1.4 puts about two thirds of the sales on the top fifth of SKUs.
const POPULARITY_SIGMA: f64 = 1.4;
/// Spread of supplier unreliability (log scale) around 1.
const UNRELIABILITY_SIGMA: f64 = 0.6;
/// Cost as a share of the regular price, drawn from this range.
const COST_SHARE_RANGE: std::ops::Range<f64> = 0.40..0.65;
/// Supplier lead times in whole days, drawn from this range.
const LEAD_TIME_DAYS_RANGE: std::ops::RangeInclusive<u32> = 2..=10;
/// The first SKU code; SKUs are numbered from here.
const FIRST_SKU_NUMBER: u32 = 100_001;

/// A leaf of the category tree and what its products look like.
struct LeafCategory {
    path: &'static str,
    nouns: &'static [&'static str],
    variants: &'static [&'static str],
    price_cents_low: i64,
    price_cents_high: i64,
    return_days: u32,
    uom: &'static str,
    case_pack: i32,
}

const fn leaf(
    path: &'static str,
    nouns: &'static [&'static str],
    variants: &'static [&'static str],
    price_cents: (i64, i64),
    return_days: u32,
    uom: &'static str,
    case_pack: i32,
) -> LeafCategory {
    LeafCategory {
        path,
        nouns,
        variants,
        price_cents_low: price_cents.0,
        price_cents_high: price_cents.1,
        return_days,
        uom,
        case_pack,
    }
}

#[rustfmt::skip]
const LEAVES: &[LeafCategory] = &[
    leaf("Grocery/Drinks/Soda", &["Cola", "Lemon Soda", "Orange Soda", "Ginger Ale", "Tonic"], &["330ml", "1L", "1.5L", "6x330ml"], (69, 599), 14, "unit", 12),
    leaf("Grocery/Drinks/Water", &["Still Water", "Sparkling Water", "Mineral Water"], &["500ml", "1.5L", "6x1.5L"], (39, 449), 14, "unit", 12),
    leaf("Grocery/Drinks/Juice", &["Apple Juice", "Orange Juice", "Multivitamin Juice", "Cranberry Juice"], &["250ml", "1L"], (99, 399), 14, "unit", 12),
    leaf("Grocery/Snacks/Chips", &["Salted Chips", "Paprika Chips", "Tortilla Chips", "Pretzels"], &["75g", "175g", "250g"], (99, 349), 14, "unit", 12),
    leaf("Grocery/Snacks/Chocolate", &["Milk Chocolate", "Dark Chocolate", "Hazelnut Bar", "Caramel Bar"], &["40g", "100g", "200g"], (59, 449), 14, "unit", 24),
    leaf("Grocery/Pantry/Pasta", &["Spaghetti", "Penne", "Fusilli", "Lasagne Sheets"], &["500g", "1kg"], (89, 329), 14, "unit", 12),
    leaf("Grocery/Pantry/Coffee", &["Ground Coffee", "Coffee Beans", "Instant Coffee", "Espresso Pods"], &["250g", "500g", "1kg"], (299, 1499), 14, "unit", 6),
    leaf("Grocery/Pantry/Cereal", &["Corn Flakes", "Muesli", "Oat Flakes", "Granola"], &["375g", "750g"], (149, 549), 14, "unit", 6),
    leaf("Household/Cleaning/Detergent", &["Laundry Liquid", "Laundry Powder", "Colour Detergent"], &["1L", "2.5L", "40 loads"], (399, 1599), 30, "unit", 4),
    leaf("Household/Cleaning/Dish Soap", &["Dish Soap", "Dishwasher Tabs", "Rinse Aid"], &["500ml", "30 tabs", "60 tabs"], (149, 1199), 30, "unit", 6),
    leaf("Household/Paper/Toilet Paper", &["Toilet Paper", "Moist Toilet Tissue"], &["4 rolls", "8 rolls", "16 rolls"], (199, 899), 30, "pack", 6),
    leaf("Household/Paper/Kitchen Towels", &["Kitchen Towel", "Napkins"], &["2 rolls", "4 rolls", "50 pcs"], (129, 499), 30, "pack", 8),
    leaf("Health & Beauty/Hair Care/Shampoo", &["Shampoo", "Conditioner", "Dry Shampoo"], &["250ml", "400ml"], (199, 899), 14, "unit", 6),
    leaf("Health & Beauty/Oral Care/Toothpaste", &["Toothpaste", "Mouthwash", "Toothbrush"], &["75ml", "500ml", "2 pack"], (129, 699), 14, "unit", 12),
    leaf("Health & Beauty/Skin Care/Moisturiser", &["Day Cream", "Night Cream", "Hand Cream", "Body Lotion"], &["50ml", "250ml"], (299, 1999), 14, "unit", 6),
    leaf("Home/Kitchen/Cookware", &["Frying Pan", "Saucepan", "Baking Tray", "Chef Knife"], &["20cm", "24cm", "28cm"], (999, 5999), 30, "unit", 2),
    leaf("Home/Kitchen/Storage", &["Food Box", "Glass Jar", "Lunch Box"], &["0.5L", "1L", "set of 3"], (299, 1999), 30, "unit", 4),
    leaf("Home/Decor/Candles", &["Scented Candle", "Tea Lights", "Pillar Candle"], &["small", "large", "24 pack"], (199, 1999), 30, "unit", 6),
    leaf("Home/Textiles/Towels", &["Bath Towel", "Hand Towel", "Beach Towel"], &["white", "grey", "blue"], (599, 2999), 30, "unit", 4),
    leaf("Electronics/Accessories/Cables", &["USB-C Cable", "HDMI Cable", "Lightning Cable"], &["1m", "2m"], (699, 2499), 30, "unit", 4),
    leaf("Electronics/Accessories/Chargers", &["Wall Charger", "Car Charger", "Power Bank"], &["20W", "65W", "10000mAh"], (1299, 4999), 30, "unit", 2),
    leaf("Electronics/Audio/Headphones", &["Earbuds", "Over-Ear Headphones", "Bluetooth Speaker"], &["black", "white"], (1999, 12999), 30, "unit", 2),
    leaf("Electronics/Batteries/Alkaline", &["AA Batteries", "AAA Batteries", "9V Battery"], &["4 pack", "8 pack"], (299, 1299), 30, "pack", 10),
    leaf("Apparel/Men/T-Shirts", &["Crew T-Shirt", "V-Neck T-Shirt", "Polo Shirt"], &["S", "M", "L", "XL"], (799, 2999), 60, "unit", 5),
    leaf("Apparel/Women/Leggings", &["Leggings", "Yoga Pants", "Running Tights"], &["S", "M", "L"], (1299, 3999), 60, "unit", 5),
    leaf("Apparel/Kids/Socks", &["Kids Socks", "Sport Socks"], &["3 pack", "5 pack"], (399, 1299), 60, "pack", 10),
    leaf("Toys/Games/Board Games", &["Family Board Game", "Card Game", "Puzzle"], &["500 pcs", "1000 pcs", "classic"], (999, 3999), 30, "unit", 3),
    leaf("Toys/Outdoor/Balls", &["Football", "Beach Ball", "Basketball"], &["size 3", "size 5"], (499, 2999), 30, "unit", 4),
];

#[rustfmt::skip]
const BRANDS: &[&str] = &[
    "Nordika", "Bella", "Vita", "Orion", "Sunny Day", "Alpina", "Brightway", "Casa Verde", "Kiwi & Co", "Urban Basics",
    "Polaris", "Greenfield", "Maison", "Everyday", "Blue Harbour",
];

#[rustfmt::skip]
const SUPPLIER_NAMES: &[&str] = &[
    "Drinks Ltd", "Sunrise Foods GmbH", "Nordic Snacks AB", "Pantry Partners BV", "Bean & Leaf Coffee Co",
    "CleanHome Industries", "SoftPaper Mills", "Beauty Source SA", "Smile Oral Care", "KitchenPro Ltd",
    "HomeStyle Imports", "Lumen Candles", "Textile World", "ConnectTech", "VoltCharge Inc", "SoundWave Audio",
    "PowerCell Batteries", "Threadline Apparel", "PlayTime Toys", "Outdoor Fun GmbH",
];

pub(crate) struct Product {
    pub(crate) sku: Sku,
    pub(crate) name: String,
    /// The full leaf path, e.g. `Grocery/Drinks/Soda`.
    pub(crate) category: &'static str,
    /// Index of the first path level in [`Catalog::top_categories`]: stores get one transfer per top category.
    pub(crate) top_category: usize,
    pub(crate) uom: &'static str,
    pub(crate) cost_cents: i64,
    /// The regular price before any price change.
    pub(crate) price_cents: i64,
    pub(crate) supplier: usize,
    pub(crate) return_days: u32,
    /// Suppliers deliver whole cases of this many units.
    pub(crate) case_pack: i32,
    /// Relative demand weight; sums over SKUs are what matters.
    pub(crate) popularity: f64,
    /// A field its master record lacks (an injected fault), until the data steward fixes it.
    pub(crate) master_defect: Option<ProductDefect>,
}

pub(crate) struct Supplier {
    pub(crate) code: SupplierCode,
    pub(crate) name: String,
    /// The lead time the supplier promises (and its master record states).
    pub(crate) lead_time_days: u32,
    /// Multiplies the supplier-slip fault rate: above 1 is a supplier that is often late.
    pub(crate) unreliability: f64,
}

pub(crate) struct Catalog {
    pub(crate) products: Vec<Product>,
    pub(crate) suppliers: Vec<Supplier>,
    pub(crate) top_categories: Vec<&'static str>,
}

impl Catalog {
    pub(crate) fn generate(rng: &mut SmallRng, sku_count: u32, supplier_count: u32) -> Self {
        let top_categories = top_categories();
        let suppliers = (0..supplier_count as usize)
            .map(|index| generate_supplier(rng, index))
            .collect();
        let mut products = Vec::with_capacity(sku_count as usize);
        for index in 0..sku_count {
            let leaf_index = rng.random_range(0..LEAVES.len());
            let leaf = &LEAVES[leaf_index];
            let top = leaf.path.split('/').next().expect("a path has a first level");
            let noun = leaf.nouns[rng.random_range(0..leaf.nouns.len())];
            let variant = leaf.variants[rng.random_range(0..leaf.variants.len())];
            let brand = BRANDS[rng.random_range(0..BRANDS.len())];
            let price_cents = retail_price_cents(rng, leaf.price_cents_low, leaf.price_cents_high);
            let cost_cents = ((price_cents as f64) * rng.random_range(COST_SHARE_RANGE)).round() as i64;
            products.push(Product {
                sku: Sku::parse((FIRST_SKU_NUMBER + index).to_string()).expect("numeric SKUs are valid codes"),
                name: format!("{brand} {noun} {variant}"),
                category: leaf.path,
                top_category: top_categories
                    .iter()
                    .position(|name| *name == top)
                    .expect("listed above"),
                uom: leaf.uom,
                cost_cents: cost_cents.max(1),
                price_cents,
                supplier: leaf_index % supplier_count as usize,
                return_days: leaf.return_days,
                case_pack: leaf.case_pack,
                popularity: lognormal(rng, POPULARITY_SIGMA),
                master_defect: None,
            });
        }
        Self {
            products,
            suppliers,
            top_categories,
        }
    }
}

fn top_categories() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for leaf in LEAVES {
        let top = leaf.path.split('/').next().expect("a path has a first level");
        if !names.contains(&top) {
            names.push(top);
        }
    }
    names
}

fn generate_supplier(rng: &mut SmallRng, index: usize) -> Supplier {
    let base_name = SUPPLIER_NAMES[index % SUPPLIER_NAMES.len()];
    let name = if index < SUPPLIER_NAMES.len() {
        base_name.to_owned()
    } else {
        format!("{base_name} {}", index / SUPPLIER_NAMES.len() + 1)
    };
    Supplier {
        code: SupplierCode::parse(format!("SUP{:02}", index + 1)).expect("supplier codes are valid"),
        name,
        lead_time_days: rng.random_range(LEAD_TIME_DAYS_RANGE),
        unreliability: lognormal(rng, UNRELIABILITY_SIGMA),
    }
}

/// A price drawn log-uniformly from the range and ending in 9 cents (1.49, 12.99), as shelf prices do.
fn retail_price_cents(rng: &mut SmallRng, low: i64, high: i64) -> i64 {
    let log_price = rng.random_range((low as f64).ln()..(high as f64).ln());
    let rounded_to_ten = ((log_price.exp() / 10.0).round() as i64).max(1) * 10;
    rounded_to_ten - 1
}
