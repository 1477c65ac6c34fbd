//! CronJob manifests: the objects `helm template` renders from the db-backup
//! chart, for every revision that today's chart can render, and for the
//! GOV.UK catalogue; valid YAML and Kubernetes whatever the values hold.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use envsync::model::plan::{Environment, Job, Operation, Plan};
use envsync::output::File;
use envsync::read::yaml::{self, Dialect};
use envsync::read::{catalogue, safe};
use envsync::render::manifests::{self, ManifestError};
use envsync::render::templates::Templates;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/govuk/catalogue.yaml");
const NEWEST: &str = "2026-08-14-8603dc7c41";
const ENVIRONMENTS: [&str; 3] = ["production", "staging", "integration"];

/// The YAML documents of a file, as data. Documents start with a `---`
/// line; each is read as Helm and Kubernetes read YAML (1.1).
fn documents(text: &str) -> Vec<Value> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            docs.push(String::new());
        } else {
            let doc = docs.last_mut().unwrap();
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.into_iter()
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .map(|d| {
            yaml::parse(&d, Dialect::HelmValues)
                .unwrap_or_else(|e| panic!("{e} at {:?} in:\n{d}", e.origin))
                .value
                .to_json()
        })
        .collect()
}

/// CronJobs by name, in file order.
fn cronjobs(text: &str) -> Vec<(String, Value)> {
    documents(text)
        .into_iter()
        .map(|doc| {
            assert_eq!(doc["kind"], "CronJob", "{doc}");
            let name = doc["metadata"]["name"].as_str().expect("a name").to_owned();
            (name, doc)
        })
        .collect()
}

/// What differs between two objects, as a unified diff of their JSON.
fn difference(expected: &Value, actual: &Value) -> String {
    let expected = serde_json::to_string_pretty(expected).unwrap();
    let actual = serde_json::to_string_pretty(actual).unwrap();
    similar::TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(4)
        .header("helm", "envsync")
        .to_string()
}

/// How rendered manifests differ from helm's: the number of CronJobs helm
/// renders, and each difference, prefixed with `what`.
fn compare(what: &str, expected: &str, actual: &str) -> (usize, Vec<String>) {
    let expected = cronjobs(expected);
    let actual = cronjobs(actual);
    let mut problems = Vec::new();
    let names = |jobs: &[(String, Value)]| jobs.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let mut sorted = names(&expected);
    sorted.sort();
    if names(&actual) != sorted {
        problems.push(format!(
            "{what}: CronJobs {:?}, expected {:?} (sorted by name)",
            names(&actual),
            sorted
        ));
    }
    let actual: BTreeMap<_, _> = actual.into_iter().collect();
    for (name, object) in &expected {
        match actual.get(name) {
            None => problems.push(format!("{what}: no CronJob {name}")),
            Some(ours) if ours != object => problems.push(format!(
                "{what}: {name} differs:\n{}",
                difference(object, ours)
            )),
            Some(_) => {}
        }
    }
    (expected.len(), problems)
}

fn render(plan: &Plan) -> Result<Vec<File>, ManifestError> {
    manifests::render(plan, &Templates::load(None).unwrap())
}

fn file<'a>(files: &'a [File], env: &str) -> &'a str {
    let path = PathBuf::from(format!("{env}.yaml"));
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {}", path.display()))
        .contents
}

