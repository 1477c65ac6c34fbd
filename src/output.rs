//! Writing rendered files into a folder: all or nothing, even when killed.
//!
//! Every file is rendered in memory first. A writer then takes the folder's
//! lock (`.envsync.lock`, held with `flock`, so it is free again the moment
//! its holder dies); a second writer is refused while it is held. Under the
//! lock, it records in a journal (`.envsync-journal`) the temporary file it
//! will write beside each target, writes them all, marks the journal as
//! complete, renames each onto its target, and removes the journal. The
//! next envsync to touch the folder finishes such a write (the journal is
//! complete: the remaining renames are made) or undoes it (it is not: the
//! temporary files and the folders made for them are removed) before doing
//! anything else. A file that already holds what would be written is left
//! alone, so its modification time says when it last changed. A target that
//! is a symbolic link is written through to the file it points at, and a
//! file replaced keeps its permissions.
//!
//! Nothing is forced to disk (no fsync): this survives envsync being killed,
//! not the machine losing power, and anything envsync writes can be
//! rendered again from the catalogue.

use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file in a folder being written.
pub const LOCK: &str = ".envsync.lock";
/// The journal of a write in progress.
pub const JOURNAL: &str = ".envsync-journal";
/// The journal being replaced.
const JOURNAL_NEXT: &str = ".envsync-journal.tmp";

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
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "another envsync is writing into {} (it holds {}); try again when it has finished",
        .dir.display(), .dir.join(LOCK).display()
    )]
    Busy { dir: PathBuf },
    #[error("{}: the journal of an interrupted write cannot be read: {message}", .path.display())]
    Journal { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes every file below `dir`, all or nothing, under its lock, and says
/// for each whether it changed (false: it already held these contents).
pub fn write_all(dir: &Path, files: &[File]) -> Result<Vec<bool>, WriteError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    Lock::take(dir)?.write(files)
}

/// Finishes or undoes a write into `dir` that was interrupted, if there is
/// one; makes and changes nothing otherwise. For a command that reads the
/// folder: it is refused while a writer holds the lock.
pub fn recover(dir: &Path) -> Result<(), WriteError> {
    if [LOCK, JOURNAL, JOURNAL_NEXT]
        .iter()
        .any(|name| fs::symlink_metadata(dir.join(name)).is_ok())
    {
        Lock::take(dir)?;
    }
    Ok(())
}

/// A folder's lock, held: only its holder writes into the folder. Dropped,
/// it removes the lock file and lets go.
#[derive(Debug)]
pub struct Lock {
    dir: PathBuf,
    _file: fs::File,
}

