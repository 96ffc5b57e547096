//! The condition language of custom exception types: small, fast and safe.
//!
//! An expression reads values (`event.qty`, `position.available`, `product.cost`, `location.kind`), compares
//! and combines them: `event.qty >= 50 && location.kind == "store"`. There are no loops, no assignment and no
//! calls out: evaluation is a walk over a tree compiled once, with every name resolved at compile time, so a
//! misspelt field is an error in `retex rules check`, not a silent `null` at run time. Numbers are exact
//! decimals. A missing value is `null`: arithmetic on it gives `null`, a comparison with it is false.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::codes::parse_decimal;

/// Deepest nesting accepted, so a hostile rules file cannot overflow the stack.
const NESTING_MAX: usize = 64;
/// Longest accepted expression, in bytes.
pub const EXPRESSION_BYTES_MAX: usize = 4_096;

/// A value an expression computes.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Decimal),
    Text(std::borrow::Cow<'a, str>),
}

impl Value<'_> {
    fn truthy(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
}

/// What an expression may read: a root and a field, checked at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    Event,
    Position,
    Product,
    Location,
}

impl Root {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "event" => Some(Self::Event),
            "position" => Some(Self::Position),
            "product" => Some(Self::Product),
            "location" => Some(Self::Location),
            _ => None,
        }
    }

    /// The fields each root offers.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Event => &[
                "id",
                "source",
                "type",
                "location",
                "sku",
                "qty",
                "unit_price",
                "channel",
                "order",
                "reason",
                "counted",
                "po",
                "supplier",
                "transfer",
                "from",
                "to",
                "amount",
                "message",
                "text",
                "price",
                "promotion",
                "return",
                "lines",
            ],
            Self::Position => &["on_hand", "reserved", "in_transit", "available"],
            Self::Product => &[
                "sku",
                "name",
                "category",
                "uom",
                "cost",
                "price",
                "supplier",
                "return_days",
            ],
            Self::Location => &["code", "name", "kind", "region", "timezone"],
        }
    }
}

