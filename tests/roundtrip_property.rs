//! Random valid catalogues: render their `cronjobs`, import those values,
//! write the catalogue the import gives, render it again: the same `cronjobs`.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use envsync::read::catalogue;
use envsync::read::yaml;
use envsync::render::catalogue as import;
use proptest::prelude::*;
use std::path::Path;

const ENVS: [&str; 3] = ["production", "staging", "integration"];
const DBMS: [&str; 3] = ["postgres", "mysql", "documentdb"];

/// Five-field schedules of the kinds the chart has held.
fn schedule() -> impl Strategy<Value = String> {
    let minute = 0..60u32;
    let hour = 0..24u32;
    prop_oneof![
        (minute.clone(), hour.clone()).prop_map(|(m, h)| format!("{m} {h} * * *")),
        (minute.clone(), hour.clone()).prop_map(|(m, h)| format!("{m:02} {h} * * 1-5")),
        (minute.clone(), hour.clone(), 0..7u32).prop_map(|(m, h, d)| format!("{m} {h} * * {d}")),
        (minute.clone(), hour.clone()).prop_map(|(m, h)| format!("{m} {h} * * 0-4")),
        (minute.clone(), hour.clone(), 1..29u32).prop_map(|(m, h, d)| format!("{m} {h} {d} * *")),
        (minute, 1..7u32).prop_map(|(m, h)| format!("{m} */{h} * * *")),
    ]
}

/// One environment's entry for a database.
#[derive(Clone, Debug)]
struct Entry {
    schedule: String,
    suspend: Option<bool>,
    db_owner: Option<String>,
    max_runtime: Option<u32>,
    /// 0: derived; 1: backup only; 2: restore only; 3: restore and backup.
    steps: u8,
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        schedule(),
        prop::option::weighted(0.2, any::<bool>()),
        prop::option::weighted(0.2, "[a-z]{3,8}"),
        prop::option::weighted(0.2, prop_oneof![Just(3600u32), Just(86400u32)]),
        prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
    )
        .prop_map(|(schedule, suspend, db_owner, max_runtime, steps)| Entry {
            schedule,
            suspend,
            db_owner,
            max_runtime,
            steps,
        })
}

#[derive(Clone, Debug)]
struct Database {
    dbms: usize,
    sanitise: bool,
    profile: Option<usize>,
    db_owner: Option<String>,
    speed: Option<&'static str>,
    /// One per environment; `None` where it does not run.
    entries: Vec<Option<Entry>>,
}

fn database() -> impl Strategy<Value = Database> {
    (
        0..DBMS.len(),
        any::<bool>(),
        prop::option::weighted(0.3, 0..2usize),
        prop::option::weighted(0.2, "[a-z]{3,8}"),
        prop::option::weighted(0.2, prop_oneof![Just("slower"), Just("slowest")]),
        prop::collection::vec(prop::option::weighted(0.8, entry()), ENVS.len()),
    )
        .prop_map(
            |(dbms, sanitise, profile, db_owner, speed, entries)| Database {
                dbms,
                sanitise,
                profile,
                db_owner,
                speed,
                entries,
            },
        )
        .prop_filter("runs somewhere", |d| d.entries.iter().any(Option::is_some))
}

fn catalogue_text(envs: usize, dbs: &[Database]) -> String {
    let mut text = String::from("environments:\n  production:\n");
    if envs > 1 {
        text.push_str("  staging: {restore_from: production}\n");
    }
    if envs > 2 {
        text.push_str("  integration: {restore_from: staging}\n");
    }
    text.push_str(
        "profiles:\n  big:\n    resources: {limits: {memory: 2048Mi}, requests: {memory: 2048Mi}}\n  \
         small:\n    resources: {requests: {cpu: 100m}}\n",
    );
    text.push_str("databases:\n");
    for (i, d) in dbs.iter().enumerate() {
        let dbms = DBMS[d.dbms];
        text.push_str(&format!("  app-{i}-{dbms}:\n    db: app_{i}_production\n"));
        if d.sanitise {
            let ext = if dbms == "documentdb" { "js" } else { "sql" };
            text.push_str(&format!("    sanitise: app-{i}.{ext}\n"));
        }
        if let Some(p) = d.profile {
            text.push_str(&format!("    profile: {}\n", ["big", "small"][p]));
        }
        if let Some(owner) = &d.db_owner {
            text.push_str(&format!("    db_owner: {owner}\n"));
        }
        if let Some(speed) = d.speed {
            text.push_str(&format!("    speed: {{restore: {speed}}}\n"));
        }
        for (e, entry) in d.entries.iter().enumerate().take(envs) {
            let Some(entry) = entry else { continue };
            let env = ENVS[e];
            // Production restores from nothing: only its derived steps or a backup.
            let steps = match (e, entry.steps) {
                (0, 2 | 3) => 1,
                (_, s) => s,
            };
            let steps = match steps {
                1 => Some("[backup]"),
                2 => Some("[restore]"),
                3 => Some("[restore, backup]"),
                _ => None,
            };
            let plain = entry.suspend.is_none()
                && entry.db_owner.is_none()
                && entry.max_runtime.is_none()
                && steps.is_none();
            if plain {
                text.push_str(&format!("    {env}: {}\n", entry.schedule));
                continue;
            }
            text.push_str(&format!("    {env}:\n      schedule: {}\n", entry.schedule));
            if let Some(s) = entry.suspend {
                text.push_str(&format!("      suspend: {s}\n"));
            }
            if let Some(o) = &entry.db_owner {
                text.push_str(&format!("      db_owner: {o}\n"));
            }
            if let Some(m) = entry.max_runtime {
                text.push_str(&format!("      max_runtime_seconds: {m}\n"));
            }
            if let Some(s) = steps {
                text.push_str(&format!("      steps: {s}\n"));
            }
        }
    }
    text
}

fn catalogues() -> impl Strategy<Value = String> {
    (1..=3usize, prop::collection::vec(database(), 1..=20))
        .prop_map(|(envs, dbs)| catalogue_text(envs, &dbs))
        // Every database must run in one of the environments kept.
        .prop_filter("a job in every database", |text| {
            catalogue::load(Path::new("c.yaml"), text).is_ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn render_import_render_is_identical(text in catalogues()) {
        let plan = catalogue::load(Path::new("catalogue.yaml"), &text)
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let first = envsync::render::values::cronjobs(&plan).unwrap();

        let chart = "image:\n  repository: toolbox\n  tag: latest\nserviceAccount:\n  create: true\n";
        let values_text = format!("{chart}{}", yaml::to_string(&first).unwrap());
        let imported = envsync::read::values::import(Path::new("values.yaml"), &values_text)
            .unwrap_or_else(|e| panic!("{e:?}\n{values_text}"));
        let data =
            import::catalogue(&imported, &import::profiles_in_values(&values_text)).unwrap();
        let again_text = yaml::to_string(&data).unwrap();
        let again = catalogue::load(Path::new("imported.yaml"), &again_text)
            .unwrap_or_else(|e| panic!("{e:?}\n{again_text}"));
        let second = envsync::render::values::cronjobs(&again).unwrap();
        prop_assert_eq!(&first, &second, "catalogue:\n{}\nimported:\n{}", text, again_text);
    }
}
