//! Writing rendered files: all or nothing.
//!
//! Every file is rendered in memory first. Each is then written to a
//! temporary file in its own folder and renamed into place, so a reader never
//! sees half a file, and a failure before the renames leaves nothing changed.
//! Files are not forced to disk (no fsync): anything envsync writes can be
//! rendered again from the catalogue, and a commit hook should not wait on
//! the disk. A file that already holds what would be written is left
//! alone, so its modification time says when it last changed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

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

/// Writes every file below `dir`, each atomically, and says for each
/// whether it changed (false: it already held these contents). On a
/// failure the files not yet renamed into place are left as they were, and
/// the folders made for them are removed again.
pub fn write_all(dir: &Path, files: &[File]) -> Result<Vec<bool>, WriteError> {
    let mut staging = Staging::new(dir);
    for file in files {
        staging.add(file)?;
    }
    Ok(staging.commit()?.into_iter().map(|(_, c)| c).collect())
}

/// Files on their way into a folder, all or nothing: each is written to a
/// temporary file beside its target as it comes, and [`Staging::commit`]
/// renames them all into place. Dropped before that, it removes what it
/// wrote and the folders it made.
pub struct Staging<'a> {
    dir: &'a Path,
    /// Each file's path and, unless it already holds these contents, its
    /// temporary file.
    staged: Vec<(PathBuf, Option<NamedTempFile>)>,
    /// The folders made for them, parents first.
    made: Vec<PathBuf>,
}

impl<'a> Staging<'a> {
    pub fn new(dir: &'a Path) -> Staging<'a> {
        Staging {
            dir,
            staged: Vec::new(),
            made: Vec::new(),
        }
    }

    /// Writes a file's contents beside its target.
    pub fn add(&mut self, file: &File) -> Result<(), WriteError> {
        let target = self.dir.join(&file.path);
        let err = |source| WriteError {
            path: target.clone(),
            source,
        };
        if target.is_dir() {
            return Err(err(std::io::Error::other("a folder is in the way")));
        }
        if fs::read(&target).is_ok_and(|old| old == file.contents.as_bytes()) {
            self.staged.push((file.path.clone(), None));
            return Ok(());
        }
        let parent = target.parent().unwrap_or(self.dir);
        let missing: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(parent).map_err(err)?;
        self.made.extend(missing.into_iter().rev());
        let mut temp = temporary(parent).map_err(err)?;
        temp.write_all(file.contents.as_bytes()).map_err(err)?;
        self.staged.push((file.path.clone(), Some(temp)));
        Ok(())
    }

    /// Renames every written file into place, and gives each file's path
    /// and whether it changed.
    pub fn commit(mut self) -> Result<Vec<(PathBuf, bool)>, WriteError> {
        let mut done = Vec::with_capacity(self.staged.len());
        for (path, temp) in std::mem::take(&mut self.staged) {
            let changed = temp.is_some();
            if let Some(temp) = temp {
                let target = self.dir.join(&path);
                temp.persist(&target).map_err(|e| WriteError {
                    path: target,
                    source: e.error,
                })?;
            }
            done.push((path, changed));
        }
        self.made.clear();
        Ok(done)
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        // The temporary files first, then only the folders this made,
        // deepest first, and only if empty.
        self.staged.clear();
        for folder in self.made.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
}

/// A temporary file in `dir`, removed unless persisted, made with the
/// permissions [`fs::write`] would give a new file (tempfile's own are
/// for the owner alone).
fn temporary(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".envsync-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir)
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

    #[cfg(unix)]
    #[test]
    fn written_files_have_the_permissions_of_a_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &[File::new("a.yaml", "x: 1\n".into())]).unwrap();
        fs::write(dir.path().join("b.yaml"), "x: 1\n").unwrap();
        let mode = |name| {
            fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode()
        };
        assert_eq!(mode("a.yaml"), mode("b.yaml"));
    }

    #[test]
    fn leaves_files_that_would_not_change() {
        let dir = tempfile::tempdir().unwrap();
        let first = [
            File::new("a.yaml", "x: 1\n".into()),
            File::new("b.yaml", "y: 2\n".into()),
        ];
        assert_eq!(write_all(dir.path(), &first).unwrap(), [true, true]);
        let inode = |name| {
            std::os::unix::fs::MetadataExt::ino(&fs::metadata(dir.path().join(name)).unwrap())
        };
        let (a, b) = (inode("a.yaml"), inode("b.yaml"));
        let second = [
            File::new("a.yaml", "x: 1\n".into()),
            File::new("b.yaml", "y: 3\n".into()),
        ];
        assert_eq!(write_all(dir.path(), &second).unwrap(), [false, true]);
        assert_eq!(inode("a.yaml"), a, "a.yaml was replaced");
        assert_ne!(inode("b.yaml"), b, "b.yaml was not replaced");
        assert_eq!(
            fs::read_to_string(dir.path().join("b.yaml")).unwrap(),
            "y: 3\n"
        );
    }

    #[test]
    fn a_staging_dropped_uncommitted_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("kept.yaml"), "old\n").unwrap();
        let mut staging = Staging::new(dir.path());
        staging
            .add(&File::new("new/a.yaml", "x: 1\n".into()))
            .unwrap();
        staging
            .add(&File::new("kept.yaml", "new\n".into()))
            .unwrap();
        drop(staging);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["kept.yaml"]);
        assert_eq!(
            fs::read_to_string(dir.path().join("kept.yaml")).unwrap(),
            "old\n"
        );
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