/// Supplies field values during evaluation.
pub trait Fields {
    fn field(&self, root: Root, name: &str) -> Value<'_>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinaryOp {
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Add,
    Subtract,
    Multiply,
    Divide,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Function {
    Abs,
    Min,
    Max,
    StartsWith,
    Contains,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Literal(Value<'static>),
    Field(Root, &'static str),
    Not(Box<Node>),
    Negate(Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    Call(Function, Vec<Node>),
}

/// A compiled expression; it keeps its source text for display and hashing.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    source: String,
    root: Node,
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Why an expression does not compile: the problem and the byte offset where it was found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem} (at character {offset})")]
pub struct ExprError {
    pub problem: String,
    pub offset: usize,
}

impl Expr {
    pub fn compile(source: &str) -> Result<Self, ExprError> {
        if source.len() > EXPRESSION_BYTES_MAX {
            return Err(ExprError {
                problem: format!("longer than {EXPRESSION_BYTES_MAX} bytes"),
                offset: 0,
            });
        }
        let tokens = tokenize(source)?;
        let mut parser = Parser {
            tokens: &tokens,
            position: 0,
            depth: 0,
        };
        let root = parser.expression()?;
        if let Some(token) = parser.tokens.get(parser.position) {
            return Err(ExprError {
                problem: format!("unexpected {}", token.kind),
                offset: token.offset,
            });
        }
        Ok(Self {
            source: source.to_string(),
            root,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the expression evaluates to `true` (null and non-booleans are false).
    pub fn matches(&self, fields: &dyn Fields) -> bool {
        evaluate(&self.root, fields).truthy()
    }

    pub fn evaluate<'a>(&self, fields: &'a dyn Fields) -> Value<'a> {
        evaluate(&self.root, fields)
    }
}

fn evaluate<'a>(node: &Node, fields: &'a dyn Fields) -> Value<'a> {
    match node {
        Node::Literal(value) => value.clone(),
        Node::Field(root, name) => fields.field(*root, name),
        Node::Not(inner) => Value::Bool(!evaluate(inner, fields).truthy()),
        Node::Negate(inner) => match evaluate(inner, fields) {
            Value::Number(number) => Value::Number(-number),
            _ => Value::Null,
        },
        Node::Binary(BinaryOp::And, left, right) => {
            Value::Bool(evaluate(left, fields).truthy() && evaluate(right, fields).truthy())
        }
        Node::Binary(BinaryOp::Or, left, right) => {
            Value::Bool(evaluate(left, fields).truthy() || evaluate(right, fields).truthy())
        }
        Node::Binary(op, left, right) => binary(*op, evaluate(left, fields), evaluate(right, fields)),
        Node::Call(function, arguments) => {
            let values: Vec<Value> = arguments.iter().map(|argument| evaluate(argument, fields)).collect();
            call(*function, &values)
        }
    }
}

fn binary<'a>(op: BinaryOp, left: Value<'a>, right: Value<'a>) -> Value<'a> {
    use std::cmp::Ordering;
    let ordering = match (&left, &right) {
        (Value::Number(a), Value::Number(b)) => Some(a.cmp(b)),
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let compare = |accept: fn(Ordering) -> bool| Value::Bool(ordering.is_some_and(accept));
    match op {
        BinaryOp::Equal => compare(Ordering::is_eq),
        BinaryOp::NotEqual => Value::Bool(ordering.is_some_and(Ordering::is_ne)),
        BinaryOp::Less => compare(Ordering::is_lt),
        BinaryOp::LessOrEqual => compare(Ordering::is_le),
        BinaryOp::Greater => compare(Ordering::is_gt),
        BinaryOp::GreaterOrEqual => compare(Ordering::is_ge),
        BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide => {
            let (Value::Number(a), Value::Number(b)) = (left, right) else {
                return Value::Null;
            };
            let result = match op {
                BinaryOp::Add => a.checked_add(b),
                BinaryOp::Subtract => a.checked_sub(b),
                BinaryOp::Multiply => a.checked_mul(b),
                _ => a.checked_div(b),
            };
            result.map_or(Value::Null, Value::Number)
        }
        BinaryOp::And | BinaryOp::Or => unreachable!("short-circuited in evaluate"),
    }
}

fn call<'a>(function: Function, values: &[Value<'a>]) -> Value<'a> {
    match (function, values) {
        (Function::Abs, [Value::Number(a)]) => Value::Number(a.abs()),
        (Function::Min, [Value::Number(a), Value::Number(b)]) => Value::Number(*a.min(b)),
        (Function::Max, [Value::Number(a), Value::Number(b)]) => Value::Number(*a.max(b)),
        (Function::StartsWith, [Value::Text(text), Value::Text(prefix)]) => Value::Bool(text.starts_with(&**prefix)),
        (Function::Contains, [Value::Text(text), Value::Text(part)]) => Value::Bool(text.contains(&**part)),
        _ => Value::Null,
    }
}

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Number(Decimal),
    Text(String),
    Identifier(String),
    Symbol(&'static str),
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(number) => write!(f, "number {number}"),
            Self::Text(text) => write!(f, "string {text:?}"),
            Self::Identifier(name) => write!(f, "name `{name}`"),
            Self::Symbol(symbol) => write!(f, "`{symbol}`"),
        }
    }
}

struct Token {
    kind: TokenKind,
    offset: usize,
}

const SYMBOLS: [&str; 17] = [
    "&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "*", "/", "(", ")", ",", ".",
];

fn tokenize(source: &str) -> Result<Vec<Token>, ExprError> {
    let mut tokens = Vec::new();
    let bytes = source.as_bytes();
    let mut offset = 0;
    while offset < bytes.len() {
        let rest = &source[offset..];
        let byte = bytes[offset];
        if byte.is_ascii_whitespace() {
            offset += 1;
        } else if byte.is_ascii_digit() {
            let length = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let number = parse_decimal(&rest[..length]).map_err(|_| ExprError {
                problem: format!("{:?} is not a number", &rest[..length]),
                offset,
            })?;
            tokens.push(Token {
                kind: TokenKind::Number(number),
                offset,
            });
            offset += length;
        } else if byte == b'"' || byte == b'\'' {
            let close = rest[1..].find(byte as char).ok_or(ExprError {
                problem: "unclosed string".into(),
                offset,
            })?;
            tokens.push(Token {
                kind: TokenKind::Text(rest[1..=close].to_string()),
                offset,
            });
            offset += close + 2;
        } else if byte.is_ascii_alphabetic() || byte == b'_' {
            let length = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            tokens.push(Token {
                kind: TokenKind::Identifier(rest[..length].to_string()),
                offset,
            });
            offset += length;
        } else if let Some(symbol) = SYMBOLS.iter().find(|symbol| rest.starts_with(**symbol)) {
            tokens.push(Token {
                kind: TokenKind::Symbol(symbol),
                offset,
            });
            offset += symbol.len();
        } else {
            let character = rest.chars().next().unwrap_or('?');
            return Err(ExprError {
                problem: format!("unexpected character {character:?}"),
                offset,
            });
        }
    }
    Ok(tokens)
}

