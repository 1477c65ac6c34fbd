//! Reading sources into a plan: YAML with the place of every node, the
//! catalogue and its schema, a chart's values file, the facts beside it in
//! `.envsync.yaml`, and the speed groups a chart's alert rules give.

pub mod catalogue;
pub mod facts;
pub mod rules;
pub mod safe;
pub mod schema;
pub mod search;
pub mod template;
pub mod values;
pub mod yaml;

use std::io::Read;
use std::path::Path;

/// The largest file envsync reads: far more than any catalogue, values or
/// rules file, and little enough memory.
pub const MAX_FILE: u64 = 16 << 20;

/// A source file's text. Only a regular file (or a link to one) of at most
/// [`MAX_FILE`] bytes is read: a device such as `/dev/zero` would be read
/// until memory runs out, and a FIFO would block for ever.
pub fn text_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind};
    let too_big = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the file is larger than {} MiB", MAX_FILE >> 20),
        )
    };
    if !std::fs::metadata(path)?.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > MAX_FILE {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorKind::InvalidData, "the file is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_regular_files_of_bounded_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, "a: 1\n").unwrap();
        assert_eq!(text_file(&path).unwrap(), "a: 1\n");
        let err = text_file(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let big = std::fs::File::create(&path).unwrap();
        big.set_len(MAX_FILE + 1).unwrap();
        let err = text_file(&path).unwrap_err();
        assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(text_file(&path).unwrap_err().to_string().contains("UTF-8"));
    }
}
