//! JSON text as the engine writes it: every stored record, and the bodies
//! it sends, byte for byte what `serde_json::to_string` writes. Its own
//! serializer, for the strings: serde_json looks at a string's bytes one
//! at a time for the few that need escaping, and a burst's records are
//! mostly strings (the request's body among them, JSON inside JSON). Here
//! eight bytes are checked at once ([`needs_escape`]): a sixth of a
//! burst's instructions went into writing strings.

use serde::ser::{self, Serialize};

type Error = serde_json::Error;
type Result<T> = std::result::Result<T, Error>;

/// `value` as JSON text, byte for byte what `serde_json::to_string` writes.
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut text = Text(String::with_capacity(TEXT_CAPACITY));
    value.serialize(&mut text)?;
    Ok(text.0)
}

/// The room a text starts with: a delivery's record takes about 400
/// bytes, a logged one about 1,300. Grown from 256, a logged one was
/// copied three times on its way; kept, it has 2,048 bytes of room either way.
const TEXT_CAPACITY: usize = 1024;

/// The length of [`to_text`]'s text, counted without writing it: for a
/// size checked before the text is needed.
pub fn text_len<T: Serialize + ?Sized>(value: &T) -> Result<usize> {
    let mut text = Text(Length(0));
    value.serialize(&mut text)?;
    Ok(text.0 .0)
}

/// Where the text goes.
trait Output {
    fn push_str(&mut self, text: &str);
    fn push(&mut self, c: char);
    /// Room for `additional` more bytes.
    fn reserve(&mut self, additional: usize);
}

impl Output for String {
    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }

    fn push(&mut self, c: char) {
        String::push(self, c);
    }

    fn reserve(&mut self, additional: usize) {
        String::reserve(self, additional);
    }
}

/// The length of the text, in bytes.
struct Length(usize);

impl Output for Length {
    fn push_str(&mut self, text: &str) {
        self.0 += text.len();
    }

    fn push(&mut self, c: char) {
        self.0 += c.len_utf8();
    }

    fn reserve(&mut self, _: usize) {}
}

/// The text written so far.
struct Text<O>(O);

/// Eight bytes, each `byte`.
const fn repeated(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// Whether any of the eight bytes in `chunk` needs escaping in a JSON
/// string: a control character, `"` or `\`. Each test sets the high bit of
/// a byte that is (or, past the first, may be) one; bytes of multibyte
/// characters have their own high bit set and are let through.
fn needs_escape(chunk: u64) -> bool {
    let ones = repeated(1);
    let control = chunk.wrapping_sub(repeated(0x20));
    let quote = (chunk ^ repeated(b'"')).wrapping_sub(ones) & !(chunk ^ repeated(b'"'));
    let backslash = (chunk ^ repeated(b'\\')).wrapping_sub(ones) & !(chunk ^ repeated(b'\\'));
    ((control & !chunk) | quote | backslash) & repeated(0x80) != 0
}

/// The bytes a JSON string escapes: control characters, `"` and `\`.
const ESCAPED: [bool; 256] = {
    let mut escaped = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        escaped[byte] = true;
        byte += 1;
    }
    escaped[b'"' as usize] = true;
    escaped[b'\\' as usize] = true;
    escaped
};

/// How serde_json escapes `byte`, one of [`ESCAPED`].
fn escape(byte: u8) -> &'static str {
    const CONTROL: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f",
        "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018",
        "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ];
    match byte {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        _ => CONTROL[usize::from(byte & 0x1f)],
    }
}

impl<O: Output> Text<O> {
    fn string(&mut self, value: &str) {
        let bytes = value.as_bytes();
        self.0.reserve(bytes.len() + 2);
        self.0.push('"');
        let (mut start, mut at) = (0, 0);
        loop {
            while let Some(chunk) = bytes.get(at..at + 8) {
                if needs_escape(u64::from_ne_bytes(chunk.try_into().expect("eight bytes"))) {
                    break;
                }
                at += 8;
            }
            // Within the next eight bytes (or what is left): the first to escape.
            let end = bytes.len().min(at + 8);
            match bytes[at..end].iter().position(|&byte| ESCAPED[usize::from(byte)]) {
                Some(offset) => {
                    at += offset;
                    // `start` and `at` are at ASCII bytes: character boundaries.
                    self.0.push_str(&value[start..at]);
                    self.0.push_str(escape(bytes[at]));
                    at += 1;
                    start = at;
                }
                None if end == bytes.len() => break,
                None => at = end,
            }
        }
        self.0.push_str(&value[start..]);
        self.0.push('"');
    }