impl Lock {
    /// Takes the lock of `dir` (refused with [`WriteError::Busy`] while
    /// another holds it), then finishes or undoes an interrupted write.
    pub fn take(dir: &Path) -> Result<Lock, WriteError> {
        let dir = &fs::canonicalize(dir).map_err(io(dir))?;
        let path = dir.join(LOCK);
        let file = loop {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io(&path))?;
            if !try_lock(&file).map_err(io(&path))? {
                return Err(WriteError::Busy {
                    dir: dir.to_owned(),
                });
            }
            // The holder before us removes the file as it lets go: a lock
            // on a file no longer there locks nothing.
            if same_file(&file, &path) {
                break file;
            }
        };
        let lock = Lock {
            dir: dir.to_owned(),
            _file: file,
        };
        lock.recover()?;
        Ok(lock)
    }

    /// Finishes (the journal is complete) or undoes (it is not) the write
    /// a journal describes, and removes the journal.
    fn recover(&self) -> Result<(), WriteError> {
        let next = self.dir.join(JOURNAL_NEXT);
        remove_file(&next)?;
        let path = self.dir.join(JOURNAL);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&path)(e)),
        };
        let journal: Journal = serde_json::from_str(&text).map_err(|e| WriteError::Journal {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if journal.complete {
            for r in &journal.renames {
                let (from, to) = (self.dir.join(&r.from), self.dir.join(&r.to));
                if from.exists() {
                    fs::rename(&from, &to).map_err(io(&to))?;
                }
            }
        } else {
            undo(&self.dir, &journal)?;
        }
        remove_file(&path)
    }

    /// Writes every file below the folder, all or nothing, and says for
    /// each whether it changed.
    pub fn write(&self, files: &[File]) -> Result<Vec<bool>, WriteError> {
        let mut journal = Journal::default();
        let mut changed = Vec::with_capacity(files.len());
        let mut contents = Vec::new();
        for file in files {
            let target = self.target(&file.path)?;
            let same = fs::read(&target).is_ok_and(|old| old == file.contents.as_bytes());
            changed.push(!same);
            if same {
                continue;
            }
            let parent = target.parent().unwrap_or(&self.dir);
            let missing = parent
                .ancestors()
                .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
                .filter(|p| !journal.made.iter().any(|m| self.dir.join(m) == *p))
                .collect::<Vec<_>>();
            journal
                .made
                .extend(missing.into_iter().rev().map(|p| self.relative(p)));
            let name = target.file_name().unwrap_or_default().to_string_lossy();
            let from = parent.join(format!(".envsync-{name}.tmp"));
            journal.renames.push(Rename {
                from: self.relative(&from),
                to: self.relative(&target),
            });
            contents.push(file.contents.as_bytes());
        }
        if journal.renames.is_empty() {
            return Ok(changed);
        }
        self.sweep(&journal)?;
        self.record(&journal)?;
        if let Err(e) = self.stage(&journal, &contents) {
            undo(&self.dir, &journal)?;
            remove_file(&self.dir.join(JOURNAL))?;
            return Err(e);
        }
        journal.complete = true;
        self.record(&journal)?;
        for r in &journal.renames {
            let to = self.dir.join(&r.to);
            fs::rename(self.dir.join(&r.from), &to).map_err(io(&to))?;
        }
        remove_file(&self.dir.join(JOURNAL))?;
        Ok(changed)
    }

    /// Removes the temporary files that an earlier envsync, which kept no
    /// journal, left beside the targets: under the lock, after recovery,
    /// every `.envsync-*.tmp` there is stale.
    fn sweep(&self, journal: &Journal) -> Result<(), WriteError> {
        let mut folders: Vec<PathBuf> = journal
            .renames
            .iter()
            .filter_map(|r| self.dir.join(&r.to).parent().map(Path::to_path_buf))
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        folders.dedup();
        for folder in folders {
            for entry in fs::read_dir(&folder).map_err(io(&folder))? {
                let name = entry.map_err(io(&folder))?.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(".envsync-") && name.ends_with(".tmp") {
                    remove_file(&folder.join(&*name))?;
                }
            }
        }
        Ok(())
    }

    /// A path relative to the folder when it is below it: what a journal
    /// records, so that the folder can be moved.
    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.dir).unwrap_or(path).to_path_buf()
    }

    /// Where a file below the folder is written: through a symbolic link,
    /// the file it points at.
    fn target(&self, relative: &Path) -> Result<PathBuf, WriteError> {
        let path = self.dir.join(relative);
        let link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        let target = if link {
            fs::canonicalize(&path).map_err(io(&path))?
        } else {
            path
        };
        if target.is_dir() {
            return Err(io(&target)(std::io::Error::other("a folder is in the way")));
        }
        Ok(target)
    }

    /// Makes the folders and writes the temporary files of a journal, each
    /// with its target's permissions.
    fn stage(&self, journal: &Journal, contents: &[&[u8]]) -> Result<(), WriteError> {
        for folder in &journal.made {
            let folder = self.dir.join(folder);
            fs::create_dir(&folder).map_err(io(&folder))?;
        }
        for (r, bytes) in journal.renames.iter().zip(contents) {
            let (from, to) = (self.dir.join(&r.from), self.dir.join(&r.to));
            let mut file = fs::File::create(&from).map_err(io(&to))?;
            file.write_all(bytes).map_err(io(&to))?;
            if let Ok(old) = fs::metadata(&to) {
                file.set_permissions(old.permissions()).map_err(io(&to))?;
                keep_owner(&file, &old);
            }
        }
        Ok(())
    }

    /// Replaces the journal in one rename.
    fn record(&self, journal: &Journal) -> Result<(), WriteError> {
        let (next, path) = (self.dir.join(JOURNAL_NEXT), self.dir.join(JOURNAL));
        let text = serde_json::to_string(journal).map_err(|e| WriteError::Journal {
            path: path.clone(),
            message: e.to_string(),
        })?;
        fs::write(&next, text).map_err(io(&path))?;
        fs::rename(&next, &path).map_err(io(&path))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked: see `take`.
        let _ = fs::remove_file(self.dir.join(LOCK));
    }
}

