//! For every real revision of the chart: import its values.yaml, write the
//! catalogue, read the catalogue back through its schema, render, and get the
//! original `cronjobs` back (anchors and merges resolved, key order ignored).

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use envsync::chart::text;
use envsync::read::catalogue;
use envsync::read::yaml;
use envsync::render::catalogue as import;
use std::path::Path;

#[test]
fn every_revision_round_trips_through_a_catalogue() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let mut failures = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    let mut comments_carried = 0;
    for case in &cases {
        let path = case.join("values.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        // One revision shipped day-of-week 7, which Kubernetes rejects: a plain
        // import refuses it, and keeping it as found is asked for by name.
        let plan = match envsync::read::values::import(&path, &text) {
            Ok(plan) => plan,
            Err(e) if e.0.iter().all(|d| d.message.contains("day-of-week 7")) => {
                refused.push(case.file_name().unwrap().to_string_lossy().into_owned());
                envsync::read::values::import_keeping_invalid_schedules(&path, &text).unwrap()
            }
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let data = import::catalogue(&plan, &import::profiles_in_values(&text)).unwrap();
        let comments = import::Comments::in_values(&text);
        let written = yaml::to_string(&import::WithComments {
            data: &data,
            comments: &comments,
        })
        .unwrap();
        let reread = catalogue::load(Path::new("imported.yaml"), &written).unwrap_or_else(|e| {
            panic!(
                "{}: the imported catalogue is invalid:\n{e}\n{written}",
                path.display()
            )
        });
        let rendered = envsync::render::values::cronjobs(&reread).unwrap();
        let original = envsync::read::values::read_cronjobs(&text).unwrap();
        if rendered["cronjobs"] != original {
            failures.push(case.file_name().unwrap().to_string_lossy().into_owned());
        }
        let (written_comments, values_comments) = (in_entries(&written), by_job(&text));
        assert_eq!(
            written_comments,
            values_comments,
            "{}: the comments of cronjobs: are not on their jobs' entries:\n{written}",
            path.display()
        );
        let count: usize = values_comments.iter().map(|(_, lines)| lines.len()).sum();
        assert_eq!(count, comments_in_cronjobs(&text), "{}", path.display());
        comments_carried += count;
    }
    assert!(
        failures.is_empty(),
        "{} of {} revisions differ: {failures:?}",
        failures.len(),
        cases.len()
    );
    eprintln!(
        "{} of {} revisions round-trip, with {comments_carried} comments",
        cases.len(),
        cases.len()
    );
    if !cases.is_empty() {
        assert_eq!(
            refused,
            ["2023-10-26-1946034214"],
            "revisions a plain import refuses"
        );
    }
}

#[test]
fn import_and_render_write_yaml_that_passes_yamllint() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let case = cases.last().expect("a conformance case");
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("catalogue.yaml");
    common::envsync()
        .args(["import", "--values"])
        .arg(case.join("values.yaml"))
        .arg("-o")
        .arg(&catalogue)
        .assert()
        .success();
    let out = dir.path().join("out");
    common::envsync()
        .arg("render")
        .arg(&catalogue)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    common::yamllint(&catalogue);
    common::yamllint(&out);
}

#[test]
fn a_jobs_own_database_user_round_trips() {
    let text = "cronjobs:
  staging:
    signon-mysql:
      schedule: \"3 1 * * 1-5\"
      dbUser: signon_reader
      operations:
        - op: backup
";
    let path = Path::new("values.yaml");
    let plan = envsync::read::values::import(path, text).unwrap_or_else(|e| panic!("{e}"));
    let data = import::catalogue(&plan, &import::profiles_in_values(text)).unwrap();
    let written = yaml::to_string(&data).unwrap();
    assert!(written.contains("db_user: signon_reader"), "{written}");
    let reread = catalogue::load(Path::new("imported.yaml"), &written).unwrap();
    let rendered = envsync::render::values::cronjobs(&reread).unwrap();
    assert_eq!(
        rendered["cronjobs"],
        envsync::read::values::read_cronjobs(text).unwrap()
    );

    let wrong = text.replace("dbUser: signon_reader", "dbUser: [a]");
    let e = envsync::read::values::import(path, &wrong)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`dbUser` must be a string"), "{e}");
}

/// A comment's text as a catalogue writes it: less the space after `#`.
fn line(comment: &text::Comment) -> String {
    let line = comment.text.strip_prefix(' ').unwrap_or(&comment.text);
    line.trim_end().to_owned()
}

