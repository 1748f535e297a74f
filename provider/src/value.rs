//! Terraform values as MessagePack ([`rmpv::Value`]), the encoding of `DynamicValue`.
//!
//! Objects are maps keyed by attribute name, lists are arrays, maps are maps, null is nil, and a value
//! Terraform does not know yet (only during planning) is the extension type 0.

use std::collections::BTreeMap;

use rmpv::Value;

use crate::proto::tfplugin6::DynamicValue;

/// MessagePack extension type Terraform uses for unknown values.
const UNKNOWN_EXT: i8 = 0;

/// A value Terraform will only know after apply.
pub fn unknown() -> Value {
    Value::Ext(UNKNOWN_EXT, Vec::new())
}

pub fn is_unknown(v: &Value) -> bool {
    matches!(v, Value::Ext(UNKNOWN_EXT, _))
}

/// Decodes a `DynamicValue` (MessagePack, or JSON when that is what was sent). A missing value is null.
pub fn decode(dv: Option<&DynamicValue>) -> Result<Value, String> {
    let Some(dv) = dv else {
        return Ok(Value::Nil);
    };
    if !dv.msgpack.is_empty() {
        let mut slice = dv.msgpack.as_slice();
        return rmpv::decode::read_value(&mut slice)
            .map_err(|e| format!("invalid msgpack value: {e}"));
    }
    if !dv.json.is_empty() {
        let json: serde_json::Value =
            serde_json::from_slice(&dv.json).map_err(|e| format!("invalid JSON value: {e}"))?;
        return Ok(from_json(&json));
    }
    Ok(Value::Nil)
}

pub fn encode(v: &Value) -> DynamicValue {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut buf, v);
    DynamicValue {
        msgpack: buf,
        json: Vec::new(),
    }
}

/// JSON (as stored in state files) to a Terraform value.
pub fn from_json(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::F64(n.as_f64().unwrap_or_default())
            }
        }
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (Value::from(k.as_str()), from_json(v)))
                .collect(),
        ),
    }
}

/// An attribute of an object value, as Terraform may send it.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    Null,
    Unknown,
    Known(&'a Value),
}

impl<'a> Field<'a> {
    pub fn is_known(&self) -> bool {
        !matches!(self, Field::Unknown)
    }
    pub fn str(&self) -> Option<&'a str> {
        match self {
            Field::Known(v) => v.as_str(),
            _ => None,
        }
    }
    pub fn bool(&self) -> Option<bool> {
        match self {
            Field::Known(v) => v.as_bool(),
            _ => None,
        }
    }
    /// A whole number, however MessagePack encoded it (integer, float or decimal string).
    pub fn int(&self) -> Option<i64> {
        match self {
            Field::Known(Value::Integer(i)) => i.as_i64(),
            Field::Known(Value::F64(f)) if f.fract() == 0.0 => Some(*f as i64),
            Field::Known(Value::F32(f)) if f.fract() == 0.0 => Some(*f as i64),
            Field::Known(v) => v.as_str().and_then(|s| s.parse().ok()),
            _ => None,
        }
    }
    /// A known list of known strings; `None` when anything in it is unknown.
    pub fn strings(&self) -> Option<Vec<String>> {
        match self {
            Field::Known(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => None,
        }
    }
    /// A known map of known strings; `None` when anything in it is unknown.
    pub fn string_map(&self) -> Option<BTreeMap<String, String>> {
        match self {
            Field::Known(Value::Map(entries)) => entries
                .iter()
                .map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
                .collect(),
            _ => None,
        }
    }
}

/// The attribute `name` of the object `obj` (null when `obj` is not an object or lacks it).
pub fn field<'a>(obj: &'a Value, name: &str) -> Field<'a> {
    let Value::Map(entries) = obj else {
        return if is_unknown(obj) {
            Field::Unknown
        } else {
            Field::Null
        };
    };
    match entries.iter().find(|(k, _)| k.as_str() == Some(name)) {
        None | Some((_, Value::Nil)) => Field::Null,
        Some((_, v)) if is_unknown(v) => Field::Unknown,
        Some((_, v)) => Field::Known(v),
    }
}

/// Sets the attribute `name` of the object `obj` (adding it when missing).
pub fn set(obj: &mut Value, name: &str, value: Value) {
    if !matches!(obj, Value::Map(_)) {
        *obj = Value::Map(Vec::new());
    }
    if let Value::Map(entries) = obj {
        match entries.iter_mut().find(|(k, _)| k.as_str() == Some(name)) {
            Some((_, v)) => *v = value,
            None => entries.push((Value::from(name), value)),
        }
    }
}

pub fn string(s: impl AsRef<str>) -> Value {
    Value::from(s.as_ref())
}

pub fn opt_string(s: Option<impl AsRef<str>>) -> Value {
    s.map_or(Value::Nil, string)
}

pub fn string_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
    Value::Array(items.into_iter().map(string).collect())
}

pub fn string_map<K: AsRef<str>, V: AsRef<str>>(items: impl IntoIterator<Item = (K, V)>) -> Value {
    Value::Map(
        items
            .into_iter()
            .map(|(k, v)| (string(k), string(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_round_trips_through_msgpack() {
        let mut obj = Value::Map(Vec::new());
        set(&mut obj, "a", string("x"));
        set(&mut obj, "b", unknown());
        set(&mut obj, "c", Value::Nil);
        let back = decode(Some(&encode(&obj))).expect("decode");
        assert_eq!(field(&back, "a").str(), Some("x"));
        assert!(matches!(field(&back, "b"), Field::Unknown));
        assert!(matches!(field(&back, "c"), Field::Null));
        assert!(matches!(field(&back, "missing"), Field::Null));
        // Terraform's own encoding of an unknown value: ext8 with length 0 and type 0.
        let bytes = encode(&unknown()).msgpack;
        assert_eq!(bytes, vec![0xc7, 0x00, 0x00]);
    }

    #[test]
    fn numbers_in_any_encoding() {
        for v in [Value::from(8), Value::F64(8.0), Value::from("8")] {
            let mut obj = Value::Map(Vec::new());
            set(&mut obj, "n", v);
            assert_eq!(field(&obj, "n").int(), Some(8));
        }
    }

    #[test]
    fn json_state_becomes_msgpack_objects() {
        let j =
            serde_json::json!({"files": {"a": "1"}, "checks": ["x"], "n": 2, "b": true, "z": null});
        let v = from_json(&j);
        assert_eq!(
            field(&v, "files")
                .string_map()
                .expect("map")
                .get("a")
                .map(String::as_str),
            Some("1")
        );
        assert_eq!(field(&v, "checks").strings(), Some(vec!["x".to_owned()]));
        assert_eq!(field(&v, "n").int(), Some(2));
        assert_eq!(field(&v, "b").bool(), Some(true));
        assert!(matches!(field(&v, "z"), Field::Null));
    }
}