    fn integer(&mut self, value: impl itoa::Integer) -> Result<()> {
        self.0.push_str(itoa::Buffer::new().format(value));
        Ok(())
    }

    /// A float as serde_json writes it (`null` when not finite): through
    /// serde_json itself, floats being rare in what the engine writes.
    fn float(&mut self, value: &impl Serialize) -> Result<()> {
        self.0.push_str(&serde_json::to_string(value)?);
        Ok(())
    }

    fn compound(&mut self, open: char, close: &'static str) -> Compound<'_, O> {
        self.0.push(open);
        Compound { text: self, first: true, close }
    }

    /// `{"<variant>":`, the start of an enum's variant with data.
    fn variant(&mut self, variant: &str) {
        self.0.push('{');
        self.string(variant);
        self.0.push(':');
    }
}

/// Integers written by itoa (`method: type`), or widened to one that is
/// (`method: type => wider method`).
macro_rules! numbers {
    ($($method:ident: $type:ty => $wider:ident),*) => {$(
        fn $method(self, value: $type) -> Result<()> {
            self.$wider(value.into())
        }
    )*};
    ($($method:ident: $type:ty),*) => {$(
        fn $method(self, value: $type) -> Result<()> {
            self.integer(value)
        }
    )*};
}

impl<'a, O: Output> ser::Serializer for &'a mut Text<O> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, O>;
    type SerializeTuple = Compound<'a, O>;
    type SerializeTupleStruct = Compound<'a, O>;
    type SerializeTupleVariant = Compound<'a, O>;
    type SerializeMap = Compound<'a, O>;
    type SerializeStruct = Compound<'a, O>;
    type SerializeStructVariant = Compound<'a, O>;

    fn serialize_bool(self, value: bool) -> Result<()> {
        self.0.push_str(if value { "true" } else { "false" });
        Ok(())
    }

    // The smaller integers widened: itoa's code for four types, not ten.
    numbers!(
        serialize_i8: i8 => serialize_i64, serialize_i16: i16 => serialize_i64, serialize_i32: i32 => serialize_i64,
        serialize_u8: u8 => serialize_u64, serialize_u16: u16 => serialize_u64, serialize_u32: u32 => serialize_u64
    );
    numbers!(serialize_i64: i64, serialize_i128: i128, serialize_u64: u64, serialize_u128: u128);

    fn serialize_f32(self, value: f32) -> Result<()> {
        self.float(&value)
    }

    fn serialize_f64(self, value: f64) -> Result<()> {
        self.float(&value)
    }

    fn serialize_char(self, value: char) -> Result<()> {
        self.string(value.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<()> {
        self.string(value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<()> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(value.len()))?;
        for byte in value {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<()> {
        self.0.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, variant: &'static str, value: &T) -> Result<()> {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.0.push('}');
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, O>> {
        Ok(self.compound('[', "]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, O>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, O>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Compound<'a, O>> {
        self.variant(variant);
        Ok(self.compound('[', "]}"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, O>> {
        Ok(self.compound('{', "}"))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, O>> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Compound<'a, O>> {
        self.variant(variant);
        Ok(self.compound('{', "}}"))
    }
}

/// A list or an object being written.
struct Compound<'a, O> {
    text: &'a mut Text<O>,
    /// Whether no element was written yet: the next one takes no comma.
    first: bool,
    /// What ends it.
    close: &'static str,
}

impl<O: Output> Compound<'_, O> {
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.text.0.push(',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.separate();
        value.serialize(&mut *self.text)
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.separate();
        key.serialize(Key(self.text))?;
        self.text.0.push(':');
        Ok(())
    }

    /// A struct's field: its name is written as it is, not looked at for
    /// bytes to escape (half the strings of a record are field names).
    /// Field names are this crate's and its dependencies' identifiers, or
    /// their camelCase or a `rename`: none holds a quote, a backslash or a
    /// control character, as the debug builds (the tests') check.
    fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<()> {
        debug_assert!(!name.bytes().any(|byte| ESCAPED[usize::from(byte)]), "a field name to escape: {name:?}");
        self.separate();
        self.text.0.reserve(name.len() + 3);
        self.text.0.push('"');
        self.text.0.push_str(name);
        self.text.0.push_str("\":");
        value.serialize(&mut *self.text)
    }

    fn close(self) -> Result<()> {
        self.text.0.push_str(self.close);
        Ok(())
    }
}

/// serde's list-like compounds (`trait`, its method) all write elements.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<O: Output> ser::$trait for Compound<'_, O> {
            type Ok = ();
            type Error = Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }

            fn end(self) -> Result<()> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<O: Output> ser::SerializeMap for Compound<'_, O> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.text)
    }

    fn end(self) -> Result<()> {
        self.close()
    }
}

/// serde's struct-like compounds (`trait`) both write named fields.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl<O: Output> ser::$trait for Compound<'_, O> {
            type Ok = ();
            type Error = Error;

            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
                self.field(key, value)
            }

            fn end(self) -> Result<()> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// Writes an object's key: a string, as serde_json takes one (numbers and
/// booleans quoted); any other key is an error, as there.
struct Key<'a, O>(&'a mut Text<O>);

impl<O: Output> Key<'_, O> {
    fn quoted(self, write: impl FnOnce(&mut Text<O>) -> Result<()>) -> Result<()> {
        self.0 .0.push('"');
        write(self.0)?;
        self.0 .0.push('"');
        Ok(())
    }
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

/// A number as an object's key: written as the number, quoted.
macro_rules! quoted_numbers {
    ($($method:ident: $type:ty),*) => {$(
        fn $method(self, value: $type) -> Result<()> {
            self.quoted(|text| text.$method(value))
        }
    )*};
}

impl<O: Output> ser::Serializer for Key<'_, O> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, value: bool) -> Result<()> {
        self.quoted(|text| text.serialize_bool(value))
    }