/// The comments of a values file's `cronjobs:` by the job whose region they
/// are in: from the end of the job before (or its environment's key) to the
/// job's end; after an environment's last job, to the next environment.
/// Each is ((environment, job), lines).
fn by_job(values: &str) -> Vec<((String, String), Vec<String>)> {
    let root = text::parse(values).unwrap();
    let comments = text::comments(values).unwrap();
    let cronjobs = root.get("cronjobs").unwrap();
    let mut found = Vec::new();
    let envs = cronjobs.entries();
    let end = cronjobs_region(values).end;
    for (e, (env, jobs)) in envs.iter().enumerate() {
        let env_end = envs.get(e + 1).map_or(end, |(next, _)| next.range.start);
        let mut from = env.range.end;
        for (j, (job, value)) in jobs.entries().iter().enumerate() {
            let last = j + 1 == jobs.entries().len();
            let to = if last { env_end } else { value.range.end };
            let lines: Vec<String> = comments
                .iter()
                .filter(|c| (from..to).contains(&c.at))
                .map(line)
                .collect();
            if !lines.is_empty() {
                let name = (
                    env.scalar().unwrap().to_owned(),
                    job.scalar().unwrap().to_owned(),
                );
                found.push((name, lines));
            }
            from = value.range.end;
        }
    }
    found.sort();
    found
}

/// From the `cronjobs:` key of a values file to the key after it.
fn cronjobs_region(values: &str) -> std::ops::Range<usize> {
    let root = text::parse(values).unwrap();
    let entries = root.entries();
    let i = entries
        .iter()
        .position(|(k, _)| k.scalar() == Some("cronjobs"))
        .unwrap();
    let to = entries
        .get(i + 1)
        .map_or(values.len(), |(next, _)| next.range.start);
    entries[i].0.range.end..to
}

/// How many comments a values file has between `cronjobs:` and the key
/// after it.
fn comments_in_cronjobs(values: &str) -> usize {
    let region = cronjobs_region(values);
    text::comments(values)
        .unwrap()
        .iter()
        .filter(|c| region.contains(&c.at))
        .count()
}

/// The comments of a catalogue on each database's environment entries:
/// ((environment, job), lines).
fn in_entries(catalogue: &str) -> Vec<((String, String), Vec<String>)> {
    let root = text::parse(catalogue).unwrap();
    let comments = text::comments(catalogue).unwrap();
    let environments: Vec<&str> = root
        .get("environments")
        .unwrap()
        .entries()
        .iter()
        .map(|(k, _)| k.scalar().unwrap())
        .collect();
    let mut found = Vec::new();
    for (job, entry) in root.get("databases").unwrap().entries() {
        for (key, value) in entry.entries() {
            let env = key.scalar().unwrap();
            let lines: Vec<String> = comments
                .iter()
                .filter(|c| (key.range.end..value.range.end).contains(&c.at))
                .map(line)
                .collect();
            if environments.contains(&env) && !lines.is_empty() {
                found.push(((env.to_owned(), job.scalar().unwrap().to_owned()), lines));
            }
        }
    }
    found.sort();
    found
}

/// On every revision with rules, a catalogue imported with its comments and
/// applied back leaves `values.yaml` byte for byte as it was.
#[test]
fn import_then_apply_leaves_every_revisions_values_as_they_are() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let with_rules: Vec<_> = cases.iter().filter(|c| c.join("rules").is_dir()).collect();
    assert!(
        with_rules.len() >= 10,
        "{} revisions with rules",
        with_rules.len()
    );
    for case in with_rules {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        let values = repo.join("charts/db-backup/values.yaml");
        let rules = repo.join("charts/monitoring-config/rules");
        std::fs::create_dir_all(values.parent().unwrap()).unwrap();
        std::fs::copy(case.join("values.yaml"), &values).unwrap();
        common::copy_dir(&case.join("rules"), &rules);
        let catalogue = repo.join("catalogue.yaml");
        common::envsync()
            .args(["import", "--values"])
            .arg(&values)
            .arg("--rules")
            .arg(&rules)
            .arg("-o")
            .arg(&catalogue)
            .assert()
            .success();
        let imported = std::fs::read_to_string(&catalogue).unwrap();
        assert!(
            imported.contains("\n      # "),
            "{}: no comments",
            case.display()
        );
        common::apply(&catalogue, repo).success();
        assert_eq!(
            std::fs::read_to_string(&values).unwrap(),
            std::fs::read_to_string(case.join("values.yaml")).unwrap(),
            "{}: apply changed values.yaml",
            case.display()
        );
    }
}

/// What a catalogue's data renders: the `cronjobs` values, and the alert
/// rules with their tests when `rules` is set; `None` when it does not
/// expand or render.
fn rendered(data: &serde_json::Value, rules: bool) -> Option<Vec<(String, String)>> {
    let plan = catalogue::expand(data).ok()?;
    let values = envsync::render::values::cronjobs(&plan).ok()?;
    let mut out = vec![("values".to_owned(), values.to_string())];
    if rules {
        let templates = envsync::render::templates::Templates::load(None).unwrap();
        for file in envsync::render::rules::render(&plan, &templates).ok()? {
            out.push((file.path.display().to_string(), file.contents));
        }
    }
    Some(out)
}

