//! Synthetic catalogues of N databases, for benchmarks and scaling tests.
//!
//! Schedules are like GOV.UK's: production nightly between 21:00 and 04:59,
//! staging on weekdays five hours later, integration weekly five hours
//! after staging. Every fourth database is sanitised, every seventh backs
//! up only, some staging jobs are suspended (and nothing restores from
//! them), some integration jobs only back up, and some databases have speed
//! groups and profiles. The output is the same for the same N, and lints
//! without errors.

use serde_json::{Map, Value, json};

/// A catalogue of `n` databases, as YAML.
pub fn catalogue(n: usize) -> Result<String, serde_saphyr::SerializeError> {
    crate::read::yaml::to_string(&catalogue_value(n))
}

fn catalogue_value(n: usize) -> Value {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut databases = Map::new();
    for i in 0..n {
        let dbms = ["postgres", "postgres", "mysql", "documentdb"][rng.below(4) as usize];
        let mut db = Map::new();
        db.insert("db".into(), json!(format!("app_{i}_production")));
        if i % 4 == 0 {
            let ext = if dbms == "documentdb" { "js" } else { "sql" };
            db.insert("sanitise".into(), json!(format!("app-{i}.{ext}")));
        }
        if dbms == "documentdb" {
            db.insert("profile".into(), json!("mongo-resources"));
        } else if i % 11 == 0 {
            db.insert("profile".into(), json!("big-memory"));
        }
        match i % 13 {
            0 => {
                db.insert(
                    "speed".into(),
                    json!({"backup": "slowest", "restore": "slower"}),
                );
            }
            5 => {
                db.insert("speed".into(), json!("slower"));
            }
            _ => {}
        }
        let minute = rng.below(60);
        let hour = (21 + rng.below(8)) % 24;
        db.insert(
            "production".into(),
            json!(format!("{minute:02} {hour} * * *")),
        );
        // Some run in production only.
        if i % 7 != 3 {
            lower_environments(&mut db, &mut rng, i, minute, hour);
        }
        databases.insert(format!("app-{i}-{dbms}"), Value::Object(db));
    }
    json!({
        "environments": {
            "production": null,
            "staging": {"restore_from": "production"},
            "integration": {"restore_from": "staging", "wider_access": true},
        },
        "profiles": {
            "big-memory": {"resources": {"limits": {"memory": "2048Mi"}, "requests": {"memory": "2048Mi"}}},
            "mongo-resources": {"resources": {"limits": {"memory": "1280Mi"}, "requests": {"memory": "768Mi"}}},
        },
        "databases": databases,
        "chart": {
            "toolbox": {"image": {"repository": "example.com/toolbox", "tag": "v1"}},
            "resources": {
                "limits": {"cpu": "2000m", "memory": "640Mi"},
                "requests": {"cpu": "400m", "memory": "384Mi"},
            },
        },
    })
}

/// A database's staging entry, on weekdays (the days shift when the time
/// passes midnight), and its weekly integration entry.
fn lower_environments(
    db: &mut Map<String, Value>,
    rng: &mut Rng,
    i: usize,
    minute: u64,
    hour: u64,
) {
    let staging_hour = (hour + 5) % 24;
    let days = if staging_hour < hour { "1-5" } else { "0-4" };
    let staging = format!("{minute:02} {staging_hour} * * {days}");
    if i % 7 == 5 {
        db.insert(
            "staging".into(),
            json!({"schedule": staging, "suspend": true}),
        );
        return; // nothing restores from a suspended backup
    }
    db.insert("staging".into(), json!(staging));
    let day = 1 + rng.below(5);
    let integration = format!("{minute:02} {} * * {day}", (staging_hour + 5) % 24);
    if i % 9 == 2 {
        db.insert(
            "integration".into(),
            json!({"schedule": integration, "steps": ["backup"]}),
        );
    } else {
        db.insert("integration".into(), json!(integration));
    }
}

/// A small deterministic generator (xorshift), so the output is stable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_synthetic_catalogue_loads_and_lints_without_errors() {
        let text = catalogue(60).unwrap();
        let plan = crate::read::catalogue::load(Path::new("synthetic.yaml"), &text)
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(plan.environments.len(), 3);
        let findings = crate::lint::check(&crate::lint::Source {
            path: Path::new("synthetic.yaml"),
            text: &text,
            mode: crate::lint::Mode::Catalogue,
            scripts: None,
            alerts: None,
            facts: None,
        });
        let errors: Vec<_> = findings
            .iter()
            .filter(|d| d.severity == crate::model::diagnostic::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
