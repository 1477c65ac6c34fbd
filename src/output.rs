//! Writing rendered files: all or nothing.
//!
//! Every file is rendered in memory first. Each is then written to a
//! temporary file in its own folder and renamed into place, so a reader never
//! sees half a file, and a failure before the renames leaves nothing changed.
//! Files are not forced to disk (no fsync): anything envsync writes can be
//! rendered again from the catalogue, and a commit hook should not wait on
//! the disk.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A rendered file, its path relative to the output folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub contents: String,
}

impl File {
    pub fn new(path: impl Into<PathBuf>, contents: String) -> File {
        File {
            path: path.into(),
            contents,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Writes every file below `dir`, each atomically; on a failure the files
/// not yet renamed into place are left as they were, and the folders made
/// for them are removed again.
pub fn write_all(dir: &Path, files: &[File]) -> Result<(), WriteError> {
    let mut made: Vec<PathBuf> = Vec::new();
    let result = stage_and_persist(dir, files, &mut made);
    if result.is_err() {
        // Only the folders this call made, deepest first, and only if empty.
        for folder in made.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
    result
}

fn stage_and_persist(
    dir: &Path,
    files: &[File],
    made: &mut Vec<PathBuf>,
) -> Result<(), WriteError> {
    let mut staged: Vec<(tempfile_path::Temp, PathBuf)> = Vec::new();
    for file in files {
        let target = dir.join(&file.path);
        let err = |source| WriteError {
            path: target.clone(),
            source,
        };
        if target.is_dir() {
            return Err(err(std::io::Error::other("a folder is in the way")));
        }
        let parent = target.parent().unwrap_or(dir);
        let missing: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(parent).map_err(err)?;
        made.extend(missing.into_iter().rev());
        let temp = tempfile_path::Temp::create(parent).map_err(err)?;
        temp.file()
            .write_all(file.contents.as_bytes())
            .map_err(err)?;
        staged.push((temp, target));
    }
    for (temp, target) in staged {
        temp.persist(&target).map_err(|source| WriteError {
            path: target.clone(),
            source,
        })?;
    }
    Ok(())
}

/// A temporary file beside its target, removed unless persisted.
mod tempfile_path {
    use std::fs::{self, File, OpenOptions};
    use std::path::{Path, PathBuf};

    pub struct Temp {
        path: PathBuf,
        file: File,
        kept: bool,
    }

    impl Temp {
        pub fn create(dir: &Path) -> std::io::Result<Temp> {
            let pid = std::process::id();
            for n in 0..1000u32 {
                let path = dir.join(format!(".envsync-{pid}-{n}.tmp"));
                match OpenOptions::new().write(true).create_new(true).open(&path) {
                    Ok(file) => {
                        return Ok(Temp {
                            path,
                            file,
                            kept: false,
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(std::io::Error::other("no free temporary file name"))
        }

        pub fn file(&self) -> &File {
            &self.file
        }

        pub fn persist(mut self, target: &Path) -> std::io::Result<()> {
            fs::rename(&self.path, target)?;
            self.kept = true;
            Ok(())
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            if !self.kept {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            File::new("a/b.yaml", "x: 1\n".into()),
            File::new("c.yaml", "y: 2\n".into()),
        ];
        write_all(dir.path(), &files).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("a/b.yaml")).unwrap(),
            "x: 1\n"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn a_failure_leaves_earlier_files_unwritten() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("b.yaml")).unwrap();
        let files = [
            File::new("a.yaml", "x: 1\n".into()),
            File::new("b.yaml", "y: 2\n".into()),
        ];
        assert!(write_all(dir.path(), &files).is_err());
        assert!(!dir.path().join("a.yaml").exists());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["b.yaml"]);
    }
}
