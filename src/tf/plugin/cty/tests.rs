//! Unit and golden-vector tests.
//!
//! Unless noted otherwise, golden byte strings come from
//! hashicorp/terraform-plugin-go `tftypes/value_msgpack_test.go`
//! (`TestValueFromMsgPack`), whose vectors match go-cty's `cty/msgpack`
//! encoder (vmihailenco/msgpack with compact ints, float64 floats, bin type
//! JSON for dynamic values). "go-cty unknown.go" means the constant
//! `unknownValBytes` in zclconf/go-cty `cty/msgpack/unknown.go`.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks both directions: encode(value) == bytes and decode(bytes) == value.
#[track_caller]
fn golden(hex_str: &str, ty: &Type, value: Value) {
    let bytes = hex(hex_str);
    let enc = encode_msgpack(&value, ty).unwrap_or_else(|e| panic!("encode {value:?}: {e}"));
    assert_eq!(to_hex(&enc), hex_str, "encoding of {value:?} as {ty}");
    let dec = decode_msgpack(&bytes, ty).unwrap_or_else(|e| panic!("decode {hex_str}: {e}"));
    assert_eq!(dec, value, "decoding of {hex_str} as {ty}");
}

/// Checks decode only (for inputs go-cty accepts but would encode otherwise).
#[track_caller]
fn decodes_to(hex_str: &str, ty: &Type, value: Value) {
    let dec = decode_msgpack(&hex(hex_str), ty).unwrap_or_else(|e| panic!("decode {hex_str}: {e}"));
    assert_eq!(dec, value);
}

