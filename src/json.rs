//! JSON text as the engine writes it: every stored record, and the bodies
//! it sends. serde_json writes most of a text a byte at a time (a quote, a
//! colon, a comma, an escape); into a `Vec` each write was a call and a
//! copy, since the release profile optimises for size. [`to_text`] writes
//! into [`Text`], which takes a single byte with a push.

use std::io;

use serde::Serialize;

/// `value` as JSON text, byte for byte what `serde_json::to_string` writes.
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut text = Text(Vec::with_capacity(256));
    serde_json::to_writer(&mut text, value)?;
    // serde_json writes only UTF-8.
    Ok(String::from_utf8(text.0).expect("JSON text is UTF-8"))
}

/// The buffer [`to_text`] writes into.
struct Text(Vec<u8>);

impl io::Write for Text {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match bytes {
            [byte] => self.0.push(*byte),
            _ => self.0.extend_from_slice(bytes),
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_serde_json_writes() {
        let value = json!({"id": "dlv_1", "body": "{\"a\":\"é\\n\"}", "n": [1, 2.5, null, true], "": {}});
        assert_eq!(to_text(&value).unwrap(), serde_json::to_string(&value).unwrap());
        assert_eq!(to_text("").unwrap(), "\"\"");
    }
}
