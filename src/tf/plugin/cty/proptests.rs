//! Property tests: round trips over arbitrary types/values and "never panic"
//! on garbage input.

use std::collections::BTreeSet;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use super::*;

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from_u64),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Number::from_f64(f).unwrap()),
        "-?[0-9]{1,40}(\\.[0-9]{1,30})?".prop_map(|s| Number::parse(&s).unwrap()),
        "-?[0-9]{1,5}(\\.[0-9]{1,5})?e-?[0-9]{1,2}".prop_map(|s| Number::parse(&s).unwrap()),
    ]
}

fn arb_leaf_type() -> impl Strategy<Value = Type> {
    prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ]
}

fn arb_type() -> impl Strategy<Value = Type> {
    arb_leaf_type().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            (btree_map("[a-z_]{1,6}", inner, 0..4), any::<u8>()).prop_map(|(attrs, bits)| {
                let optional: BTreeSet<String> = attrs
                    .keys()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, k)| k.clone())
                    .collect();
                Type::Object { attrs, optional }
            }),
        ]
    })
}

/// Refinements that are valid (and survive the wire) for `ty`.
fn arb_refinements(ty: &Type) -> BoxedStrategy<Refinements> {
    if *ty == Type::Dynamic {
        return Just(Refinements::default()).boxed();
    }
    let not_null = proptest::option::of(any::<bool>());
    match ty {
        Type::String => (not_null, proptest::option::of(".{1,8}"))
            .prop_map(|(not_null, string_prefix)| Refinements {
                not_null,
                string_prefix,
                ..Default::default()
            })
            .boxed(),
        Type::Number => (
            not_null,
            proptest::option::of((arb_number(), any::<bool>())),
            proptest::option::of((arb_number(), any::<bool>())),
        )
            .prop_map(|(not_null, number_lower, number_upper)| Refinements {
                not_null,
                number_lower,
                number_upper,
                ..Default::default()
            })
            .boxed(),
        Type::List(_) | Type::Set(_) | Type::Map(_) => (
            not_null,
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
        )
            .prop_map(|(not_null, length_lower, length_upper)| Refinements {
                not_null,
                length_lower,
                length_upper,
                ..Default::default()
            })
            .boxed(),
        _ => not_null
            .prop_map(|not_null| Refinements {
                not_null,
                ..Default::default()
            })
            .boxed(),
    }
}

/// A value conforming to `ty`. `unknowns` allows unknown values anywhere;
/// `dyn_budget` bounds how many nested dynamic types may be invented.
fn arb_value(ty: &Type, unknowns: bool, dyn_budget: u32) -> BoxedStrategy<Value> {
    let known = arb_known(ty, unknowns, dyn_budget);
    if unknowns {
        prop_oneof![
            1 => Just(Value::Null),
            1 => arb_refinements(ty).prop_map(Value::Unknown),
            4 => known,
        ]
        .boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 4 => known].boxed()
    }
}

fn arb_known(ty: &Type, unknowns: bool, dyn_budget: u32) -> BoxedStrategy<Value> {
    match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(e) => vec(arb_value(e, unknowns, dyn_budget), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(e) => vec(arb_value(e, unknowns, dyn_budget), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(e) => btree_map(".{0,4}", arb_value(e, unknowns, dyn_budget), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(ts) => {
            let parts: Vec<_> = ts
                .iter()
                .map(|t| arb_value(t, unknowns, dyn_budget))
                .collect();
            parts.prop_map(Value::Tuple).boxed()
        }
        Type::Object { attrs, .. } => {
            let parts: Vec<_> = attrs
                .iter()
                .map(|(k, t)| {
                    let k = k.clone();
                    arb_value(t, unknowns, dyn_budget).prop_map(move |v| (k.clone(), v))
                })
                .collect();
            parts
                .prop_map(|kv| Value::Object(kv.into_iter().collect()))
                .boxed()
        }
        Type::Dynamic => {
            if dyn_budget == 0 {
                return Just(Value::dynamic(Type::Bool, Value::Bool(true))).boxed();
            }
            arb_type()
                .prop_flat_map(move |t| {
                    arb_value(&t, unknowns, dyn_budget - 1)
                        .prop_map(move |v| Value::dynamic(t.clone(), v))
                })
                .boxed()
        }
    }
}

fn arb_type_and_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| {
        let v = arb_value(&t, unknowns, 2);
        (Just(t), v)
    })
}