fn num(s: &str) -> Value {
    Value::Number(Number::parse(s).unwrap())
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn str_obj_ty(names: &[&str]) -> Type {
    Type::object(names.iter().map(|n| (*n, Type::String)))
}

// ---------------------------------------------------------------- golden

#[test]
fn golden_unknown_and_null() {
    // go-cty unknown.go (unknownValBytes) and tftypes "unknown-string".
    golden("d40000", &Type::String, Value::unknown());
    // tftypes "unknown-bool", "dynamic-unknown".
    golden("d40000", &Type::Bool, Value::unknown());
    golden("d40000", &Type::Dynamic, Value::unknown());
    // tftypes "null-string", "null-bool", "list-string-null", "dynamic-null".
    golden("c0", &Type::String, Value::Null);
    golden("c0", &Type::Bool, Value::Null);
    golden("c0", &Type::list(Type::String), Value::Null);
    golden("c0", &Type::Dynamic, Value::Null);
}

#[test]
fn golden_primitives() {
    // tftypes "hello-string", "empty-string", "true-bool", "false-bool".
    golden("a568656c6c6f", &Type::String, Value::string("hello"));
    golden("a0", &Type::String, Value::string(""));
    golden("c3", &Type::Bool, Value::Bool(true));
    golden("c2", &Type::Bool, Value::Bool(false));
}

#[test]
fn golden_numbers() {
    // tftypes "int-number".
    golden("01", &Type::Number, num("1"));
    // tftypes "int64-positive-number" (compact ints use uint64 for positives).
    golden("cf7fffffffffffffff", &Type::Number, Value::number(i64::MAX));
    // tftypes "int64-negative-number".
    golden("d38000000000000000", &Type::Number, Value::number(i64::MIN));
    // Derived from the msgpack spec: negative fixint, int8, int16, uint8.
    golden("ff", &Type::Number, num("-1"));
    golden("e0", &Type::Number, num("-32"));
    golden("d0df", &Type::Number, num("-33"));
    golden("d1ff7f", &Type::Number, num("-129"));
    golden("cc80", &Type::Number, num("128"));
    golden("cd0100", &Type::Number, num("256"));
    // tftypes "float-number".
    golden("cb3ff8000000000000", &Type::Number, num("1.5"));
    // tftypes "uint64-number": MaxUint64 is neither i64 nor exact f64 → string.
    golden(
        "b43138343436373434303733373039353531363135",
        &Type::Number,
        Value::Number(Number::from_u64(u64::MAX)),
    );
    // tftypes "big-number": 100 nines as str8.
    let nines = "9".repeat(100);
    golden(
        &format!("d964{}", "39".repeat(100)),
        &Type::Number,
        num(&nines),
    );
    // tftypes "awkward-fraction-number": 0.8 is not exact in binary → string.
    golden("a3302e38", &Type::Number, num("0.8"));
    // tftypes "float64-positive-number": MaxFloat64 is an (exact) integer
    // beyond i64, so it is sent as float64.
    golden(
        "cb7fefffffffffffff",
        &Type::Number,
        Value::Number(Number::from_f64(f64::MAX).unwrap()),
    );
    // tftypes "float64-negative-number" (SmallestNonzeroFloat64).
    golden(
        "cb0000000000000001",
        &Type::Number,
        Value::Number(Number::from_f64(f64::from_bits(1)).unwrap()),
    );
    // Big integer beyond 2^64 that is not an exact float: decimal string
    // (derived from go-cty marshal.go: bf.Text('f', -1) as msgpack str).
    let big = "123456789012345678901234567890";
    golden(
        &format!("be{}", to_hex(big.as_bytes())),
        &Type::Number,
        num(big),
    );
}

#[test]
fn decode_accepts_other_number_forms() {
    // Derived from the msgpack spec / go-cty unmarshal.go (any int, float32,
    // float64 or numeric string is accepted).
    decodes_to("cc05", &Type::Number, num("5")); // non-minimal uint8
    decodes_to("d3ffffffffffffffff", &Type::Number, num("-1")); // int64
    decodes_to(
        "cfffffffffffffffff",
        &Type::Number,
        Value::Number(Number::from_u64(u64::MAX)),
    );
    decodes_to("ca3fc00000", &Type::Number, num("1.5")); // float32
    decodes_to("a3312e35", &Type::Number, num("1.5")); // "1.5"
    decodes_to("a431653130", &Type::Number, num("10000000000")); // "1e10"
    assert!(decode_msgpack(&hex("a3616263"), &Type::Number).is_err()); // "abc"
    assert!(decode_msgpack(&hex("cb7ff0000000000000"), &Type::Number).is_err()); // +Inf
    assert!(decode_msgpack(&hex("cb7ff8000000000000"), &Type::Number).is_err());
    // NaN
}

#[test]
fn golden_collections() {
    let ls = Type::list(Type::String);
    // tftypes "list-string-hello", "-unknown", "-null-string", "-empty".
    golden(
        "91a568656c6c6f",
        &ls,
        Value::List(vec![Value::string("hello")]),
    );
    golden("91d40000", &ls, Value::List(vec![Value::unknown()]));
    golden("91c0", &ls, Value::List(vec![Value::Null]));
    golden("90", &ls, Value::List(vec![]));
    // tftypes "set-string-hello", "set-string-empty".
    let ss = Type::set(Type::String);
    golden(
        "91a568656c6c6f",
        &ss,
        Value::Set(vec![Value::string("hello")]),
    );
    golden("90", &ss, Value::Set(vec![]));
    // tftypes "map-string-hello", "map-string-null", "map-string-empty".
    let ms = Type::map(Type::String);
    let greeting = |v: Value| Value::Map(BTreeMap::from([("greeting".to_string(), v)]));
    golden(
        "81a86772656574696e67a568656c6c6f",
        &ms,
        greeting(Value::string("hello")),
    );
    golden("81a86772656574696e67c0", &ms, greeting(Value::Null));
    golden("80", &ms, Value::Map(BTreeMap::new()));
    // tftypes "tuple-string-hello", "tuple-empty".
    golden(
        "91a568656c6c6f",
        &Type::tuple([Type::String]),
        Value::Tuple(vec![Value::string("hello")]),
    );
    golden("90", &Type::tuple([]), Value::Tuple(vec![]));
}

#[test]
fn golden_objects() {
    // tftypes "object-string-hello".
    golden(
        "81a86772656574696e67a568656c6c6f",
        &str_obj_ty(&["greeting"]),
        obj(&[("greeting", Value::string("hello"))]),
    );
    // tftypes "object-string-multi-null" / "-multi-unknown": two attributes.
    let ab = str_obj_ty(&["a", "b"]);
    golden(
        "82a161c0a162c0",
        &ab,
        obj(&[("a", Value::Null), ("b", Value::Null)]),
    );
    golden(
        "82a161d40000a162d40000",
        &ab,
        obj(&[("a", Value::unknown()), ("b", Value::unknown())]),
    );
    // Derived from go-cty marshal.go (attributes sorted by name): two known
    // attributes of different types.
    let ty = Type::object([("name", Type::String), ("count", Type::Number)]);
    golden(
        "82a5636f756e7403a46e616d65a27878",
        &ty,
        obj(&[("name", Value::string("xx")), ("count", num("3"))]),
    );
    // tftypes "object-empty".
    golden(
        "80",
        &Type::object::<String>([]),
        Value::Object(BTreeMap::new()),
    );
}

#[test]
fn golden_dynamic() {
    let s = |t: &str| Value::string(t);
    // tftypes "dynamic-string", "dynamic-bool", "dynamic-number".
    golden(
        "92c40822737472696e6722a568656c6c6f",
        &Type::Dynamic,
        Value::dynamic(Type::String, s("hello")),
    );
    golden(
        "92c40622626f6f6c22c3",
        &Type::Dynamic,
        Value::dynamic(Type::Bool, Value::Bool(true)),
    );
    golden(
        "92c408226e756d6265722201",
        &Type::Dynamic,
        Value::dynamic(Type::Number, num("1")),
    );
    // tftypes "dynamic-list", "dynamic-set", "dynamic-map".
    golden(
        "92c4115b226c697374222c22737472696e67225d91a568656c6c6f",
        &Type::Dynamic,
        Value::dynamic(Type::list(Type::String), Value::List(vec![s("hello")])),
    );
    golden(
        "92c4105b22736574222c22737472696e67225d91a568656c6c6f",
        &Type::Dynamic,
        Value::dynamic(Type::set(Type::String), Value::Set(vec![s("hello")])),
    );
    golden(
        "92c4105b226d6170222c22737472696e67225d81a568656c6c6fa568656c6c6f",
        &Type::Dynamic,
        Value::dynamic(
            Type::map(Type::String),
            Value::Map(BTreeMap::from([("hello".to_string(), s("hello"))])),
        ),
    );
    // tftypes "string-dynamic-null": a typed null in a dynamic position.
    golden(
        "92c40822737472696e6722c0",
        &Type::Dynamic,
        Value::dynamic(Type::String, Value::Null),
    );
    // tftypes "list-dynamic" / "dynamic-list-string-hello".
    golden(
        "9192c40822737472696e6722a568656c6c6f",
        &Type::list(Type::Dynamic),
        Value::List(vec![Value::dynamic(Type::String, s("hello"))]),
    );
    // tftypes "dynamic-list-unknown".
    golden(
        "91d40000",
        &Type::list(Type::Dynamic),
        Value::List(vec![Value::unknown()]),
    );
    // tftypes "tuple-dynamic".
    golden(
        "9292c40822737472696e6722a568656c6c6f92c40822737472696e6722a5776f726c64",
        &Type::tuple([Type::Dynamic, Type::Dynamic]),
        Value::Tuple(vec![
            Value::dynamic(Type::String, s("hello")),
            Value::dynamic(Type::String, s("world")),
        ]),
    );
    // tftypes "object-dynamic", "object-dynamic-null".
    golden(
        "81a86772656574696e6792c40822737472696e6722a568656c6c6f",
        &Type::object([("greeting", Type::Dynamic)]),
        obj(&[("greeting", Value::dynamic(Type::String, s("hello")))]),
    );
    golden(
        "81a161c0",
        &Type::object([("a", Type::Dynamic)]),
        obj(&[("a", Value::Null)]),
    );
    // Type JSON as str instead of bin is accepted when decoding (derived).
    decodes_to(
        "92a822737472696e6722a568656c6c6f",
        &Type::Dynamic,
        Value::dynamic(Type::String, s("hello")),
    );
}

#[test]
fn golden_refined_unknowns() {
    let nn = Value::Unknown(Refinements::not_null());
    // tftypes "unknown-{bool,number,string,list,object}-with-nullness-refinement".
    golden("c7030c8101c2", &Type::Bool, nn.clone());
    golden("c7030c8101c2", &Type::Number, nn.clone());
    golden("c7030c8101c2", &Type::String, nn.clone());
    golden("c7030c8101c2", &Type::list(Type::String), nn.clone());
    golden("c7030c8101c2", &str_obj_ty(&["attr"]), nn.clone());
    // tftypes "unknown-dynamic-refinements-ignored": encoder drops them.
    assert_eq!(encode_msgpack(&nn, &Type::Dynamic).unwrap(), hex("d40000"));
    decodes_to("c7030c8101c2", &Type::Dynamic, Value::unknown());
    // tftypes "unknown-string-with-prefix-refinement".
    golden(
        "c70e0c8201c202a97072656669783a2f2f",
        &Type::String,
        Value::Unknown(Refinements {
            not_null: Some(true),
            string_prefix: Some("prefix://".into()),
            ..Default::default()
        }),
    );
    // tftypes "unknown-string-with-empty-prefix-refinement" (empty = none).
    assert_eq!(
        to_hex(
            &encode_msgpack(
                &Value::Unknown(Refinements {
                    not_null: Some(true),
                    string_prefix: Some(String::new()),
                    ..Default::default()
                }),
                &Type::String
            )
            .unwrap()
        ),
        "c7030c8101c2"
    );
    // tftypes "unknown-number-with-bound-refinements-integers-inclusive".
    let bounds = |lo: Number, hi: Number, inc: bool| {
        Value::Unknown(Refinements {
            not_null: Some(true),
            number_lower: Some((lo, inc)),
            number_upper: Some((hi, inc)),
            ..Default::default()
        })
    };
    golden(
        "c70b0c8301c2039201c3049205c3",
        &Type::Number,
        bounds(Number::from_i64(1), Number::from_i64(5), true),
    );
    // ...-integers-exclusive.
    golden(
        "c70b0c8301c2039201c2049205c2",
        &Type::Number,
        bounds(Number::from_i64(1), Number::from_i64(5), false),
    );
    // ...-float-inclusive: bounds are the float64 values 1.23 and 5.67.
    golden(
        "c71b0c8301c20392cb3ff3ae147ae147aec30492cb4016ae147ae147aec3",
        &Type::Number,
        bounds(
            Number::from_f64(1.23).unwrap(),
            Number::from_f64(5.67).unwrap(),
            true,
        ),
    );
    // tftypes "unknown-{list,map,set}-with-bound-refinements".
    let lens = |lo: u64, hi: u64| {
        Value::Unknown(Refinements {
            not_null: Some(true),
            length_lower: Some(lo),
            length_upper: Some(hi),
            ..Default::default()
        })
    };
    golden(
        "c7070c8301c205010605",
        &Type::list(Type::String),
        lens(1, 5),
    );
    golden("c7070c8301c205000604", &Type::map(Type::Number), lens(0, 4));
    golden("c7070c8301c205020606", &Type::set(Type::Bool), lens(2, 6));
}

#[test]
fn refinement_decoding_edge_cases() {
    // Unknown refinement keys are skipped (derived: key 9 → [1, "x"]).
    decodes_to(
        "c7080c8201c20992 01a178",
        &Type::String,
        Value::Unknown(Refinements::not_null()),
    );
    // Any other extension type or a tiny payload is a plain unknown.
    decodes_to("d50500 00", &Type::String, Value::unknown());
    decodes_to("c70005", &Type::String, Value::unknown());
    // Infinite number bounds (go-cty's "no bound") decode as None.
    decodes_to(
        "c70d0c810392cbfff0000000000000c2",
        &Type::Number,
        Value::unknown(),
    );
    // Malformed payloads are errors.
    for bad in [
        "c7020c01c2",   // payload not a map
        "c7030c81a1c2", // non-integer key
        "c7030c8101a0", // nullness not a bool
        "c7050c8101",   // payload longer than the input
    ] {
        assert!(
            decode_msgpack(&hex(bad), &Type::String).is_err(),
            "{bad} should fail"
        );
    }
    // Prefix refinement on a number, length bound on a string: errors.
    assert!(decode_msgpack(&hex("c7040c8102a178"), &Type::Number).is_err());
    assert!(decode_msgpack(&hex("c7030c810501"), &Type::String).is_err());
    // Negative length bound.
    assert!(decode_msgpack(&hex("c7030c8105ff"), &Type::list(Type::String)).is_err());
    // Encoding a refinement that does not fit the type is an error.
    let bad = Value::Unknown(Refinements {
        string_prefix: Some("x".into()),
        ..Default::default()
    });
    assert!(encode_msgpack(&bad, &Type::Number).is_err());
    // Definitely-null refinement (wire true) round trips as not_null=false.
    golden(
        "c7030c8101c3",
        &Type::String,
        Value::Unknown(Refinements {
            not_null: Some(false),
            ..Default::default()
        }),
    );
}

// ------------------------------------------------------------ msgpack errors

#[test]
fn msgpack_errors() {
    let d = |h: &str, ty: &Type| decode_msgpack(&hex(h), ty);
    let root = |h: &str, ty: &Type| d(h, ty).map_err(|e| e.root().clone());
    assert_eq!(d("", &Type::String), Err(CodecError::UnexpectedEof));
    assert_eq!(
        d("a0 c0", &Type::String),
        Err(CodecError::TrailingBytes { count: 1 })
    );
    assert!(matches!(
        d("c3", &Type::String),
        Err(CodecError::Mismatch { .. })
    ));
    assert!(matches!(
        d("a2ffff", &Type::String),
        Err(CodecError::InvalidUtf8)
    ));
    // Huge declared lengths must fail on EOF without allocating.
    assert_eq!(
        root("ddffffffff", &Type::list(Type::String)),
        Err(CodecError::UnexpectedEof)
    );
    assert_eq!(
        root("dfffffffff", &Type::map(Type::String)),
        Err(CodecError::UnexpectedEof)
    );
    assert_eq!(
        d("dbffffffff", &Type::String),
        Err(CodecError::UnexpectedEof)
    );
    assert_eq!(
        d("c9ffffffff0c", &Type::String),
        Err(CodecError::UnexpectedEof)
    );
    // Tuple length mismatch.
    assert!(matches!(
        d("92c0c0", &Type::tuple([Type::String])).map_err(|e| e.root().clone()),
        Err(CodecError::LengthMismatch {
            expected: 1,
            found: 2
        })
    ));
    // Object: unknown, missing and duplicate attributes.
    let ab = str_obj_ty(&["a", "b"]);
    assert_eq!(
        d("82a161c0a163c0", &ab),
        Err(CodecError::UnknownAttribute("c".into()))
    );
    assert_eq!(
        d("81a161c0", &ab),
        Err(CodecError::MissingAttribute("b".into()))
    );
    assert_eq!(
        d("82a161c0a161c0", &ab),
        Err(CodecError::DuplicateKey("a".into()))
    );
    // Optional attributes may be missing (filled with null).
    let opt = Type::Object {
        attrs: BTreeMap::from([("a".into(), Type::String), ("b".into(), Type::String)]),
        optional: BTreeSet::from(["b".to_string()]),
    };
    assert_eq!(
        d("81a161a178", &opt),
        Ok(obj(&[("a", Value::string("x")), ("b", Value::Null)]))
    );
    // Dynamic: wrong array length, bad type JSON.
    assert!(d("91c0", &Type::Dynamic).is_err());
    assert!(d("92c403666f6fc0", &Type::Dynamic).is_err());
    // Error paths.
    let ty = Type::list(Type::object([("a", Type::map(Type::Number))]));
    let err = d("91 81a161 81a16b a178", &ty).unwrap_err();
    assert_eq!(err.path(), Some("[0].a[\"k\"]"));
    assert!(
        err.to_string()
            .starts_with("at [0].a[\"k\"]: invalid number"),
        "{err}"
    );
}

#[test]
fn depth_limits() {
    // 200 nested dynamic wrappers: ["dynamic", ["dynamic", ... nil]].
    let mut h = "92c4092264796e616d696322".repeat(200);
    h.push_str("c0");
    let err = decode_msgpack(&hex(&h), &Type::Dynamic).unwrap_err();
    assert_eq!(err.root(), &CodecError::DepthLimitExceeded(MAX_DEPTH));
    // Up to the limit is fine (and does not overflow the test thread's stack).
    let mut h = "92c4092264796e616d696322".repeat(MAX_DEPTH);
    h.push_str("c0");
    assert!(decode_msgpack(&hex(&h), &Type::Dynamic).is_ok());
    // Deep type JSON.
    let deep = format!("{}\"string\"{}", "[\"list\",".repeat(300), "]".repeat(300));
    assert!(Type::from_json_bytes(deep.as_bytes()).is_err());
    let mut t = Type::String;
    for _ in 0..200 {
        t = Type::list(t);
    }
    assert!(Type::from_json(&t.to_json()).is_err());
    assert!(encode_msgpack(&Value::Null, &t).is_ok());
    // Deep JSON value.
    let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
    assert!(decode_json(deep.as_bytes(), &Type::list(Type::Dynamic)).is_err());
}

#[test]
fn encode_conformance_errors() {
    let ty = str_obj_ty(&["a", "b"]);
    assert_eq!(
        encode_msgpack(&obj(&[("a", Value::Null)]), &ty),
        Err(CodecError::MissingAttribute("b".into()))
    );
    assert_eq!(
        encode_msgpack(
            &obj(&[("a", Value::Null), ("b", Value::Null), ("c", Value::Null)]),
            &ty
        ),
        Err(CodecError::UnknownAttribute("c".into()))
    );
    assert!(encode_msgpack(&Value::string("x"), &Type::Number).is_err());
    assert!(encode_msgpack(&Value::Set(vec![]), &Type::list(Type::String)).is_err());
    // A bare value in a dynamic position must be wrapped.
    assert!(encode_msgpack(&Value::string("x"), &Type::Dynamic).is_err());
    assert!(Type::Dynamic
        .validate(&Value::dynamic(Type::String, Value::string("x")))
        .is_ok());
    let err = encode_msgpack(
        &Value::List(vec![Value::Null, Value::Bool(true)]),
        &Type::list(Type::String),
    )
    .unwrap_err();
    assert_eq!(err.path(), Some("[1]"));
}

// ----------------------------------------------------------------- numbers

#[test]
fn number_parse_normalizes() {
    let p = |s: &str| Number::parse(s).unwrap().to_string();
    assert_eq!(p("1.50"), "1.5");
    assert_eq!(p("1.5"), "1.5");
    assert_eq!(p("1e3"), "1000");
    assert_eq!(p("1E+3"), "1000");
    assert_eq!(p("1000"), "1000");
    assert_eq!(p("-0"), "0");
    assert_eq!(p("-0.000"), "0");
    assert_eq!(p("000123.4500"), "123.45");
    assert_eq!(p("0.00100"), "0.001");
    assert_eq!(p("1.5e-3"), "0.0015");
    assert_eq!(p("12345e-2"), "123.45");
    assert_eq!(p(".5"), "0.5");
    assert_eq!(p("5."), "5");
    assert_eq!(p("+2"), "2");
    assert_eq!(p("-12.5e1"), "-125");
    assert_eq!(
        p("123456789012345678901234567890"),
        "123456789012345678901234567890"
    );
    assert_eq!(p("0e99999999999"), "0");
    assert_eq!(
        Number::parse("1.50").unwrap(),
        Number::parse("15e-1").unwrap()
    );
    for bad in [
        "", "-", ".", "e5", "1e", "1e+", "abc", "NaN", "inf", "Infinity", "0x10", "1 ", " 1",
        "1e99999", "1..2", "--1",
    ] {
        assert!(Number::parse(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn number_conversions() {
    let n = Number::parse("123456789012345678901234567890").unwrap();
    assert_eq!(n.as_i64(), None);
    assert_eq!(n.as_u64(), None);
    assert!((n.as_f64() - 1.2345678901234568e29).abs() < 1e14);
    assert_eq!(Number::from_i64(-5).as_i64(), Some(-5));
    assert_eq!(Number::from_i64(-5).as_u64(), None);
    assert_eq!(Number::from_u64(u64::MAX).as_u64(), Some(u64::MAX));
    assert_eq!(Number::parse("2.5").unwrap().as_i64(), None);
    assert_eq!(Number::parse("2.5").unwrap().as_f64(), 2.5);
    assert_eq!(Number::from_f64(0.5).unwrap().to_string(), "0.5");
    assert_eq!(Number::from_f64(-3.0).unwrap().to_string(), "-3");
    assert_eq!(Number::from_f64(-0.0).unwrap().to_string(), "0");
    assert_eq!(
        Number::from_f64(1e21).unwrap().to_string(),
        "1000000000000000000000"
    );
    assert_eq!(
        Number::from_f64(0.1).unwrap().to_string(),
        "0.1000000000000000055511151231257827021181583404541015625"
    );
    assert_eq!(Number::from_f64(f64::NAN), None);
    assert_eq!(Number::from_f64(f64::INFINITY), None);
    assert_eq!(Number::parse("0.1").unwrap().as_exact_f64(), None);
    assert_eq!(Number::parse("0.375").unwrap().as_exact_f64(), Some(0.375));
    // The exact expansion of the smallest subnormal parses back identically.
    let tiny = Number::from_f64(f64::from_bits(1)).unwrap();
    assert_eq!(Number::parse(tiny.as_str()).unwrap(), tiny);
    assert_eq!(tiny.as_exact_f64(), Some(f64::from_bits(1)));
    let max = Number::from_f64(f64::MAX).unwrap();
    assert_eq!(max.as_str().len(), 309);
    assert_eq!(max.as_exact_f64(), Some(f64::MAX));
}

// ------------------------------------------------------------------- types

#[test]
fn type_json() {
    let cases: &[(&str, Type)] = &[
        ("\"string\"", Type::String),
        ("\"number\"", Type::Number),
        ("\"bool\"", Type::Bool),
        ("\"dynamic\"", Type::Dynamic),
        // Bytes as embedded in tftypes "dynamic-list"/"dynamic-set"/"dynamic-map".
        ("[\"list\",\"string\"]", Type::list(Type::String)),
        ("[\"set\",\"string\"]", Type::set(Type::String)),
        ("[\"map\",\"string\"]", Type::map(Type::String)),
        (
            "[\"object\",{\"a\":\"string\",\"b\":[\"list\",\"number\"]}]",
            Type::object([("b", Type::list(Type::Number)), ("a", Type::String)]),
        ),
        (
            "[\"object\",{\"a\":\"string\",\"b\":\"bool\"},[\"b\"]]",
            Type::Object {
                attrs: BTreeMap::from([("a".into(), Type::String), ("b".into(), Type::Bool)]),
                optional: BTreeSet::from(["b".to_string()]),
            },
        ),
        (
            "[\"tuple\",[\"string\",\"dynamic\"]]",
            Type::tuple([Type::String, Type::Dynamic]),
        ),
        ("[\"tuple\",[]]", Type::tuple([])),
    ];
    for (json, ty) in cases {
        assert_eq!(String::from_utf8(ty.to_json_bytes()).unwrap(), *json);
        assert_eq!(serde_json::to_string(&ty.to_json()).unwrap(), *json);
        assert_eq!(&Type::from_json_bytes(json.as_bytes()).unwrap(), ty);
    }
    for bad in [
        "\"str\"",
        "5",
        "null",
        "[]",
        "[\"list\"]",
        "[\"list\",\"string\",\"x\"]",
        "[\"object\",[]]",
        "[\"object\",{},[\"missing\"]]",
        "[\"object\",{\"a\":\"string\"},[1]]",
        "[\"tuple\",{}]",
        "[\"frob\",\"string\"]",
        "{\"list\":\"string\"}",
        "[\"list\",\"string\"] x",
    ] {
        assert!(
            Type::from_json_bytes(bad.as_bytes()).is_err(),
            "{bad} should fail"
        );
    }
}

// -------------------------------------------------------------------- json

#[test]
fn json_decode() {
    let ty = Type::object([
        ("id", Type::String),
        ("n", Type::Number),
        ("flag", Type::Bool),
        ("tags", Type::map(Type::String)),
        ("added_later", Type::list(Type::String)),
        ("dyn", Type::Dynamic),
    ]);
    let v = decode_json(
        br#"{"id":"x","n":123456789012345678901234567890.50,"flag":true,"tags":{"a":"b"},
            "dyn":{"value":["a",1],"type":["tuple",["string","number"]]}}"#,
        &ty,
    )
    .unwrap();
    assert_eq!(v.get_attr("id").and_then(Value::as_str), Some("x"));
    assert_eq!(
        v.get_attr("n")
            .and_then(Value::as_number)
            .map(Number::as_str),
        Some("123456789012345678901234567890.5")
    );
    assert_eq!(v.get_attr("flag").and_then(Value::as_bool), Some(true));
    assert_eq!(v.get_attr("added_later"), Some(&Value::Null));
    assert_eq!(
        v.get_attr("dyn"),
        Some(&Value::dynamic(
            Type::tuple([Type::String, Type::Number]),
            Value::Tuple(vec![Value::string("a"), num("1")])
        ))
    );
    // Unknown attribute.
    assert_eq!(
        decode_json(br#"{"id":"x","zzz":1}"#, &ty),
        Err(CodecError::UnknownAttribute("zzz".into()))
    );
    // go-cty conversions: number/bool → string, string → number/bool.
    assert_eq!(
        decode_json(b"1.50", &Type::String),
        Ok(Value::string("1.50"))
    );
    assert_eq!(
        decode_json(b"true", &Type::String),
        Ok(Value::string("true"))
    );
    assert_eq!(decode_json(b"\"1e2\"", &Type::Number), Ok(num("100")));
    assert_eq!(
        decode_json(b"\"false\"", &Type::Bool),
        Ok(Value::Bool(false))
    );
    assert!(decode_json(b"\"yes\"", &Type::Bool).is_err());
    assert!(decode_json(b"[1]", &Type::tuple([Type::Number, Type::Number])).is_err());
    assert!(decode_json(br#"{"value":1}"#, &Type::Dynamic).is_err());
    assert!(decode_json(br#"{"value":1,"type":"number","x":1}"#, &Type::Dynamic).is_err());
    assert_eq!(decode_json(b"null", &Type::Dynamic), Ok(Value::Null));
    assert!(decode_json(b"{} x", &Type::map(Type::String)).is_err());
    let err = decode_json(br#"{"tags":{"k":[]}}"#, &ty).unwrap_err();
    assert_eq!(err.path(), Some(".tags[\"k\"]"));
}

#[test]
fn json_encode() {
    let ty = Type::object([
        ("s", Type::String),
        ("n", Type::Number),
        ("l", Type::set(Type::Bool)),
        ("d", Type::Dynamic),
        ("z", Type::String),
    ]);
    let v = obj(&[
        ("s", Value::string("a\"b")),
        ("n", num("-1.5e30")),
        ("l", Value::Set(vec![Value::Bool(true)])),
        (
            "d",
            Value::dynamic(
                Type::list(Type::String),
                Value::List(vec![Value::string("x")]),
            ),
        ),
        ("z", Value::Null),
    ]);
    // Derived from go-cty cty/json/marshal.go: sorted attributes, dynamic as
    // {"value":...,"type":...}, numbers as plain decimal text.
    let expected = r#"{"d":{"value":["x"],"type":["list","string"]},"l":[true],"n":-1500000000000000000000000000000,"s":"a\"b","z":null}"#;
    assert_eq!(
        String::from_utf8(encode_json(&v, &ty).unwrap()).unwrap(),
        expected
    );
    assert_eq!(decode_json(expected.as_bytes(), &ty), Ok(v));
    assert_eq!(
        encode_json(
            &Value::List(vec![Value::unknown()]),
            &Type::list(Type::String)
        )
        .unwrap_err()
        .root(),
        &CodecError::UnknownInJson
    );
}

// ------------------------------------------------------------------ values

#[test]
fn value_helpers() {
    let v = obj(&[
        ("a", Value::string("x")),
        ("b", Value::List(vec![Value::unknown()])),
        ("c", Value::dynamic(Type::Bool, Value::Bool(true))),
        ("d", Value::dynamic(Type::String, Value::Null)),
    ]);
    assert!(v.is_known());
    assert!(!v.is_wholly_known());
    assert!(!v.is_null());
    assert_eq!(v.get_attr("a").and_then(Value::as_str), Some("x"));
    assert_eq!(v.get_attr("c").and_then(Value::as_bool), Some(true));
    assert!(v.get_attr("d").unwrap().is_null());
    assert!(!Value::unknown().is_known());
    assert!(!Value::dynamic(Type::String, Value::unknown()).is_known());
    assert_eq!(v.get_attr("zz"), None);
    assert_eq!(Value::string("x").get_attr("a"), None);
    assert_eq!(
        Value::from(5i64).as_number().and_then(Number::as_i64),
        Some(5)
    );
    assert!(Value::Null.is_wholly_known());
}