struct Parser<'t> {
    tokens: &'t [Token],
    position: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek_symbol(&self) -> Option<&'static str> {
        match self.tokens.get(self.position) {
            Some(Token {
                kind: TokenKind::Symbol(symbol),
                ..
            }) => Some(symbol),
            _ => None,
        }
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.position).map_or_else(
            || self.tokens.last().map_or(0, |token| token.offset),
            |token| token.offset,
        )
    }

    fn error(&self, problem: impl Into<String>) -> ExprError {
        ExprError {
            problem: problem.into(),
            offset: self.offset(),
        }
    }

    fn expect(&mut self, symbol: &str) -> Result<(), ExprError> {
        if self.peek_symbol() == Some(symbol) {
            self.position += 1;
            return Ok(());
        }
        Err(self.error(format!("expected `{symbol}`")))
    }

    fn expression(&mut self) -> Result<Node, ExprError> {
        self.depth += 1;
        if self.depth > NESTING_MAX {
            return Err(self.error("nested too deeply"));
        }
        let node = self.binary_level(0);
        self.depth -= 1;
        node
    }

    /// Binary operators by precedence level, loosest first.
    fn binary_level(&mut self, level: usize) -> Result<Node, ExprError> {
        const LEVELS: [&[(&str, BinaryOp)]; 5] = [
            &[("||", BinaryOp::Or)],
            &[("&&", BinaryOp::And)],
            &[
                ("==", BinaryOp::Equal),
                ("!=", BinaryOp::NotEqual),
                ("<=", BinaryOp::LessOrEqual),
                (">=", BinaryOp::GreaterOrEqual),
                ("<", BinaryOp::Less),
                (">", BinaryOp::Greater),
            ],
            &[("+", BinaryOp::Add), ("-", BinaryOp::Subtract)],
            &[("*", BinaryOp::Multiply), ("/", BinaryOp::Divide)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary_level(level + 1)?;
        while let Some(symbol) = self.peek_symbol() {
            let Some(&(_, op)) = LEVELS[level].iter().find(|(candidate, _)| *candidate == symbol) else {
                break;
            };
            self.position += 1;
            let right = self.binary_level(level + 1)?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        match self.peek_symbol() {
            Some("!") => {
                self.position += 1;
                Ok(Node::Not(Box::new(self.nested_unary()?)))
            }
            Some("-") => {
                self.position += 1;
                Ok(Node::Negate(Box::new(self.nested_unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn nested_unary(&mut self) -> Result<Node, ExprError> {
        self.depth += 1;
        if self.depth > NESTING_MAX {
            return Err(self.error("nested too deeply"));
        }
        let node = self.unary();
        self.depth -= 1;
        node
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let Some(token) = self.tokens.get(self.position) else {
            return Err(self.error("expression ends too early"));
        };
        self.position += 1;
        match &token.kind {
            TokenKind::Number(number) => Ok(Node::Literal(Value::Number(*number))),
            TokenKind::Text(text) => Ok(Node::Literal(Value::Text(text.clone().into()))),
            TokenKind::Symbol("(") => {
                let inner = self.expression()?;
                self.expect(")")?;
                Ok(inner)
            }
            TokenKind::Identifier(name) => self.named(name, token.offset),
            other => Err(ExprError {
                problem: format!("unexpected {other}"),
                offset: token.offset,
            }),
        }
    }

    fn named(&mut self, name: &str, offset: usize) -> Result<Node, ExprError> {
        match name {
            "true" => return Ok(Node::Literal(Value::Bool(true))),
            "false" => return Ok(Node::Literal(Value::Bool(false))),
            "null" => return Ok(Node::Literal(Value::Null)),
            _ => {}
        }
        if self.peek_symbol() == Some("(") {
            return self.call(name, offset);
        }
        let Some(root) = Root::from_name(name) else {
            return Err(ExprError {
                problem: format!("unknown name `{name}`: use event, position, product or location"),
                offset,
            });
        };
        self.expect(".")?;
        let field_offset = self.offset();
        let Some(Token {
            kind: TokenKind::Identifier(field),
            ..
        }) = self.tokens.get(self.position)
        else {
            return Err(self.error(format!("expected a field of `{name}`")));
        };
        self.position += 1;
        let Some(&known) = root.fields().iter().find(|known| **known == field) else {
            let problem = format!("`{name}` has no field `{field}`; it has {}", root.fields().join(", "));
            return Err(ExprError {
                problem,
                offset: field_offset,
            });
        };
        Ok(Node::Field(root, known))
    }

    fn call(&mut self, name: &str, offset: usize) -> Result<Node, ExprError> {
        let (function, arity) = match name {
            "abs" => (Function::Abs, 1),
            "min" => (Function::Min, 2),
            "max" => (Function::Max, 2),
            "starts_with" => (Function::StartsWith, 2),
            "contains" => (Function::Contains, 2),
            _ => {
                let problem = format!("unknown function `{name}`: use abs, min, max, starts_with or contains");
                return Err(ExprError { problem, offset });
            }
        };
        self.expect("(")?;
        let mut arguments = Vec::with_capacity(arity);
        while arguments.len() < arity {
            if !arguments.is_empty() {
                self.expect(",")?;
            }
            arguments.push(self.expression()?);
        }
        self.expect(")")?;
        Ok(Node::Call(function, arguments))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sale;

    impl Fields for Sale {
        fn field(&self, root: Root, name: &str) -> Value<'_> {
            match (root, name) {
                (Root::Event, "qty") => Value::Number(Decimal::from(60)),
                (Root::Event, "unit_price") => Value::Number("1.49".parse().unwrap()),
                (Root::Location, "kind") => Value::Text("store".into()),
                (Root::Product, "category") => Value::Text("Grocery/Drinks/Soda".into()),
                _ => Value::Null,
            }
        }
    }

    fn eval(source: &str) -> Value<'static> {
        match Expr::compile(source).unwrap().evaluate(&Sale) {
            Value::Text(text) => Value::Text(text.into_owned().into()),
            Value::Null => Value::Null,
            Value::Bool(value) => Value::Bool(value),
            Value::Number(number) => Value::Number(number),
        }
    }

    #[test]
    fn conditions_combine_fields_exactly() {
        assert_eq!(
            eval(r#"event.qty >= 50 && location.kind == "store""#),
            Value::Bool(true)
        );
        assert_eq!(
            eval("event.qty * event.unit_price"),
            Value::Number("89.40".parse().unwrap())
        );
        assert_eq!(eval("1 + 2 * 3 == 7 && !(1 > 2)"), Value::Bool(true));
        assert_eq!(eval("abs(-3) == 3 && max(1, 2) == 2"), Value::Bool(true));
        assert_eq!(eval("starts_with(product.category, 'Grocery/')"), Value::Bool(true));
    }

    #[test]
    fn missing_values_are_null_and_never_match() {
        assert_eq!(eval("position.on_hand + 1"), Value::Null);
        assert_eq!(eval("position.on_hand < 1"), Value::Bool(false));
        assert_eq!(eval("1 / 0"), Value::Null);
    }

    #[test]
    fn compile_errors_say_what_and_where() {
        let error = |source: &str| Expr::compile(source).unwrap_err().to_string();
        assert_eq!(
            error("event.qtty > 1"),
            "`event` has no field `qtty`; it has id, source, type, location, sku, qty, unit_price, channel, order, reason, counted, po, supplier, transfer, from, to, amount, message, text, price, promotion, return, lines (at character 6)"
        );
        assert_eq!(
            error("store.kind"),
            "unknown name `store`: use event, position, product or location (at character 0)"
        );
        assert_eq!(error("event.qty >"), "expression ends too early (at character 10)");
        assert_eq!(error("(1 + 2"), "expected `)` (at character 5)");
        assert_eq!(error("'open"), "unclosed string (at character 0)");
        assert_eq!(error(&"(".repeat(100)), "nested too deeply (at character 64)");
    }
}
