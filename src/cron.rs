//! Kubernetes' cron dialect (robfig/cron v3's standard parser).