/// On every revision (its speeds read from its rules where it has them),
/// each setting import writes is needed: taken out of the database's entry,
/// or out of one of its environments' entries, the catalogue renders other
/// values or other alert rules. The facts (`personal_data`, `run_before`)
/// and `allow` change what lint says, not what renders, and are not taken
/// out.
#[test]
fn import_writes_no_setting_the_derivations_give_anyway() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let mut checked = 0;
    let mut needless = Vec::new();
    for case in &cases {
        let path = case.join("values.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut plan =
            envsync::read::values::import_keeping_invalid_schedules(&path, &text).unwrap();
        let rules = case.join("rules");
        if rules.is_dir() {
            envsync::read::rules::import_speeds(&mut plan, &rules).unwrap();
        }
        let data = import::catalogue(&plan, &import::profiles_in_values(&text)).unwrap();
        let with_rules = rules.is_dir();
        let whole = rendered(&data, with_rules).expect("the imported catalogue renders");
        let environments: Vec<&String> = data["environments"].as_object().unwrap().keys().collect();
        let facts = ["personal_data", "run_before", "allow", "schedule"];
        for (db, entry) in data["databases"].as_object().unwrap() {
            // Each setting, as the path of keys to it below the database.
            let mut settings: Vec<Vec<&str>> = Vec::new();
            for (key, value) in entry.as_object().unwrap() {
                if environments.contains(&key) {
                    for inner in value.as_object().map(|m| m.keys()).into_iter().flatten() {
                        settings.push(vec![key, inner]);
                    }
                } else {
                    settings.push(vec![key]);
                }
            }
            for setting in settings {
                if facts.contains(setting.last().unwrap()) {
                    continue;
                }
                let mut without = data.clone();
                let mut at = &mut without["databases"][db];
                for key in &setting[..setting.len() - 1] {
                    at = &mut at[*key];
                }
                at.as_object_mut().unwrap().remove(*setting.last().unwrap());
                checked += 1;
                if rendered(&without, with_rules).as_ref() == Some(&whole) {
                    let case = case.file_name().unwrap().to_string_lossy().into_owned();
                    needless.push(format!("{case}: {db}.{}", setting.join(".")));
                }
            }
        }
    }
    assert!(
        needless.is_empty(),
        "settings that render the same without them: {needless:#?}"
    );
    eprintln!("{checked} settings checked, each needed");
    assert!(checked > 1000, "{checked} settings checked");
}

/// import says which facts it cannot know, per database, and stops asking
/// for those the checkout's `.envsync.yaml` gives (which it writes in).
#[test]
fn the_summary_asks_for_the_facts_a_values_file_cannot_hold() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let case = cases.last().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("charts/db-backup/values.yaml");
    std::fs::create_dir_all(values.parent().unwrap()).unwrap();
    std::fs::copy(case.join("values.yaml"), &values).unwrap();
    let import = || {
        let out = common::envsync()
            .args(["import", "--values"])
            .arg(&values)
            .arg("--rules")
            .arg(case.join("rules"))
            .output()
            .unwrap();
        assert!(out.status.success());
        let summary = String::from_utf8(out.stderr).unwrap();
        (String::from_utf8(out.stdout).unwrap(), summary)
    };
    let (catalogue, summary) = import();
    // The facts' part of the summary, after what import says of the alerts.
    let lines: Vec<&str> = summary
        .lines()
        .skip_while(|l| !l.starts_with("facts a values file cannot hold"))
        .collect();
    // No environment is known to be wider: the first thing to decide.
    assert!(
        lines.len() > 1 && lines[1].starts_with("  environments: none has `wider_access: true`"),
        "{summary}"
    );
    // content-store is sanitised in staging and integration, and its
    // production schedule carries "Keep this before publishing-api.".
    let content_store = lines
        .iter()
        .find(|l| l.starts_with("  content-store-postgres: "))
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        content_store.contains(
            "`personal_data: true`? it is sanitised (content-store.sql in staging and integration)"
        ),
        "{content_store}"
    );
    assert!(
        content_store.contains(
            r#"`run_before`? its comments say production: "Keep this before publishing-api.""#
        ),
        "{content_store}"
    );
    // account-api is not sanitised, and its comments speak of no order: it
    // is among the others, counted.
    assert!(!summary.contains("account-api-postgres"), "{summary}");
    let others = lines.last().unwrap();
    assert!(
        others.contains(" other databases: `personal_data: true` on each"),
        "{others}"
    );
    assert!(!catalogue.contains("personal_data") && !catalogue.contains("run_before"));

    // The checkout's facts are written in, and no longer asked for.
    std::fs::write(
        dir.path().join(".envsync.yaml"),
        "environments: {integration: {wider_access: true}}\n\
         databases:\n  content-store-postgres: {personal_data: true, run_before: [publishing-api-postgres]}\n",
    )
    .unwrap();
    let (catalogue, summary) = import();
    assert!(!summary.contains("  environments:"), "{summary}");
    assert!(!summary.contains("  content-store-postgres:"), "{summary}");
    assert!(
        summary.contains("  draft-content-store-postgres: "),
        "{summary}"
    );
    assert!(catalogue.contains("wider_access: true"), "{catalogue}");
    assert!(catalogue.contains("personal_data: true"), "{catalogue}");
    assert!(
        catalogue.contains("run_before:\n      - publishing-api-postgres"),
        "{catalogue}"
    );
}
