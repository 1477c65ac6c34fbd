//! The catalogue's `alerts:` settings: labels, "taking a long time"
//! thresholds and the grace the "not completed" alerts allow.

use crate::model::plan::{Op, Speed};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The catalogue's `alerts:` mapping, with GOV.UK's values as defaults.
///
/// A key that is left out keeps its default; a mapping that is given replaces
/// the default one as a whole (so `taking_a_long_time.backup: {quick: 2h}`
/// means backups have no `slower` group any more).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Labels put on every alert, in this order.
    pub labels: IndexMap<String, String>,
    /// How long an operation may run before "taking a long time" fires.
    pub taking_a_long_time: LongRunning,
    /// How the "not completed" alerts are derived from the schedules.
    pub not_completed: NotCompleted,
    /// The environments that get a rules file, when not every environment
    /// with jobs does (a chart whose rules are still being written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_for: Option<Vec<String>>,
    /// Rules of the chart's rules files that are the team's, not envsync's:
    /// diff and apply leave them as they are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub team_rules: Vec<TeamRule>,
}

/// A rule of a chart's rules file that envsync does not render, by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRule {
    /// The environment whose file holds it; the file every environment
    /// loads when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Its `alert:` name.
    pub alert: String,
}

impl Settings {
    /// Whether an environment gets a rules file (if it has jobs).
    pub fn has_rules(&self, env: &str) -> bool {
        self.rules_for
            .as_ref()
            .is_none_or(|envs| envs.iter().any(|e| e == env))
    }

    /// The names of the team's rules in an environment's file, or in the
    /// file every environment loads (`None`).
    pub fn team_rules_in(&self, env: Option<&str>) -> Vec<String> {
        self.team_rules
            .iter()
            .filter(|r| r.environment.as_deref() == env)
            .map(|r| r.alert.clone())
            .collect()
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            labels: IndexMap::from([
                ("severity".to_owned(), "warning".to_owned()),
                (
                    "destination".to_owned(),
                    "slack-platform-engineering-database-syncs".to_owned(),
                ),
            ]),
            taking_a_long_time: LongRunning::default(),
            not_completed: NotCompleted::default(),
            rules_for: None,
            team_rules: Vec::new(),
        }
    }
}

/// "Taking a long time" thresholds per operation and speed group, with
/// per-environment replacements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LongRunning {
    pub backup: SpeedThresholds,
    pub restore: SpeedThresholds,
    pub transform: SpeedThresholds,
    /// Replacements for one environment, by environment name.
    pub environments: IndexMap<String, OpThresholds>,
}

impl Default for LongRunning {
    fn default() -> LongRunning {
        let transform = |minutes| OpThresholds {
            transform: Some(SpeedThresholds {
                quick: Some(Duration::minutes(minutes)),
                ..SpeedThresholds::default()
            }),
            ..OpThresholds::default()
        };
        LongRunning {
            backup: SpeedThresholds {
                quick: Some(Duration::hours(1)),
                slower: Some(Duration::hours(4)),
                slowest: None,
            },
            restore: SpeedThresholds {
                quick: Some(Duration::hours(1)),
                slower: Some(Duration::hours(4)),
                slowest: Some(Duration::hours(13)),
            },
            transform: SpeedThresholds {
                quick: Some(Duration::minutes(30)),
                ..SpeedThresholds::default()
            },
            environments: IndexMap::from([
                ("staging".to_owned(), transform(45)),
                ("integration".to_owned(), transform(30)),
            ]),
        }
    }
}

impl LongRunning {
    /// The thresholds for `op` in environment `env`.
    pub fn for_op(&self, env: &str, op: Op) -> &SpeedThresholds {
        let replaced = self.environments.get(env).and_then(|e| match op {
            Op::Backup => e.backup.as_ref(),
            Op::Restore => e.restore.as_ref(),
            Op::Transform => e.transform.as_ref(),
        });
        replaced.unwrap_or(match op {
            Op::Backup => &self.backup,
            Op::Restore => &self.restore,
            Op::Transform => &self.transform,
        })
    }
}

/// Per-operation replacements for one environment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpThresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<SpeedThresholds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<SpeedThresholds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<SpeedThresholds>,
}

/// One threshold per speed group; a group without one cannot be used.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedThresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slower: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowest: Option<Duration>,
}

impl SpeedThresholds {
    pub fn get(&self, speed: Speed) -> Option<Duration> {
        match speed {
            Speed::Quick => self.quick,
            Speed::Slower => self.slower,
            Speed::Slowest => self.slowest,
        }
    }

