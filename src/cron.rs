//! Kubernetes' cron dialect (robfig/cron v3's standard parser).

/// A schedule in Kubernetes' cron dialect.
#[derive(Clone, Debug)]
pub struct Schedule(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    pub message: String,
    pub offset: usize,
    pub len: usize,
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, CronError> {
        Ok(Schedule(text.to_owned()))
    }
}