/// Types used to feed garbage into the decoders.
fn fuzz_types() -> Vec<Type> {
    vec![
        Type::String,
        Type::Number,
        Type::Dynamic,
        Type::list(Type::Dynamic),
        Type::map(Type::set(Type::Number)),
        Type::object([
            ("a", Type::String),
            ("b", Type::list(Type::Dynamic)),
            ("c", Type::tuple([Type::Bool, Type::Number])),
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_round_trip((ty, v) in arb_type_and_value(true)) {
        ty.validate(&v).unwrap();
        let bytes = encode_msgpack(&v, &ty).unwrap();
        let back = decode_msgpack(&bytes, &ty).unwrap();
        prop_assert_eq!(&back, &v);
        // Encoding is deterministic.
        prop_assert_eq!(encode_msgpack(&back, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_round_trip((ty, v) in arb_type_and_value(false)) {
        prop_assert!(v.is_wholly_known());
        let bytes = encode_json(&v, &ty).unwrap();
        let back = decode_json(&bytes, &ty).unwrap();
        prop_assert_eq!(&back, &v);
    }

    #[test]
    fn type_json_round_trip(ty in arb_type()) {
        prop_assert_eq!(Type::from_json(&ty.to_json()).unwrap(), ty.clone());
        prop_assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()).unwrap(), ty);
    }

    #[test]
    fn number_text_round_trip(n in arb_number()) {
        prop_assert_eq!(Number::parse(n.as_str()).unwrap(), n.clone());
        let bytes = encode_msgpack(&Value::Number(n.clone()), &Type::Number).unwrap();
        prop_assert_eq!(decode_msgpack(&bytes, &Type::Number).unwrap(), Value::Number(n));
    }

    #[test]
    fn number_i64_matches(i in any::<i64>()) {
        let n = Number::from_i64(i);
        prop_assert_eq!(n.as_i64(), Some(i));
        prop_assert_eq!(Number::parse(&format!("{i}.000e0")).unwrap(), n);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_garbage_never_panics(bytes in vec(any::<u8>(), 0..64)) {
        for ty in fuzz_types() {
            let _ = decode_msgpack(&bytes, &ty);
        }
    }

    #[test]
    fn json_garbage_never_panics(bytes in vec(any::<u8>(), 0..64)) {
        for ty in fuzz_types() {
            let _ = decode_json(&bytes, &ty);
        }
        let _ = Type::from_json_bytes(&bytes);
    }

    #[test]
    fn jsonish_text_never_panics(s in "[\\[\\]{}\",:a-z0-9 .e-]{0,40}") {
        for ty in fuzz_types() {
            let _ = decode_json(s.as_bytes(), &ty);
        }
        let _ = Type::from_json_bytes(s.as_bytes());
        let _ = Number::parse(&s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_msgpack_never_panics(
        (ty, v) in arb_type_and_value(true),
        edits in vec((any::<usize>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = encode_msgpack(&v, &ty).unwrap();
        for (pos, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = pos % bytes.len();
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let _ = decode_msgpack(&bytes, &ty);
        let _ = decode_msgpack(&bytes, &Type::Dynamic);
    }

    #[test]
    fn mutated_json_never_panics(
        (ty, v) in arb_type_and_value(false),
        edits in vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode_json(&v, &ty).unwrap();
        for (pos, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = pos % bytes.len();
            bytes[i] = byte;
        }
        let _ = decode_json(&bytes, &ty);
    }

    #[test]
    fn type_from_arbitrary_json_never_panics(j in arb_json()) {
        let _ = Type::from_json(&j);
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        prop_oneof![
            Just("string"),
            Just("number"),
            Just("bool"),
            Just("dynamic"),
            Just("list"),
            Just("set"),
            Just("map"),
            Just("object"),
            Just("tuple"),
            Just("x"),
        ]
        .prop_map(J::from),
        any::<i64>().prop_map(J::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(J::Array),
            btree_map("[a-z]{1,3}", inner, 0..3).prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}
