//! Wire names, written once. Every closed set of names that crosses a boundary (exception types, statuses,
//! severities, root causes, roles, actions, ...) is declared with [`wire_names!`]: the one list of
//! `Variant = "name"` gives the enum its `name()`, `from_name()`, `ALL`, `NAMES` and `Display`, and serde and the
//! JSON Schema take the same literals (`#[serde(rename)]`), so the CLI, the UI, the API and its OpenAPI document
//! cannot disagree. Binary encodings (snapshots) still use the variant's position, as serde's derive does.

/// Declares a fieldless enum whose variants each carry their wire name; see the module documentation.
///
/// The enum derives `Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord` (in declaration order),
/// `serde::Serialize`, `serde::Deserialize` and `schemars::JsonSchema`; the invoking crate needs `serde` and
/// `schemars`.
#[macro_export]
macro_rules! wire_names {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        $vis enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $wire)] $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [Self; [$($wire),+].len()] = [$(Self::$variant),+];
            /// Every wire name, in declaration order.
            pub const NAMES: [&'static str; [$($wire),+].len()] = [$($wire),+];

            /// The wire name, as serde, the CLI, the UI and the OpenAPI document write it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }

            /// The variant with this wire name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(self.name())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::wire_names! {
        /// A test set of names.
        enum Colour {
            DeepRed = "deep_red",
            Blue = "blue",
        }
    }

    #[test]
    fn one_list_gives_every_spelling() {
        assert_eq!(Colour::ALL, [Colour::DeepRed, Colour::Blue]);
        assert_eq!(Colour::NAMES, ["deep_red", "blue"]);
        assert_eq!(Colour::DeepRed.name(), "deep_red");
        assert_eq!(Colour::from_name("blue"), Some(Colour::Blue));
        assert_eq!(Colour::from_name("Blue"), None);
        assert_eq!(Colour::DeepRed.to_string(), "deep_red");
        assert_eq!(serde_json::to_string(&Colour::DeepRed).unwrap(), "\"deep_red\"");
        assert_eq!(serde_json::from_str::<Colour>("\"blue\"").unwrap(), Colour::Blue);
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
        let schema = serde_json::to_value(schemars::schema_for!(Colour)).unwrap();
        assert_eq!(schema["enum"], serde_json::json!(["deep_red", "blue"]), "{schema}");
        // Binary encodings keep the variant's position.
        assert_eq!(postcard::to_stdvec(&Colour::Blue).unwrap(), [1]);
    }
}