/// A write in progress: the renames it makes and the folders it made,
/// relative to the folder written into where they are below it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// Whether every temporary file is written, so that the write is to
    /// be finished rather than undone.
    complete: bool,
    renames: Vec<Rename>,
    /// Parents first.
    made: Vec<PathBuf>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Rename {
    from: PathBuf,
    to: PathBuf,
}

/// Removes the temporary files of a journal and the folders it made.
fn undo(dir: &Path, journal: &Journal) -> Result<(), WriteError> {
    for r in &journal.renames {
        remove_file(&dir.join(&r.from))?;
    }
    for folder in journal.made.iter().rev() {
        // Only if empty: what else is there is not ours.
        let _ = fs::remove_dir(dir.join(folder));
    }
    Ok(())
}

/// Removes a file that may not be there (nor its folder).
fn remove_file(path: &Path) -> Result<(), WriteError> {
    use std::io::ErrorKind::{NotADirectory, NotFound};
    match fs::remove_file(path) {
        Err(e) if !matches!(e.kind(), NotFound | NotADirectory) => Err(io(path)(e)),
        _ => Ok(()),
    }
}

/// Gives a file the owner and group of the one it replaces, where it may
/// (root may; others may only keep their own).
#[cfg(unix)]
fn keep_owner(file: &fs::File, old: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_: &fs::File, _: &fs::Metadata) {}