    /// The group an operation of `speed` is watched by: the slowest group
    /// with a threshold that is not slower than `speed`, else the quickest
    /// one (so `speed: slower` for a whole job leaves its transform, which
    /// has one group, in that group). None when there are no thresholds.
    pub fn effective(&self, speed: Speed) -> Option<(Speed, Duration)> {
        let mut configured = self.speeds();
        let first = configured.next()?;
        Some(
            std::iter::once(first)
                .chain(configured)
                .filter(|(s, _)| *s <= speed)
                .last()
                .unwrap_or(first),
        )
    }

    /// The speed groups that have a threshold, quickest first.
    pub fn speeds(&self) -> impl Iterator<Item = (Speed, Duration)> + '_ {
        Speed::ALL
            .into_iter()
            .filter_map(|s| self.get(s).map(|d| (s, d)))
    }
}

/// How the "not completed" alerts are derived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotCompleted {
    /// The grace added to the gap between two runs to make the alert's
    /// threshold: a gap uses the entry with the largest `runs_every` that is
    /// not above it (gaps below every entry use the first one).
    pub grace: Vec<Grace>,
    /// Alerts that check what a chart's hand-written rule checked when the
    /// chart was imported, instead of the derived window.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Kept>,
}

impl Default for NotCompleted {
    fn default() -> NotCompleted {
        NotCompleted {
            grace: vec![
                Grace {
                    runs_every: Duration::days(1),
                    grace: Duration::hours(1),
                },
                Grace {
                    runs_every: Duration::weeks(1),
                    grace: Duration::hours(12),
                },
            ],
            kept: Vec::new(),
        }
    }
}

impl NotCompleted {
    /// The grace for runs `gap` seconds apart.
    pub fn grace_for(&self, gap: u64) -> u64 {
        let mut entries: Vec<&Grace> = self.grace.iter().collect();
        entries.sort_by_key(|g| g.runs_every.0);
        let chosen = entries
            .iter()
            .rev()
            .find(|g| g.runs_every.0 <= gap)
            .or(entries.first());
        chosen.map_or(Duration::hours(1).0, |g| g.grace.0)
    }

    /// The kept window of an environment's alert, by the alert's name
    /// (the cadence's: "Weekday" for "… not completed - Weekday backups").
    pub fn kept(&self, env: &str, alert: &str) -> Option<&Kept> {
        self.kept
            .iter()
            .find(|k| k.environment == env && k.alert == alert)
    }
}

/// A "not completed" alert whose window is kept as a chart had it: each
/// check a threshold and the hours of the week it is checked in. Deleting
/// the entry gives the window derived from the schedules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kept {
    pub environment: String,
    /// The alert's name after "not completed - ", less " backups"
    /// ("Weekday"); the environment's only alert is named after its runs
    /// all the same ("Daily").
    pub alert: String,
    /// What it checks when, instead of the derived window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// The only instances it watches, instead of the ones whose schedules
    /// give this window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
}

/// A threshold checked on some days of the week, in some hours of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub threshold: Duration,
    pub days: Vec<Weekday>,
    /// The first and the last hour checked (UTC); every hour when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<[u8; 2]>,
}

/// A day of the week, numbered as `day_of_week()` numbers it (0 is Sunday).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Sunday,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Sunday,
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
    ];

    /// Its `day_of_week()`.
    pub fn number(self) -> u8 {
        self as u8
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grace {
    pub runs_every: Duration,
    pub grace: Duration,
}

/// A whole number of seconds, written the Prometheus way (`45m`, `13h`,
/// `1w12h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

const UNITS: [(&str, u64); 5] = [
    ("w", 604_800),
    ("d", 86_400),
    ("h", 3_600),
    ("m", 60),
    ("s", 1),
];

impl Duration {
    pub const fn seconds(s: u64) -> Duration {
        Duration(s)
    }
    pub const fn minutes(m: u64) -> Duration {
        Duration(m * 60)
    }
    pub const fn hours(h: u64) -> Duration {
        Duration(h * 3_600)
    }
    pub const fn days(d: u64) -> Duration {
        Duration(d * 86_400)
    }
    pub const fn weeks(w: u64) -> Duration {
        Duration(w * 604_800)
    }

    pub fn as_secs(self) -> u64 {
        self.0
    }

    /// Parses a Prometheus duration ([`crate::promql::duration`]) of a
    /// whole number of seconds above zero: `1w12h`, `45m`, `90s`. (The
    /// catalogue's schema allows only the units w, d, h, m and s.)
    pub fn parse(text: &str) -> Result<Duration, String> {
        let d = crate::promql::duration(text).map_err(|e| e.to_string())?;
        if d.is_zero() {
            return Err(format!("{text:?} is zero: a duration must be above zero"));
        }
        match (u64::try_from(d.as_secs()), d.subsec_nanos()) {
            (Ok(secs), 0) => Ok(Duration(secs)),
            _ => Err(format!("{text:?} is not a whole number of seconds")),
        }
    }

    /// The duration in hours, minutes and seconds, as a rule's `for:`
    /// (`13h`, `45m`, `1h30m`).
    pub fn for_clause(self) -> String {
        format_units(self.0, &UNITS[2..])
    }

    /// In words: weeks, then hours and minutes ("1 week and 12 hours",
    /// "25 hours").
    pub fn words(self) -> String {
        join_words(&self.word_parts(), " and ")
    }

    /// In words joined by " + " ("1 week + 12 hours"), for PromQL comments.
    pub fn sum_words(self) -> String {
        self.word_parts().join(" + ")
    }

    fn word_parts(self) -> Vec<String> {
        let mut rest = self.0;
        let mut parts = Vec::new();
        for (name, size) in [
            ("week", 604_800),
            ("hour", 3_600),
            ("minute", 60),
            ("second", 1),
        ] {
            let n = rest / size;
            rest %= size;
            if n > 0 {
                parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
            }
        }
        parts
    }
}

/// "a", "a and b", "a, b and c".
pub(crate) fn join_words(parts: &[String], last: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{}{last}{tail}", init.join(", ")),
    }
}