    quoted_numbers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_f32(self, value: f32) -> Result<()> {
        self.serialize_f64(value.into())
    }

    fn serialize_f64(self, value: f64) -> Result<()> {
        if !value.is_finite() {
            return Err(ser::Error::custom("float key must be finite (got NaN or +/-inf)"));
        }
        self.quoted(|text| text.serialize_f64(value))
    }

    fn serialize_char(self, value: char) -> Result<()> {
        self.0.serialize_char(value)
    }

    fn serialize_str(self, value: &str) -> Result<()> {
        self.0.serialize_str(value)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.0.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_serde_json_writes() {
        let value = json!({"id": "dlv_1", "body": "{\"a\":\"é\\n\"}", "n": [1, 2.5, null, true], "": {}});
        assert_eq!(to_text(&value).unwrap(), serde_json::to_string(&value).unwrap());
        assert_eq!(to_text("").unwrap(), "\"\"");
    }

    #[test]
    fn counts_the_bytes_of_the_text_it_would_write() {
        let value = json!({"body": "{\"a\":\"é\\n\u{1}\"}", "n": [1, -2.5e-7, null], "k": {"€": true}});
        assert_eq!(text_len(&value).unwrap(), to_text(&value).unwrap().len());
    }

    #[test]
    fn escapes_each_byte_as_serde_json_does_wherever_it_falls_in_a_chunk() {
        for byte in (0..=0x7f_u8).map(char::from).chain(['é', '€', '😀', '\u{2028}']) {
            for at in 0..17 {
                let text = format!("{}{byte}{}", "a".repeat(at), "b".repeat(16 - at));
                assert_eq!(to_text(&text).unwrap(), serde_json::to_string(&text).unwrap(), "{byte:?} at {at}");
            }
        }
    }

    #[test]
    fn writes_numbers_enums_and_keys_as_serde_json_does() {
        #[derive(serde::Serialize)]
        enum Shape {
            Unit,
            Newtype(i8),
            Tuple(u8, f32),
            Struct { side: f64 },
        }
        let shapes = (Shape::Unit, Shape::Newtype(-128), Shape::Tuple(255, 0.1), Shape::Struct { side: f64::NAN });
        assert_eq!(to_text(&shapes).unwrap(), serde_json::to_string(&shapes).unwrap());
        let numbers = (u64::MAX, i64::MIN, 0_u32, -0.0_f64, 1e300, u128::MAX, i128::MIN, 'x', b"ab".as_slice(), ());
        assert_eq!(to_text(&numbers).unwrap(), serde_json::to_string(&numbers).unwrap());
        let keys = (BTreeMap::from([(-3, "a"), (7, "b")]), BTreeMap::from([(true, 1)]), BTreeMap::from([("q\"", 1)]));
        assert_eq!(to_text(&keys).unwrap(), serde_json::to_string(&keys).unwrap());
        let unkeyed = BTreeMap::from([((1, 2), 0)]);
        assert!(to_text(&unkeyed).is_err() && serde_json::to_string(&unkeyed).is_err(), "a list is no key");
    }
}