/// Takes an exclusive `flock` on a file, unless another holds one.
#[cfg(unix)]
fn try_lock(file: &fs::File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn try_lock(_: &fs::File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &fs::File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

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
        assert_eq!(names(dir.path()), ["a", "c.yaml"]);
        assert_eq!(names(&dir.path().join("a")), ["b.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_have_the_permissions_of_a_new_file_and_old_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.yaml"), "x: 1\n").unwrap();
        fs::write(dir.path().join("c.yaml"), "x: 1\n").unwrap();
        fs::set_permissions(dir.path().join("c.yaml"), fs::Permissions::from_mode(0o640)).unwrap();
        let files = [
            File::new("a.yaml", "x: 1\n".into()),
            File::new("c.yaml", "x: 2\n".into()),
        ];
        write_all(dir.path(), &files).unwrap();
        let mode = |name| {
            fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode()
        };
        assert_eq!(mode("a.yaml"), mode("b.yaml"));
        assert_eq!(mode("c.yaml") & 0o777, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_symbolic_link() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        fs::write(dir.path().join("real/a.yaml"), "x: 1\n").unwrap();
        std::os::unix::fs::symlink("real/a.yaml", dir.path().join("a.yaml")).unwrap();
        write_all(dir.path(), &[File::new("a.yaml", "x: 2\n".into())]).unwrap();
        assert!(
            fs::symlink_metadata(dir.path().join("a.yaml"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("real/a.yaml")).unwrap(),
            "x: 2\n"
        );
        assert_eq!(names(&dir.path().join("real")), ["a.yaml"]);
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
    fn a_failure_leaves_earlier_files_unwritten() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("b.yaml")).unwrap();
        let files = [
            File::new("new/a.yaml", "x: 1\n".into()),
            File::new("b.yaml", "y: 2\n".into()),
        ];
        assert!(write_all(dir.path(), &files).is_err());
        assert_eq!(names(dir.path()), ["b.yaml"]);
        // A file where a folder must be: found when writing into it.
        fs::write(dir.path().join("c"), "in the way\n").unwrap();
        let files = [
            File::new("a.yaml", "x: 1\n".into()),
            File::new("c/d.yaml", "y: 2\n".into()),
        ];
        assert!(write_all(dir.path(), &files).is_err());
        assert_eq!(names(dir.path()), ["b.yaml", "c"]);
    }

    #[test]
    fn stale_temporary_files_beside_the_targets_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".envsync-Ab12Cd.tmp"), "half").unwrap();
        fs::write(dir.path().join("other.tmp"), "theirs").unwrap();
        write_all(dir.path(), &[File::new("a.yaml", "x\n".into())]).unwrap();
        assert_eq!(names(dir.path()), ["a.yaml", "other.tmp"]);
    }

    #[test]
    fn a_second_writer_is_refused_while_the_lock_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock::take(dir.path()).unwrap();
        assert!(matches!(
            write_all(dir.path(), &[File::new("a.yaml", "x\n".into())]),
            Err(WriteError::Busy { .. })
        ));
        assert!(matches!(recover(dir.path()), Err(WriteError::Busy { .. })));
        drop(lock);
        assert_eq!(names(dir.path()), Vec::<String>::new());
        write_all(dir.path(), &[File::new("a.yaml", "x\n".into())]).unwrap();
        assert_eq!(names(dir.path()), ["a.yaml"]);
    }

    /// The folder as a write of three files leaves it when killed after
    /// `step` of its steps: making a folder, writing each temporary file,
    /// marking the journal complete, each rename.
    fn interrupted(dir: &Path, step: usize) {
        let files = ["a.yaml", "new/b.yaml", "c.yaml"];
        let journal = |complete| Journal {
            complete,
            renames: files
                .iter()
                .map(|f| {
                    let path = dir.join(f);
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    Rename {
                        from: path.with_file_name(format!(".envsync-{name}.tmp")),
                        to: path,
                    }
                })
                .collect(),
            made: vec![dir.join("new")],
        };
        let lock = Lock {
            dir: dir.to_owned(),
            _file: fs::File::create(dir.join(LOCK)).unwrap(),
        };
        lock.record(&journal(false)).unwrap();
        let mut steps: Vec<Box<dyn Fn()>> =
            vec![Box::new(|| fs::create_dir(dir.join("new")).unwrap())];
        for r in journal(false).renames {
            steps.push(Box::new(move || fs::write(&r.from, "new\n").unwrap()));
        }
        steps.push(Box::new(|| lock.record(&journal(true)).unwrap()));
        for r in journal(true).renames {
            steps.push(Box::new(move || fs::rename(&r.from, &r.to).unwrap()));
        }
        for s in &steps[..step] {
            s();
        }
        drop(steps);
        // Killed: the lock file stays, unlocked.
        std::mem::forget(lock);
    }

    #[test]
    fn the_next_writer_or_reader_finishes_or_undoes_an_interrupted_write() {
        for step in 0..=8 {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join("a.yaml"), "old\n").unwrap();
            fs::write(dir.path().join("c.yaml"), "old\n").unwrap();
            interrupted(dir.path(), step);
            recover(dir.path()).unwrap();
            let read = |f: &str| fs::read_to_string(dir.path().join(f)).ok();
            if step >= 5 {
                assert_eq!(
                    names(dir.path()),
                    ["a.yaml", "c.yaml", "new"],
                    "step {step}"
                );
                for f in ["a.yaml", "new/b.yaml", "c.yaml"] {
                    assert_eq!(read(f).as_deref(), Some("new\n"), "step {step}: {f}");
                }
            } else {
                assert_eq!(names(dir.path()), ["a.yaml", "c.yaml"], "step {step}");
                assert_eq!(read("a.yaml").as_deref(), Some("old\n"), "step {step}");
            }
        }
    }

    #[test]
    fn recovering_a_folder_with_nothing_to_recover_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        recover(dir.path()).unwrap();
        recover(&dir.path().join("missing")).unwrap();
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }
}