fn govuk_plan() -> Plan {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    catalogue::load(Path::new(FIXTURE), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// One revision: the CronJobs helm rendered for each environment, and
/// ours, as text.
fn revision(case: &Path) -> Vec<(String, String, String)> {
    let name = case.file_name().unwrap().to_string_lossy();
    let path = case.join("values.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let plan =
        envsync::read::values::import(&path, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let rendered = render(&plan).unwrap_or_else(|e| panic!("{name}: {e}"));
    ENVIRONMENTS
        .iter()
        .map(|env| {
            let helm = std::fs::read_to_string(case.join(format!("rendered/{env}.yaml"))).unwrap();
            (
                format!("{name} {env}"),
                helm,
                file(&rendered, env).to_owned(),
            )
        })
        .collect()
}

/// The conformance revisions with what helm rendered from them, in order.
fn rendered_cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("rendered").is_dir())
        .collect();
    cases.sort();
    cases
}

/// `f` of each item, in order, computed on as many threads as there are
/// cores: the conformance comparisons and helm runs are slow one by one.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(items.len()));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = f(item);
                    results.lock().unwrap().push((i, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|&(i, _)| i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[test]
fn every_revision_helm_renders_renders_the_same_cronjobs() {
    let Some(dir) = common::conformance_dir() else {
        return;
    };
    let cases = rendered_cases(&dir);
    let pairs: Vec<_> = cases.iter().flat_map(|case| revision(case)).collect();

    // Many revisions render some environment the same way; compare each
    // distinct pair of texts once, several at a time.
    let mut distinct: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(_, h, o)| (h.as_str(), o.as_str()))
        .collect();
    distinct.sort();
    distinct.dedup();
    let compared = parallel_map(&distinct, |&(helm, ours)| compare("", helm, ours));
    let results: HashMap<_, _> = distinct.iter().copied().zip(compared).collect();

    let (mut objects, mut problems) = (0, Vec::new());
    for (what, helm, ours) in &pairs {
        let (count, found) = &results[&(helm.as_str(), ours.as_str())];
        objects += count;
        problems.extend(found.iter().map(|p| format!("{what}{p}")));
    }
    assert!(
        cases.len() >= 26,
        "only {} cases have rendered/",
        cases.len()
    );
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let (n, files) = (cases.len(), pairs.len());
    eprintln!("{n} of {n} cases, {files} files, {objects} CronJobs the same as helm renders");
}

#[test]
fn the_govuk_catalogue_renders_todays_cronjobs() {
    let Some(dir) = common::conformance_dir() else {
        return;
    };
    let rendered = render(&govuk_plan()).unwrap();
    assert_eq!(rendered.len(), ENVIRONMENTS.len());
    let mut objects = 0;
    for env in ENVIRONMENTS {
        let helm =
            std::fs::read_to_string(dir.join(NEWEST).join(format!("rendered/{env}.yaml"))).unwrap();
        let (count, problems) = compare(env, &helm, file(&rendered, env));
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        objects += count;
    }
    eprintln!("the GOV.UK catalogue renders all {objects} CronJobs of {NEWEST}");
}

#[test]
fn a_changed_cronjob_is_caught() {
    let plan = govuk_plan();
    let rendered = render(&plan).unwrap();
    let ours = file(&rendered, "staging");
    let changed = ours.replacen("backoffLimit: 0", "backoffLimit: 1", 1);
    let (_, problems) = compare("staging", ours, &changed);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (_, problems) = compare(
        "staging",
        ours,
        &ours.replacen("value: null", "value: \"\"", 1),
    );
    assert_eq!(
        problems.len(),
        1,
        "null and \"\" are different: {problems:?}"
    );
    let first_document = ours[4..].find("\n---\n").unwrap() + 5;
    let (_, problems) = compare("staging", ours, &ours[first_document..]);
    assert!(!problems.is_empty(), "a missing CronJob is caught");
}

#[test]
fn an_overridden_template_is_used_and_the_rest_is_unchanged() {
    let plan = govuk_plan();
    let default = render(&plan).unwrap();

    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/cronjob.yaml"),
    )
    .unwrap();
    let anchor = "    argocd.argoproj.io/ignore-healthcheck: \"true\"\n";
    assert!(source.contains(anchor));
    let modified = source.replacen(
        anchor,
        &format!("{anchor}    example.org/team: {{{{ job }}}}\n"),
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cronjob.yaml"), modified).unwrap();
    std::fs::write(dir.path().join("unrelated.yaml"), "{{ not used }}").unwrap();
    let overridden = manifests::render(&plan, &Templates::load(Some(dir.path())).unwrap()).unwrap();

    assert_eq!(overridden.len(), default.len());
    let mut count = 0;
    for (ours, theirs) in default.iter().zip(&overridden) {
        assert_eq!(ours.path, theirs.path);
        let before = cronjobs(&ours.contents);
        let after = cronjobs(&theirs.contents);
        assert_eq!(before.len(), after.len());
        for ((name, before), (_, after)) in before.iter().zip(after) {
            let annotations = after["metadata"]["annotations"].as_object().unwrap();
            let job = name.strip_prefix("db-backup-").unwrap();
            assert_eq!(annotations["example.org/team"], json!(job), "{name}");
            let mut without = after.clone();
            without["metadata"]["annotations"]
                .as_object_mut()
                .unwrap()
                .remove("example.org/team");
            assert_eq!(&without, before, "{name}: only the annotation changed");
            count += 1;
        }
    }
    assert!(count > 70, "{count} CronJobs");

    // A folder without the template changes nothing.
    let empty = tempfile::tempdir().unwrap();
    let same = manifests::render(&plan, &Templates::load(Some(empty.path())).unwrap()).unwrap();
    assert_eq!(same, default);
}

#[test]
fn a_chart_without_a_toolbox_image_is_an_error() {
    let mut plan = govuk_plan();
    plan.chart.remove("toolbox");
    let err = render(&plan).unwrap_err();
    assert!(matches!(err, ManifestError::MissingImage), "{err}");
    assert!(
        err.to_string().contains("toolbox.image.repository"),
        "{err}"
    );
}

#[test]
fn arm64_adds_a_toleration_and_a_node_selector() {
    let mut plan = govuk_plan();
    plan.chart.insert("arch".into(), json!("arm64"));
    let rendered = render(&plan).unwrap();
    for (name, object) in cronjobs(file(&rendered, "production")) {
        let pod = &object["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(
            pod["tolerations"],
            json!([{"key": "arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"}]),
            "{name}"
        );
        assert_eq!(
            pod["nodeSelector"],
            json!({"kubernetes.io/arch": "arm64"}),
            "{name}"
        );
        assert_eq!(
            object["metadata"]["labels"]["app.kubernetes.io/arch"],
            "arm64"
        );
    }
}

// ---------------------------------------------------------------------------
// bench/chart: a chart of our own, rendered by helm itself

/// The chart `bench/compare.sh` times `helm template` on.
fn bench_chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/chart")
}

/// What `helm template db-backup bench/chart -f VALUES --set SETTINGS` prints.
fn helm_template(helm: &Path, values: &Path, settings: &str) -> String {
    let output = std::process::Command::new(helm)
        .args(["template", "db-backup"])
        .arg(bench_chart())
        .arg("--values")
        .arg(values)
        .args(["--set", settings])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", helm.display()));
    assert!(
        output.status.success(),
        "helm template -f {} --set {settings}: {}",
        values.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("helm prints UTF-8")
}

#[test]
fn the_bench_chart_has_the_catalogues_chart_settings() {
    let path = bench_chart().join("values.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let chart = envsync::read::values::chart(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        chart,
        govuk_plan().chart,
        "bench/chart/values.yaml and the `chart:` of {FIXTURE} differ"
    );
}

#[test]
fn helm_renders_the_bench_chart_as_envsync_renders_the_catalogue() {
    let Some(helm) = common::helm() else {
        return;
    };
    let mut plan = govuk_plan();
    let dir = tempfile::tempdir().unwrap();
    let cronjobs = dir.path().join("cronjobs.yaml");
    std::fs::write(
        &cronjobs,
        yaml::to_string(&envsync::render::values::cronjobs(&plan).unwrap()).unwrap(),
    )
    .unwrap();

    let rendered = render(&plan).unwrap();
    let mut objects = 0;
    for env in ENVIRONMENTS {
        let printed = helm_template(&helm, &cronjobs, &format!("govukEnvironment={env}"));
        let (count, problems) = compare(env, &printed, file(&rendered, env));
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        objects += count;
    }
    assert_eq!(objects, plan.jobs().count());

    // The chart's other branches: arm64 nodes, every CronJob suspended.
    plan.chart.insert("arch".into(), json!("arm64"));
    plan.chart.insert("suspendAllCronJobs".into(), json!(true));
    let rendered = render(&plan).unwrap();
    let settings = "govukEnvironment=staging,arch=arm64,suspendAllCronJobs=true";
    let printed = helm_template(&helm, &cronjobs, settings);
    let (_, problems) = compare(settings, &printed, file(&rendered, "staging"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // A job's own database user (`dbUser`), and an empty one, which the
    // chart's `default` passes over.
    let staging = plan.environments.iter_mut().find(|e| e.name == "staging");
    let mut jobs = staging
        .unwrap()
        .jobs
        .iter_mut()
        .filter(|j| j.dbms() != "mongo");
    jobs.next().unwrap().db_user = Some("reader".into());
    jobs.next().unwrap().db_user = Some(String::new());
    let text = yaml::to_string(&envsync::render::values::cronjobs(&plan).unwrap()).unwrap();
    assert!(text.contains("dbUser:"), "{text}");
    std::fs::write(&cronjobs, text).unwrap();
    let rendered = render(&plan).unwrap();
    assert!(file(&rendered, "staging").contains("value: \"reader\""));
    let printed = helm_template(&helm, &cronjobs, settings);
    let (_, problems) = compare(settings, &printed, file(&rendered, "staging"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn helm_renders_every_revision_with_the_bench_chart_as_with_govuks() {
    let Some(helm) = common::helm() else {
        return;
    };
    let Some(dir) = common::conformance_dir() else {
        return;
    };
    let cases = rendered_cases(&dir);
    assert!(
        cases.len() >= 26,
        "only {} cases have rendered/",
        cases.len()
    );
    let runs: Vec<(&Path, &str)> = cases
        .iter()
        .flat_map(|case| ENVIRONMENTS.map(|env| (case.as_path(), env)))
        .collect();

    let results = parallel_map(&runs, |&(case, env)| {
        let what = format!("{} {env}", case.file_name().unwrap().to_string_lossy());
        let govuk = std::fs::read_to_string(case.join(format!("rendered/{env}.yaml"))).unwrap();
        let ours = helm_template(
            &helm,
            &case.join("values.yaml"),
            &format!("govukEnvironment={env}"),
        );
        compare(&what, &govuk, &ours)
    });
    let objects: usize = results.iter().map(|(count, _)| count).sum();
    let problems: Vec<&String> = results.iter().flat_map(|(_, found)| found).collect();
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "bench/chart renders {} files, {objects} CronJobs, as GOV.UK's chart did",
        runs.len()
    );
}

// ---------------------------------------------------------------------------
// yamllint and kubernetes-validate

fn write(dir: &Path, files: &[File]) -> Vec<PathBuf> {
    envsync::output::write_all(dir, files).unwrap();
    files.iter().map(|f| dir.join(&f.path)).collect()
}

#[test]
fn govuk_manifests_pass_yamllint() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &render(&govuk_plan()).unwrap());
    if !common::yamllint(dir.path()) {
        return;
    }
    // The check can fail: helm's own layout does not indent sequences.
    if let Some(cases) = common::conformance_dir() {
        let helm = cases.join(NEWEST).join("rendered/production.yaml");
        let output = common::run_yamllint(&helm).unwrap();
        assert!(
            !output.status.success(),
            "yamllint accepted {}",
            helm.display()
        );
    }
}

#[test]
fn govuk_manifests_pass_kubernetes_validate() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write(dir.path(), &render(&govuk_plan()).unwrap());
    if !common::kubernetes_validate(&paths) {
        return;
    }
    // The check can fail: a field Kubernetes does not know.
    let wrong = dir.path().join("wrong.yaml");
    let text = std::fs::read_to_string(&paths[0]).unwrap();
    let text = text.replacen("backoffLimit: 0", "backoffLimit: 0\n      retries: 3", 1);
    std::fs::write(&wrong, text).unwrap();
    let output = common::run_kubernetes_validate([&wrong]).unwrap();
    assert!(
        !output.status.success(),
        "kubernetes-validate accepted an unknown field"
    );
}

// ---------------------------------------------------------------------------
// Strings that look like YAML stay strings.

/// Text with YAML's special characters in awkward places.
fn awkward() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            Just(": ".to_owned()),
            Just("#".to_owned()),
            Just(" #".to_owned()),
            Just("'".to_owned()),
            Just("\"".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\t".to_owned()),
            Just("*".to_owned()),
            Just("&".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("  ".to_owned()),
            Just("- ".to_owned()),
            Just("!".to_owned()),
            Just("%".to_owned()),
            Just("@".to_owned()),
            Just("`".to_owned()),
            Just("|".to_owned()),
            Just(">".to_owned()),
            Just("? ".to_owned()),
            Just("---".to_owned()),
            Just("\\".to_owned()),
            Just("{{ x }}".to_owned()),
            Just("yes".to_owned()),
            Just("null".to_owned()),
            Just("~".to_owned()),
            Just("0555".to_owned()),
            Just("1e3".to_owned()),
            Just("12:30".to_owned()),
            Just("<<".to_owned()),
            Just("é".to_owned()),
            Just("💾".to_owned()),
            "[a-z_]{1,6}",
            any::<char>().prop_map(String::from),
        ],
        1..8,
    );
    pieces.prop_map(|p| p.concat())
}

/// An awkward text that is a valid sanitise script name.
fn script() -> impl Strategy<Value = String> {
    awkward().prop_filter("a file name", |s| {
        envsync::read::values::check_script(s).is_ok()
    })
}

fn plan_with(
    db: &str,
    op_db: &str,
    bucket: &str,
    script: &str,
    env_value: &str,
    host: &str,
    tag: &str,
) -> Plan {
    let mut chart = Map::new();
    chart.insert(
        "toolbox".into(),
        json!({"image": {"repository": "registry.example/toolbox", "tag": tag}}),
    );
    chart.insert(
        "extraEnv".into(),
        json!([{"name": "CHART", "value": env_value}]),
    );
    chart.insert("resources".into(), json!({"limits": {"memory": env_value}}));
    let job = Job {
        name: "awkward-postgres".into(),
        schedule: "0 1 * * *".into(),
        host: Some(host.into()),
        dbms: Some("postgres".into()),
        db: Some(db.into()),
        extra_env: Some(json!([{"name": "JOB", "value": env_value}])),
        operations: vec![
            Operation {
                op: "restore".into(),
                bucket: Some(bucket.into()),
                db: Some(op_db.into()),
                ..Operation::default()
            },
            Operation {
                op: "transform".into(),
                script: Some(script.into()),
                extra_env: Some(json!([{"name": env_value, "value": db}])),
                ..Operation::default()
            },
        ],
        ..Job::default()
    };
    Plan {
        chart,
        environments: vec![Environment {
            name: "staging".into(),
            jobs: vec![job],
            ..Environment::default()
        }],
        ..Plan::default()
    }
}

fn env_value<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .map(|e| &e["value"])
        .unwrap_or_else(|| panic!("no {name} in {container}"))
}

/// Characters JSON leaves raw that YAML cannot carry raw in a scalar (or
/// that YAML 1.1 readers take for line breaks).
fn unprintable() -> impl Strategy<Value = char> {
    prop_oneof![
        Just('\u{7f}'),
        Just('\u{80}'),
        Just('\u{85}'),
        Just('\u{9f}'),
        Just('\u{2028}'),
        Just('\u{2029}'),
        Just('\u{feff}'),
        Just('\u{fffe}'),
        Just('\u{ffff}'),
    ]
}

fn carriable(s: &str) -> bool {
    !s.chars().any(|c| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn awkward_strings_stay_strings(
        db in awkward(),
        op_db in awkward(),
        bucket in awkward(),
        script in script(),
        value in awkward(),
        host in awkward(),
        tag in awkward(),
    ) {
        let plan = plan_with(&db, &op_db, &bucket, &script, &value, &host, &tag);
        if ![&db, &op_db, &bucket, &script, &host, &tag].iter().all(|s| carriable(s)) {
            let err = render(&plan).unwrap_err();
            prop_assert!(matches!(err, ManifestError::Unprintable { .. }), "{}", err);
            return Ok(());
        }
        let rendered = render(&plan).unwrap();
        let text = &rendered[0].contents;
        let docs = documents(text);
        prop_assert_eq!(docs.len(), 1, "{}", text);
        let pod = &docs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let restore = &pod["initContainers"][0];
        let transform = &pod["containers"][0];
        prop_assert_eq!(pod["initContainers"].as_array().map(Vec::len), Some(1));

        prop_assert_eq!(env_value(restore, "DB_DATABASE"), &json!(op_db));
        prop_assert_eq!(env_value(restore, "BUCKET"), &json!(bucket));
        prop_assert_eq!(env_value(transform, "DB_DATABASE"), &json!(db));
        prop_assert_eq!(env_value(transform, "BUCKET"), &Value::Null);
        prop_assert_eq!(env_value(transform, "DB_HOST"), &json!(host));
        prop_assert_eq!(&transform["args"], &json!(["transform", script]));
        prop_assert_eq!(&transform["image"], &json!(format!("registry.example/toolbox:{tag}")));
        prop_assert_eq!(&transform["resources"]["limits"]["memory"], &json!(value));
        prop_assert_eq!(env_value(transform, "CHART"), &json!(value));
        prop_assert_eq!(env_value(transform, "JOB"), &json!(value));
        prop_assert_eq!(env_value(transform, &value), &json!(db));
        let key = &transform["env"].as_array().unwrap().iter().find(|e| e["name"] == "DB_PASSWORD").unwrap()
            ["valueFrom"]["secretKeyRef"]["key"];
        prop_assert_eq!(key, &json!(host));
        // Each value is one string, not structure: the object has the
        // shape of any other CronJob.
        prop_assert_eq!(transform["env"].as_array().map(Vec::len), Some(10));
        prop_assert_eq!(pod.as_object().map(Map::len), Some(7));
    }

    #[test]
    fn awkward_catalogue_strings_stay_strings(
        db in awkward(),
        bucket in awkward(),
        script in script(),
        value in awkward(),
    ) {
        let catalogue = json!({
            "environments": {"production": null, "staging": {"restore_from": "production"}},
            "databases": {
                "awkward-mysql": {
                    "db": db,
                    "extra_env": [{"name": "NOTE", "value": value}],
                    "production": "0 1 * * *",
                    "staging": {
                        "schedule": "0 2 * * *",
                        "operations": [
                            {"op": "restore", "bucket": bucket},
                            {"op": "transform", "script": script},
                        ],
                    },
                },
            },
            "chart": {"toolbox": {"image": {"repository": "registry.example/toolbox", "tag": "v1"}}},
        });
        let text = yaml::to_string(&catalogue).unwrap();
        let loaded = catalogue::load(Path::new("awkward.yaml"), &text);
        // The chart prints db, bucket and script without quotes: a catalogue
        // is accepted only when each is a plain scalar that reads back as
        // itself (helm's render of such values is checked against envsync's
        // in tests/chart_property.rs).
        let printable = [&db, &bucket, &script].iter().all(|s| safe::plain(s).is_ok())
            && safe::control(&value).is_ok();
        if !printable {
            let err = loaded.err().unwrap_or_else(|| panic!("accepted:\n{text}"));
            prop_assert!(err.0.iter().all(|d| d.line > 0), "{}", err);
            return Ok(());
        }
        let plan = loaded.unwrap_or_else(|e| panic!("{e}\n{text}"));
        let rendered = render(&plan).unwrap();
        let staging = documents(file(&rendered, "staging"));
        prop_assert_eq!(staging.len(), 1);
        let pod = &staging[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let restore = &pod["initContainers"][0];
        let transform = &pod["containers"][0];
        prop_assert_eq!(env_value(restore, "DB_DATABASE"), &json!(db));
        prop_assert_eq!(env_value(restore, "BUCKET"), &json!(bucket));
        prop_assert_eq!(env_value(restore, "NOTE"), &json!(value));
        prop_assert_eq!(&transform["args"], &json!(["transform", script]));
        let production = documents(file(&rendered, "production"));
        prop_assert_eq!(env_value(&production[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0], "DB_DATABASE"), &json!(db));
    }

    /// A value the template prints is refused if it holds such a character;
    /// in a nested block (extraEnv, resources) the serializer escapes it.
    #[test]
    fn unprintable_characters_are_refused_or_escaped(
        before in "[a-z]{0,4}",
        c in unprintable(),
        after in "[a-z]{0,4}",
        field in 0..4usize,
    ) {
        let odd = format!("{before}{c}{after}");
        let mut fields = ["db", "other_db", "s3://bucket", "script.sql"].map(str::to_owned);
        fields[field] = odd.clone();
        let [db, op_db, bucket, script] = fields;
        let plan = plan_with(&db, &op_db, &bucket, &script, "fine", "host-postgres", "v1");
        let err = render(&plan).unwrap_err();
        prop_assert!(err.to_string().contains(&format!("U+{:04X}", u32::from(c))), "{}", err);

        let plan = plan_with("db", "other_db", "s3://bucket", "script.sql", &odd, "host-postgres", "v1");
        let rendered = render(&plan).unwrap();
        let docs = documents(&rendered[0].contents);
        let container = &docs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
        prop_assert_eq!(env_value(container, "CHART"), &json!(odd));
        prop_assert_eq!(&container["resources"]["limits"]["memory"], &json!(odd));
    }
}

// ---------------------------------------------------------------------------
// For any catalogue validate accepts, helm's render of bench/chart (which
// prints the host, database, bucket, user and script without quotes, as
// GOV.UK's chart does) with envsync's values equals envsync's manifests.

/// A value to put where the chart prints one: often awkward, often plain,
/// sometimes a word that YAML reads as other than a string.
fn printed_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => awkward(),
        3 => "[a-z_][a-z0-9_.:/-]{0,12}",
        1 => prop::sample::select(vec![
            "true", "yes", "null", "1e3", "0x1F", "0o17", "12:30", "2024-01-01", ".inf",
            "a:b", "a#b", "x{{y}}", "Ünïcode", "-", "a-", "=", "<<",
        ])
        .prop_map(str::to_owned),
    ]
}

/// A job name the schema accepts (a DNS label), some of them numbers.
fn job_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,20}[a-z0-9]-postgres",
        prop::sample::select(vec!["123", "1e3", "0x1f", "true", "a"]).prop_map(str::to_owned),
    ]
}

