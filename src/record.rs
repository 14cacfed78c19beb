//! A MaxMind record as this operation holds it: a small tree that borrows its strings from the
//! database where it can (a memory-mapped file's bytes outlive every lookup of a run), keeps map
//! entries in the order the database stores them, and serializes to JSON as MaxMind's readers
//! present the record.
//!
//! Borrowing instead of building a `serde_json::Value` spares an allocation per string and per
//! map key, which is most of the cost of decoding a City record.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record<'a> {
    /// A map, in stored order.
    Map(Vec<(Cow<'a, str>, Record<'a>)>),
    /// An array.
    Array(Vec<Record<'a>>),
    /// A UTF-8 string.
    String(Cow<'a, str>),
    /// An unsigned integer (uint16/32/64).
    Uint(u64),
    /// A signed integer (int32).
    Int(i64),
    /// A uint128.
    Uint128(u128),
    /// A float or double (a float reads back widened, as MaxMind's readers give it).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Raw bytes.
    Bytes(Cow<'a, [u8]>),
    /// JSON `null` (only in web service answers).
    Null,
}

impl<'a> Record<'a> {
    /// An empty map.
    pub fn map() -> Self {
        Record::Map(Vec::new())
    }

    /// The value under `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Record<'a>> {
        match self {
            Record::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value under `key` of a map, inserted by `make` when absent; `None` for non-maps.
    pub fn entry(
        &mut self,
        key: &str,
        make: impl FnOnce() -> Record<'a>,
    ) -> Option<&mut Record<'a>> {
        let Record::Map(entries) = self else {
            return None;
        };
        let at = match entries.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                entries.push((Cow::Owned(key.to_owned()), make()));
                entries.len() - 1
            }
        };
        Some(&mut entries[at].1)
    }

    /// Sets `key` of a map (replacing any value); no effect on non-maps.
    pub fn insert(&mut self, key: &str, value: Record<'a>) {
        if let Some(slot) = self.entry(key, || Record::Null) {
            *slot = value;
        }
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&[Record<'a>]> {
        match self {
            Record::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is a map with no entries (MaxMind's "no data" record).
    pub fn is_empty_map(&self) -> bool {
        matches!(self, Record::Map(entries) if entries.is_empty())
    }

    /// Merges `from` into `self`: maps merge key by key; on any other clash `self` keeps its
    /// value (the first source wins).
    pub fn merge_first_wins(&mut self, from: Record<'a>) {
        let (Record::Map(into), Record::Map(from)) = (self, from) else {
            return;
        };
        for (k, v) in from {
            match into.iter_mut().find(|(key, _)| *key == k) {
                Some((_, existing)) => existing.merge_first_wins(v),
                None => into.push((k, v)),
            }
        }
    }
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
            Record::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Record::String(v) => s.serialize_str(v),
            Record::Uint(v) => s.serialize_u64(*v),
            Record::Int(v) => s.serialize_i64(*v),
            Record::Uint128(v) => s.serialize_u128(*v),
            Record::Float(v) => s.serialize_f64(*v),
            Record::Bool(v) => s.serialize_bool(*v),
            Record::Bytes(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for b in v.iter() {
                    seq.serialize_element(b)?;
                }
                seq.end()
            }
            Record::Null => s.serialize_unit(),
        }
    }
}

/// A map key, borrowed where the input allows.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MaxMind DB value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Record::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(if v >= 0 {
            Record::Uint(v as u64)
        } else {
            Record::Int(v)
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Record::Uint(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Ok(match u64::try_from(v) {
            Ok(small) => Record::Uint(small),
            Err(_) => Record::Uint128(v),
        })
    }
    fn visit_f32<E: de::Error>(self, v: f32) -> Result<Self::Value, E> {
        Ok(Record::Float(f64::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Record::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Record::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Record::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Record::String(Cow::Owned(v)))
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Record::Bytes(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Record::Bytes(Cow::Owned(v.to_vec())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Record::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Record::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Record::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Record::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(k)) = map.next_key()? {
            entries.push((k, map.next_value()?));
        }
        Ok(Record::Map(entries))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Record<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RecordVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_in_stored_order() {
        let text = r#"{"z":1,"a":[true,-3,2.5,"x",null],"m":{"k":"v"}}"#;
        let record: Record<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&record).unwrap(), text);
        assert!(matches!(
            record.get("m").and_then(|m| m.get("k")),
            Some(Record::String(Cow::Borrowed("v")))
        ));
    }

    #[test]
    fn merging_keeps_the_first_value_and_adds_the_rest() {
        let mut a: Record<'_> =
            serde_json::from_str(r#"{"city":{"names":{"en":"London"}},"traits":{"x":1}}"#).unwrap();
        let b: Record<'_> = serde_json::from_str(
            r#"{"city":{"names":{"en":"Paris","de":"Paris"}},"traits":{"x":2,"y":3}}"#,
        )
        .unwrap();
        a.merge_first_wins(b);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"city":{"names":{"en":"London","de":"Paris"}},"traits":{"x":1,"y":3}}"#
        );
    }
}
