//! Recovering speed groups from existing rules files.
//!
//! A "taking a long time" alert is a rule whose expression selects
//! `db_backup_job_state` with a `for:`. Its operation comes from its
//! `operation` matcher (every operation when there is none), its speed group
//! from its `for:` (the group whose threshold it equals in the plan's
//! settings) or else from its name (Quick…, Slower, Slowest). Each database
//! instance is put in the group of the alert whose `database_instance`
//! matchers it satisfies, evaluating `=~`/`!~` regexes as Prometheus does
//! (the whole value must match), so lists, complements and alternations like
//! `(draft-)?content-store-postgres` all work.

use crate::model::alerts::{Duration, TeamRule};
use crate::model::plan::{Op, Plan, Speed};
use crate::promql::{self, Matcher};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};

/// Why a chart's rules could not be read for their speed groups.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

struct LongRule {
    alert: String,
    ops: Vec<(Op, Speed)>,
    instance: Vec<Matcher>,
}

fn read_rules(path: &Path) -> Result<Vec<serde_json::Value>, ImportError> {
    let text = crate::read::text_file(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    let doc: serde_json::Value =
        serde_saphyr::from_str(&text).map_err(|e| ImportError::Invalid {
            path: path.to_owned(),
            message: format!("not YAML: {e}"),
        })?;
    Ok(doc["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .collect())
}

fn speed_from_name(alert: &str) -> Option<Speed> {
    let lower = alert.to_ascii_lowercase();
    if lower.contains("slowest") {
        Some(Speed::Slowest)
    } else if lower.contains("slower") {
        Some(Speed::Slower)
    } else if lower.contains("quick") {
        Some(Speed::Quick)
    } else {
        None
    }
}

fn long_rules(plan: &Plan, env: &str, path: &Path) -> Result<Vec<LongRule>, ImportError> {
    let bad = |message: String| ImportError::Invalid {
        path: path.to_owned(),
        message,
    };
    let mut out = Vec::new();
    for rule in read_rules(path)? {
        let (Some(alert), Some(expr), Some(for_)) = (
            rule["alert"].as_str(),
            rule["expr"].as_str(),
            rule["for"].as_str(),
        ) else {
            continue;
        };
        let matchers = match promql::selector(expr, "db_backup_job_state") {
            Ok(Some(matchers)) => matchers,
            Ok(None) => continue,
            Err(e) => return Err(bad(format!("{alert}: {e}"))),
        };
        let for_ = Duration::parse(for_).map_err(|e| bad(format!("{alert}: for: {e}")))?;
        let mut ops = Vec::new();
        for op in Op::ALL {
            if !matchers
                .iter()
                .filter(|m| m.label == "operation")
                .all(|m| m.matches(op.as_str()))
            {
                continue;
            }
            let thresholds = plan.alerts.taking_a_long_time.for_op(env, op);
            let by_for: Vec<Speed> = thresholds
                .speeds()
                .filter(|(_, t)| *t == for_)
                .map(|(s, _)| s)
                .collect();
            let speed = match by_for.as_slice() {
                [one] => Some(*one),
                _ => speed_from_name(alert).filter(|s| by_for.is_empty() || by_for.contains(s)),
            };
            match speed {
                Some(s) => ops.push((op, s)),
                None if matchers.iter().any(|m| m.label == "operation") => {
                    return Err(bad(format!(
                        "{alert:?}: cannot tell its speed group: for: {for_} is no {op} threshold in the settings, and its name says no Quick, Slower or Slowest"
                    )));
                }
                None => {}
            }
        }
        out.push(LongRule {
            alert: alert.to_owned(),
            ops,
            instance: matchers
                .into_iter()
                .filter(|m| m.label == "database_instance")
                .collect(),
        });
    }
    Ok(out)
}

fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ImportError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            p.is_file()
                && (name.ends_with(".yaml") || name.ends_with(".yml"))
                && !name.contains("_tests.")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Sets the catalogue's alert labels to the ones every alert of the
/// chart's database backup rules files carries (the common file and each
/// environment's), in their order, when they all carry the same ones; and
/// lists the environments that have a rules file when some with jobs have
/// none.
pub fn import_alert_settings(plan: &mut Plan, rules_dir: &Path) -> Result<(), ImportError> {
    use crate::render::rules::{COMMON_FILE, environment_file};
    let files = std::iter::once(PathBuf::from(COMMON_FILE))
        .chain(plan.environments.iter().map(|e| environment_file(&e.name)))
        .map(|f| rules_dir.join(f))
        .filter(|p| p.is_file());
    let mut found: Option<IndexMap<String, String>> = None;
    let mut same = true;
    for path in files {
        for rule in read_rules(&path)? {
            let labels: IndexMap<String, String> = rule["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect();
            match &found {
                Some(seen) if *seen != labels => same = false,
                _ => found = Some(labels),
            }
        }
    }
    let with_file: Vec<String> = plan
        .environments
        .iter()
        .filter(|e| rules_dir.join(environment_file(&e.name)).is_file())
        .map(|e| e.name.clone())
        .collect();
    if plan
        .environments
        .iter()
        .any(|e| !e.jobs.is_empty() && !with_file.contains(&e.name))
    {
        plan.alerts.rules_for = Some(with_file);
    }
    if let Some(labels) = found.filter(|l| same && !l.is_empty()) {
        plan.alerts.labels = labels;
    }
    Ok(())
}

/// Reads rules files in the layout of `charts/monitoring-config/rules/`
/// (`rules_dir` holds the common file and one folder per environment) and
/// sets each operation's speed group to the "taking a long time" alert that
/// watches its database, so that rendering gives the same groups back.
/// Environments without a folder keep their speeds; so do operations no
/// alert of their kind lists.
pub fn import_speeds(plan: &mut Plan, rules_dir: &Path) -> Result<(), ImportError> {
    if !rules_dir.is_dir() {
        return Err(ImportError::Io {
            path: rules_dir.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
        });
    }
    let mut updates = Vec::new();
    for (e, env) in plan.environments.iter().enumerate() {
        let dir = rules_dir.join(&env.name);
        if !dir.is_dir() {
            continue;
        }
        let mut rules = Vec::new();
        for path in rule_files(&dir)? {
            rules.extend(
                long_rules(plan, &env.name, &path)?
                    .into_iter()
                    .map(|r| (path.clone(), r)),
            );
        }
        for (j, job) in env.jobs.iter().enumerate() {
            for (o, op) in job.operations.iter().enumerate() {
                let Some(kind) = op.kind() else { continue };
                let mut found: Vec<(&str, Speed, &Path)> = Vec::new();
                for (path, rule) in &rules {
                    let Some(&(_, speed)) = rule.ops.iter().find(|(k, _)| *k == kind) else {
                        continue;
                    };
                    if rule.instance.iter().all(|m| m.matches(job.host())) {
                        found.push((&rule.alert, speed, path));
                    }
                }
                let mut speeds: Vec<Speed> = found.iter().map(|f| f.1).collect();
                speeds.sort();
                speeds.dedup();
                match speeds.as_slice() {
                    [] => {}
                    [one] => updates.push((e, j, o, *one)),
                    _ => {
                        return Err(ImportError::Invalid {
                            path: found[0].2.to_owned(),
                            message: format!(
                                "{} ({}) is in several \"taking a long time\" alerts for {kind}: {}",
                                job.host(),
                                env.name,
                                found.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
                            ),
                        });
                    }
                }
            }
        }
    }
    for (e, j, o, speed) in updates {
        plan.environments[e].jobs[j].operations[o].speed = speed;
    }
    Ok(())
}

/// The rules of the chart's rules files that envsync does not render: in
/// each file the rendered rules go to, the alerts no rendered rule of that
/// file is named after, in the file's order.
pub fn team_rules(
    rules_dir: &Path,
    rendered: &[crate::render::rules::Alert],
) -> Result<Vec<TeamRule>, ImportError> {
    let mut files: Vec<&Path> = rendered.iter().map(|a| a.file.as_path()).collect();
    files.dedup();
    let mut team = Vec::new();
    for file in files {
        let path = rules_dir.join(file);
        if !path.is_file() {
            continue;
        }
        let environment = file
            .parent()
            .and_then(Path::to_str)
            .filter(|env| !env.is_empty())
            .map(str::to_owned);
        for rule in read_rules(&path)? {
            let Some(alert) = rule["alert"].as_str() else {
                continue;
            };
            if !rendered.iter().any(|a| a.file == file && a.name == alert) {
                team.push(TeamRule {
                    environment: environment.clone(),
                    alert: alert.to_owned(),
                });
            }
        }
    }
    Ok(team)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_envsync_does_not_render_in_its_files_are_the_teams() {
        let dir = tempfile::tempdir().unwrap();
        let rules = |names: &[&str]| {
            let rules: String = names
                .iter()
                .map(|n| format!("      - alert: {n}\n        expr: up == 0\n"))
                .collect();
            format!("groups:\n  - name: G\n    rules:\n{rules}")
        };
        std::fs::create_dir(dir.path().join("staging")).unwrap();
        std::fs::write(dir.path().join("common.yaml"), rules(&["Failed", "Test"])).unwrap();
        std::fs::write(dir.path().join("staging/s.yaml"), rules(&["Slow", "Mine"])).unwrap();
        // A file envsync does not write is not looked at.
        std::fs::write(dir.path().join("other.yaml"), rules(&["Other"])).unwrap();
        let alert = |file: &str, name: &str| crate::render::rules::Alert {
            file: PathBuf::from(file),
            name: name.to_owned(),
            expr: String::new(),
            for_: None,
        };
        let rendered = [
            alert("common.yaml", "Failed"),
            alert("staging/s.yaml", "Slow"),
            // The same name in another file is another rule.
            alert("staging/s.yaml", "Test"),
        ];
        let team = team_rules(dir.path(), &rendered).unwrap();
        assert_eq!(
            team,
            [
                TeamRule {
                    environment: None,
                    alert: "Test".to_owned()
                },
                TeamRule {
                    environment: Some("staging".to_owned()),
                    alert: "Mine".to_owned()
                },
            ]
        );
    }
}
