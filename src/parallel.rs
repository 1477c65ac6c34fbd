//! Independent pieces of work spread over the machine's cores, their results
//! taken in order.

use crate::plan::Plan;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};

/// A piece of work that may run on another thread.
pub type Task<'a, T, E> = Box<dyn FnOnce() -> Result<T, E> + Send + 'a>;

/// Plans with fewer CronJobs than this are rendered and linted on one
/// thread.
///
/// A second thread saves a few milliseconds on a catalogue of GOV.UK's size
/// (about 80 CronJobs) but costs more than a mebibyte of memory (its
/// stack, its allocator arena, and a second file being made at the same
/// time), which would take `envsync render` past its memory budget.
const MIN_JOBS: usize = 1_000;

/// How many threads to render or lint `plan` on: one for a small plan,
/// else one per core.
pub fn threads(plan: &Plan) -> usize {
    threads_for(plan.jobs().count())
}

/// How many threads to work on a plan of about `jobs` CronJobs with.
pub fn threads_for(jobs: usize) -> usize {
    if jobs < MIN_JOBS {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs `tasks` on up to `threads` threads (the calling one among them)
/// and hands each result to `each` in the tasks' order, as soon
/// as it and every one before it are done. `each` runs on the calling
/// thread, and its errors may be of another type than the tasks'.
///
/// The first error in that order (from a task or from `each`) is returned:
/// tasks not yet started are not started, and results after it are dropped.
/// Since tasks start in order, every task before a failing one has run, so
/// which error is returned does not depend on timing.
pub fn in_order<'a, T: Send, E: Send, F: From<E>>(
    threads: usize,
    tasks: Vec<Task<'a, T, E>>,
    mut each: impl FnMut(T) -> Result<(), F>,
) -> Result<(), F> {
    let threads = threads.min(tasks.len());
    if threads <= 1 {
        return tasks.into_iter().try_for_each(|task| each(task()?));
    }
    let queue = Mutex::new(tasks.into_iter().enumerate());
    let stop = AtomicBool::new(false);
    // The next task, unless there are none left or one has failed.
    let next_task = || {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        queue.lock().unwrap_or_else(PoisonError::into_inner).next()
    };
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel();
        // The calling thread works too, so there is one helper fewer than
        // threads.
        for _ in 1..threads {
            let (sender, next_task) = (sender.clone(), &next_task);
            scope.spawn(move || {
                while let Some((index, task)) = next_task() {
                    if sender.send((index, task())).is_err() {
                        break;
                    }
                }
            });
        }
        let mut ready = BTreeMap::new();
        let mut done = 0;
        // Hands on every result that is next in order.
        let mut deliver = |ready: &mut BTreeMap<usize, Result<T, E>>| -> Result<(), F> {
            while let Some(result) = ready.remove(&done) {
                done += 1;
                each(result?)?;
            }
            Ok(())
        };
        let mut outcome = Ok(());
        while let Some((index, task)) = next_task() {
            ready.insert(index, task());
            ready.extend(results.try_iter());
            outcome = deliver(&mut ready);
            if outcome.is_err() {
                break;
            }
        }
        drop(sender);
        if outcome.is_ok() {
            outcome = results.iter().try_for_each(|(index, result)| {
                ready.insert(index, result);
                deliver(&mut ready)
            });
        }
        // Stop the helpers: they start nothing more, and a result sent now
        // finds the channel closed (`results` is dropped before they join).
        stop.store(true, Ordering::Relaxed);
        outcome
    })
}

/// The results of `tasks`, in order, worked out as [`in_order`] does.
pub fn collect<'a, T: Send, E: Send>(
    threads: usize,
    tasks: Vec<Task<'a, T, E>>,
) -> Result<Vec<T>, E> {
    let mut out = Vec::with_capacity(tasks.len());
    in_order(threads, tasks, |t| {
        out.push(t);
        Ok::<_, E>(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn task<'a>(i: usize, ran: &'a AtomicUsize) -> Task<'a, usize, String> {
        Box::new(move || {
            // Later tasks finish first, so order comes from in_order.
            std::thread::sleep(Duration::from_millis(((10 - i % 10) * 2) as u64));
            ran.fetch_add(1, Ordering::SeqCst);
            if i == 7 {
                Err(format!("task {i} failed"))
            } else {
                Ok(i)
            }
        })
    }

    #[test]
    fn results_come_in_the_tasks_order() {
        let ran = AtomicUsize::new(0);
        let tasks = (0..7).map(|i| task(i, &ran)).collect();
        assert_eq!(collect(2, tasks), Ok((0..7).collect::<Vec<_>>()));
        assert_eq!(ran.load(Ordering::SeqCst), 7);
    }

    #[test]
    fn the_first_error_in_order_stops_the_rest() {
        let ran = AtomicUsize::new(0);
        let tasks = (0..40).map(|i| task(i, &ran)).collect();
        let mut seen = Vec::new();
        let err = in_order(2, tasks, |i| {
            seen.push(i);
            Ok::<_, String>(())
        });
        assert_eq!(err, Err("task 7 failed".to_owned()));
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        // Only the tasks already started when it failed ran.
        assert!(ran.load(Ordering::SeqCst) < 40);
    }

    #[test]
    fn an_error_from_each_stops_the_rest() {
        let ran = AtomicUsize::new(0);
        let tasks = (0..40).map(|i| task(i, &ran)).collect();
        let err = in_order(2, tasks, |i| {
            if i == 2 {
                Err("full".to_owned())
            } else {
                Ok(())
            }
        });
        assert_eq!(err, Err("full".to_owned()));
        assert!(ran.load(Ordering::SeqCst) < 40);
    }
}