fn format_units(mut seconds: u64, units: &[(&str, u64)]) -> String {
    let mut out = String::new();
    for (unit, size) in units {
        let n = seconds / size;
        seconds %= size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_units(self.0, &UNITS))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A JSON Schema (2020-12) fragment for the catalogue's `alerts:` mapping.
pub fn json_schema() -> serde_json::Value {
    use serde_json::json;
    let duration = json!({
        "type": "string",
        "pattern": "^([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$",
        "minLength": 2,
        "description": "A duration the Prometheus way: units w, d, h, m, s, largest first (45m, 13h, 1w12h)."
    });
    let speeds = json!({
        "type": "object",
        "additionalProperties": false,
        "description": "A threshold per speed group. A group without a threshold cannot be used for this operation.",
        "properties": {
            "quick": {"$ref": "#/$defs/duration"},
            "slower": {"$ref": "#/$defs/duration"},
            "slowest": {"$ref": "#/$defs/duration"}
        }
    });
    let check = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["threshold", "days"],
        "properties": {
            "threshold": {"$ref": "#/$defs/duration"},
            "days": {
                "type": "array",
                "minItems": 1,
                "items": {"enum": ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]}
            },
            "hours": {
                "type": "array",
                "description": "The first and the last hour checked (UTC); every hour when left out.",
                "prefixItems": [
                    {"type": "integer", "minimum": 0, "maximum": 23},
                    {"type": "integer", "minimum": 0, "maximum": 23}
                ],
                "items": false,
                "minItems": 2
            }
        }
    });
    let kept = json!({
        "type": "array",
        "description": "Alerts that check what the chart's hand-written rule checked when it was imported, instead of the window derived from the schedules. Delete an entry to render the derived window; lint says where a kept window fires while runs are on time or tells a missed run late.",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["environment", "alert"],
            "properties": {
                "environment": {"type": "string"},
                "alert": {
                    "type": "string",
                    "description": "The alert's name after \"not completed - \", less \" backups\" (Weekday)."
                },
                "checks": {
                    "type": "array",
                    "minItems": 1,
                    "description": "What the alert checks when, instead of the derived window.",
                    "items": check
                },
                "instances": {
                    "type": "array",
                    "minItems": 1,
                    "description": "The only database instances the alert watches, instead of the ones whose schedules give its window.",
                    "items": {"type": "string"}
                }
            }
        }
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:envsync:alerts.schema.json",
        "title": "alerts",
        "description": "Settings of the Prometheus alert rules for database backups and syncs. Keys left out keep GOV.UK's values; a mapping that is given replaces the default one as a whole.",
        "type": "object",
        "additionalProperties": false,
        "$defs": {
            "duration": duration,
            "speeds": speeds,
            "operations": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "backup": {"$ref": "#/$defs/speeds"},
                    "restore": {"$ref": "#/$defs/speeds"},
                    "transform": {"$ref": "#/$defs/speeds"}
                }
            }
        },
        "properties": {
            "labels": {
                "type": "object",
                "description": "Labels on every alert. Default: severity: warning, destination: slack-platform-engineering-database-syncs.",
                "propertyNames": {"pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"},
                "additionalProperties": {"type": "string"}
            },
            "taking_a_long_time": {
                "type": "object",
                "additionalProperties": false,
                "description": "How long an operation may run before \"taking a long time\" fires, per operation and speed group. Default: backup quick 1h, slower 4h; restore quick 1h, slower 4h, slowest 13h; transform quick 30m, 45m in staging.",
                "properties": {
                    "backup": {"$ref": "#/$defs/speeds"},
                    "restore": {"$ref": "#/$defs/speeds"},
                    "transform": {"$ref": "#/$defs/speeds"},
                    "environments": {
                        "type": "object",
                        "description": "Per-environment replacements of an operation's thresholds.",
                        "additionalProperties": {"$ref": "#/$defs/operations"}
                    }
                }
            },
            "not_completed": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "grace": {
                        "type": "array",
                        "minItems": 1,
                        "description": "The grace added to the gap between runs to make a \"not completed\" threshold; a gap uses the entry with the largest runs_every not above it. Default: 1h for runs a day apart (25h), 12h for runs a week apart (1 week + 12 hours).",
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["runs_every", "grace"],
                            "properties": {
                                "runs_every": {"$ref": "#/$defs/duration"},
                                "grace": {"$ref": "#/$defs/duration"}
                            }
                        }
                    },
                    "kept": kept
                }
            },
            "rules_for": {
                "type": "array",
                "description": "The environments that get a rules file, when not every environment with jobs does; the others' jobs are watched by no alert. Default: every environment with jobs.",
                "items": {"type": "string"}
            },
            "team_rules": {
                "type": "array",
                "description": "Rules of the chart's rules files that envsync does not render: the team's. diff and apply leave each as it is (not compared, not removed). The import lists the ones it finds.",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["alert"],
                    "properties": {
                        "environment": {
                            "type": "string",
                            "description": "The environment whose rules file holds the rule; the file every environment loads when left out."
                        },
                        "alert": {"type": "string", "description": "The rule's alert name."}
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(Duration::parse("45m"), Ok(Duration::minutes(45)));
        assert_eq!(Duration::parse("1w12h"), Ok(Duration(648_000)));
        assert_eq!(Duration(648_000).words(), "1 week and 12 hours");
        assert_eq!(Duration(90_000).words(), "25 hours");
        assert_eq!(Duration(648_000).sum_words(), "1 week + 12 hours");
        assert_eq!(Duration::hours(13).for_clause(), "13h");
        assert_eq!(Duration(5_400).for_clause(), "1h30m");
        assert_eq!(Duration(648_000).to_string(), "1w12h");
        for bad in [
            "", "h", "5", "1h1w", "1h1h", "0m", "1.5h", "-1h", " 1h", "1500ms",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
        // Longer than Prometheus allows, rather than wrapped round.
        assert!(Duration::parse("30500000000000w").is_err());
    }

    #[test]
    fn speeds_fall_back_to_the_groups_there_are() {
        let t = LongRunning::default();
        let backup = &t.backup;
        assert_eq!(
            backup.effective(Speed::Slowest),
            Some((Speed::Slower, Duration::hours(4)))
        );
        assert_eq!(
            backup.effective(Speed::Quick),
            Some((Speed::Quick, Duration::hours(1)))
        );
        let transform = t.for_op("staging", Op::Transform);
        assert_eq!(
            transform.effective(Speed::Slower),
            Some((Speed::Quick, Duration::minutes(45)))
        );
        let only_slow = SpeedThresholds {
            slower: Some(Duration::hours(4)),
            ..SpeedThresholds::default()
        };
        assert_eq!(
            only_slow.effective(Speed::Quick),
            Some((Speed::Slower, Duration::hours(4)))
        );
        assert_eq!(SpeedThresholds::default().effective(Speed::Quick), None);
    }

    #[test]
    fn grace_by_gap() {
        let n = NotCompleted::default();
        assert_eq!(n.grace_for(86_400), 3_600);
        assert_eq!(n.grace_for(3 * 86_400), 3_600);
        assert_eq!(n.grace_for(604_800), 43_200);
        assert_eq!(n.grace_for(3_600), 3_600);
    }

    #[test]
    fn settings_deserialize_with_defaults() {
        let s: Settings = serde_saphyr::from_str(
            "labels: {severity: critical}\ntaking_a_long_time:\n  backup: {quick: 2h}\n",
        )
        .unwrap();
        assert_eq!(s.labels.len(), 1);
        assert_eq!(s.taking_a_long_time.backup.quick, Some(Duration::hours(2)));
        assert_eq!(s.taking_a_long_time.backup.slower, None);
        assert_eq!(s.taking_a_long_time.restore, LongRunning::default().restore);
        assert_eq!(
            s.taking_a_long_time.for_op("staging", Op::Transform).quick,
            Some(Duration::minutes(45))
        );
        assert!(serde_saphyr::from_str::<Settings>("severity: x\n").is_err());
        assert!(
            serde_saphyr::from_str::<Settings>("taking_a_long_time: {backup: {fast: 1h}}\n")
                .is_err()
        );
    }

    #[test]
    fn defaults_satisfy_the_schema() {
        let schema = json_schema();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let defaults = serde_json::to_value(Settings::default()).unwrap();
        assert!(validator.is_valid(&defaults), "{defaults}");
        assert!(!validator.is_valid(&serde_json::json!({"labels": {"a": 1}})));
        assert!(!validator.is_valid(&serde_json::json!({"nope": 1})));
    }
}