fn helm_config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(helm_config())]

    /// One printed field at a time takes an awkward value, so that most
    /// cases are accepted and rendered by helm.
    #[test]
    fn helm_renders_what_envsync_renders_for_any_accepted_catalogue(
        field in 0..8usize,
        value in printed_value(),
        name in job_name(),
    ) {
        let Some(helm) = common::helm() else {
            return Ok(());
        };
        let mut fields = [
            "chat_production", "chat-postgres", "s3://bucket", "reader", "chat.sql",
            "other_db", "note", "chat-postgres",
        ]
        .map(str::to_owned);
        if field == 7 {
            fields[7] = name;
        } else {
            fields[field] = value;
        }
        let [db, host, bucket, db_user, script, op_db, env_value, name] = fields;
        let catalogue = json!({
            "environments": {"production": null, "staging": {"restore_from": "production"}},
            "chart": govuk_plan().chart,
            "databases": {
                name.clone(): {
                    "db": db,
                    "host": host,
                    "db_user": db_user,
                    "sanitise": script,
                    "extra_env": [{"name": "NOTE", "value": env_value}],
                    "production": "0 1 * * *",
                    "staging": {
                        "schedule": "0 2 * * *",
                        "operations": [
                            {"op": "restore", "bucket": bucket, "db": op_db},
                            {"op": "transform", "script": script},
                            {"op": "backup"},
                        ],
                    },
                },
            },
        });
        let text = yaml::to_string(&catalogue).unwrap();
        let plan = match catalogue::load_for_render(Path::new("catalogue.yaml"), &text) {
            Ok(plan) => plan,
            Err(problems) => {
                // Refused, each problem at a place in the file.
                prop_assert!(problems.0.iter().all(|d| d.line > 0), "{}", problems);
                return Ok(());
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let cronjobs = dir.path().join("cronjobs.yaml");
        let values = envsync::render::values::cronjobs(&plan).unwrap();
        std::fs::write(&cronjobs, yaml::to_string(&values).unwrap()).unwrap();
        let rendered = render(&plan).unwrap();
        for env in ["production", "staging"] {
            let printed = helm_template(&helm, &cronjobs, &format!("govukEnvironment={env}"));
            let (count, problems) = compare(env, &printed, file(&rendered, env));
            prop_assert_eq!(count, 1);
            prop_assert!(problems.is_empty(), "{}\n{}", problems.join("\n"), text);
        }
    }
}

/// A database added to the newest revision's imported catalogue is written
/// by apply as its neighbours are: the `<<: *anchor` merge they use where
/// its settings are the anchor's, their quoting, and nothing else changes;
/// helm renders from the result the CronJobs envsync renders.
#[test]
fn a_new_job_is_written_with_its_neighbours_anchors_and_quoting() {
    let Some(helm) = common::helm() else {
        return;
    };
    let Some(cases) = common::conformance_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let values = repo.join(common::CHART_VALUES);
    std::fs::create_dir_all(values.parent().unwrap()).unwrap();
    std::fs::create_dir_all(repo.join(common::CHART_RULES)).unwrap();
    let original = std::fs::read_to_string(cases.join(NEWEST).join("values.yaml")).unwrap();
    std::fs::write(&values, &original).unwrap();
    let catalogue = repo.join("catalogue.yaml");
    common::envsync()
        .args(["import", "--values"])
        .arg(&values)
        .arg("-o")
        .arg(&catalogue)
        .assert()
        .success();
    // Its resources are the s5cmd-ram-workaround profile's, which import
    // made from the values' `&s5cmd-ram-workaround` anchor.
    let text = std::fs::read_to_string(&catalogue).unwrap();
    let new = "  new-app-postgres:\n    profile: s5cmd-ram-workaround\n    db: new_app_production\n    production: 5 22 * * *\n    staging: 5 23 * * 1-5\n";
    let at = text.find("  draft-content-store-postgres:\n").unwrap();
    std::fs::write(&catalogue, format!("{}{new}{}", &text[..at], &text[at..])).unwrap();
    common::apply(&catalogue, repo).success();

    let after = std::fs::read_to_string(&values).unwrap();
    let added: Vec<String> = similar::TextDiff::from_lines(&original, &after)
        .iter_all_changes()
        .map(|c| match c.tag() {
            similar::ChangeTag::Insert => format!("+{}", c.value()),
            similar::ChangeTag::Delete => format!("-{}", c.value()),
            similar::ChangeTag::Equal => String::new(),
        })
        .filter(|c| !c.is_empty())
        .collect();
    let production = [
        "+    new-app-postgres:\n",
        "+      <<: *s5cmd-ram-workaround\n",
        "+      schedule: \"5 22 * * *\"\n",
        "+      db: new_app_production\n",
        "+      operations:\n",
        "+        - op: backup\n",
    ];
    let staging = [
        "+    new-app-postgres:\n",
        "+      <<: *s5cmd-ram-workaround\n",
        "+      schedule: \"5 23 * * 1-5\"\n",
        "+      db: new_app_production\n",
        "+      operations:\n",
        "+        - op: restore\n",
        "+          bucket: s3://govuk-production-database-backups\n",
        "+        - op: backup\n",
    ];
    // Each job, and a blank line as its neighbours have; nothing removed.
    let jobs: Vec<String> = added.iter().filter(|l| *l != "+\n").cloned().collect();
    assert_eq!(jobs, [&production[..], &staging[..]].concat(), "{added:#?}");
    assert_eq!(added.len(), jobs.len() + 2, "{added:#?}");

    let plan = catalogue::load(&catalogue, &std::fs::read_to_string(&catalogue).unwrap())
        .unwrap_or_else(|e| panic!("{e}"));
    let rendered = render(&plan).unwrap();
    let mut objects = 0;
    for env in ENVIRONMENTS {
        let printed = helm_template(&helm, &values, &format!("govukEnvironment={env}"));
        let (count, problems) = compare(env, &printed, file(&rendered, env));
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        objects += count;
    }
    assert_eq!(objects, plan.jobs().count());
}
