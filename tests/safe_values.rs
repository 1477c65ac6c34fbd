//! Nothing envsync accepts may break the chart: every value the chart
//! prints is checked the way it prints it, by every command that reads a
//! catalogue (validate, render, apply, lint) and by lint of a values file.
//! Each finding of the issue that asked for this is a test here, run
//! through the command line as a user meets it.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{CHART_VALUES, envsync};
use std::path::Path;

/// A catalogue with one job in production and staging; `SETTINGS` is
/// replaced by the database's settings under test.
const CATALOGUE: &str = "\
environments:
  production:
  staging: {restore_from: production}
chart:
  toolbox: {image: {repository: toolbox, tag: v1}}
databases:
  chat-postgres:
SETTINGS
    production: 47 23 * * *
    staging: 47 1 * * 1-5
";

fn catalogue(settings: &str) -> String {
    CATALOGUE.replace("SETTINGS\n", settings)
}

/// `file:line:col: error[...] message` lines of a command's standard error.
fn errors(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `envsync ARGS` in `dir` and returns its output.
fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    envsync().args(args).current_dir(dir).output().unwrap()
}

/// Writes the catalogue into a fresh folder and checks that validate
/// refuses it with exit 1 and an error at `place` whose message holds
/// `why`; and that render, lint and apply refuse it too.
fn refused(settings: &str, place: &str, why: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalogue.yaml"), catalogue(settings)).unwrap();
    let out = run(
        dir.path(),
        &["validate", "catalogue.yaml", "--format", "concise"],
    );
    let text = errors(&out);
    assert_eq!(out.status.code(), Some(1), "validate: {text}");
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("catalogue.yaml:{place}: error")))
        .unwrap_or_else(|| panic!("no error at {place}:\n{text}"));
    assert!(line.contains(why), "{line}");

    let out = run(dir.path(), &["render", "catalogue.yaml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(1), "render: {}", errors(&out));
    assert!(!dir.path().join("out").exists(), "render wrote files");

    let out = run(
        dir.path(),
        &["lint", "catalogue.yaml", "--format", "concise"],
    );
    assert_eq!(out.status.code(), Some(1), "lint: {}", errors(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("catalogue.yaml:{place}:")),
        "lint: {stdout}"
    );

    let values = dir.path().join(CHART_VALUES);
    std::fs::create_dir_all(values.parent().unwrap()).unwrap();
    std::fs::create_dir_all(dir.path().join("charts/monitoring-config/rules")).unwrap();
    let before = "cronjobs:\n  production: {}\n";
    std::fs::write(&values, before).unwrap();
    let out = run(
        dir.path(),
        &["apply", "catalogue.yaml", "--chart-repo", "."],
    );
    assert_ne!(out.status.code(), Some(0), "apply: {}", errors(&out));
    assert_eq!(std::fs::read_to_string(&values).unwrap(), before);
}

/// Writes `text` as a catalogue into a fresh folder and checks that
/// validate refuses it with exit 1 and an error line holding `expected`.
fn validate_refuses(text: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalogue.yaml"), text).unwrap();
    let out = run(
        dir.path(),
        &["validate", "catalogue.yaml", "--format", "concise"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", errors(&out));
    assert!(errors(&out).contains(expected), "{}", errors(&out));
}

#[test]
fn the_control_catalogue_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalogue.yaml"),
        catalogue("    db: chat_production\n    host: chat.postgres-1\n"),
    )
    .unwrap();
    let out = run(dir.path(), &["validate", "catalogue.yaml"]);
    assert!(out.status.success(), "{}", errors(&out));
}

#[test]
fn a_db_that_would_give_the_container_an_env_from_is_refused() {
    refused(
        "    db: \"alpha\\n              envFrom:\\n                - secretRef: {name: x}\"\n",
        "8:9",
        "U+000A",
    );
}

#[test]
fn a_db_that_helm_cannot_print_is_refused() {
    refused("    db: \"a: b\"\n", "8:9", "`: `");
}

#[test]
fn a_line_separator_is_refused_everywhere() {
    refused("    db: \"a\\u2028b\"\n", "8:9", "U+2028");
}

#[test]
fn values_that_read_back_as_other_than_strings_are_refused() {
    refused("    db: \"true\"\n", "8:9", "not a string");
    refused("    db: \"0x1f\"\n", "8:9", "not a string");
    refused("    db_user: \"yes\"\n", "8:14", "not a string");
}

#[test]
fn an_empty_db_or_host_is_refused() {
    refused("    db: \"\"\n", "8:9", "empty");
    refused("    host: \"\"\n", "8:11", "secret key");
}

#[test]
fn a_host_that_is_not_a_secret_key_is_refused() {
    refused("    host: \"chat postgres\"\n", "8:11", "secret key");
}

#[test]
fn an_unquoted_bucket_or_script_is_checked_where_it_is_written() {
    let ops = "    production: {schedule: 1 1 * * *, operations: [{op: backup, bucket: \"s3://a #b\"}]}\n";
    let settings = format!("    db: x\n{ops}");
    let text = catalogue(&settings).replace("    production: 47 23 * * *\n", "");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalogue.yaml"), text).unwrap();
    let out = run(
        dir.path(),
        &["validate", "catalogue.yaml", "--format", "concise"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        errors(&out).contains("catalogue.yaml:9:73: error"),
        "{}",
        errors(&out)
    );
    refused("    sanitise: \"a: b.sql\"\n", "8:15", "`: `");
}

#[test]
fn a_cronjob_name_over_52_characters_is_refused() {
    let long = "a".repeat(34) + "-postgres";
    let text = catalogue("").replace("chat-postgres", &long);
    validate_refuses(&text, "catalogue.yaml:7:3: error[model] the CronJob name");
}

#[test]
fn env_var_names_must_be_c_identifiers() {
    refused(
        "    extra_env: [{name: \"1-X\", value: y}]\n",
        "8:17",
        "C identifier",
    );
}

#[test]
fn a_deadline_helm_cannot_print_exactly_is_refused() {
    refused(
        "    max_runtime_seconds: 9223372036854775807\n",
        "8:26",
        "max_runtime_seconds",
    );
}

#[test]
fn an_image_with_a_space_is_refused() {
    let text = catalogue("").replace("repository: toolbox,", "repository: \"tool box\",");
    validate_refuses(&text, "catalogue.yaml:5:33: error[model] image repository");
}

#[test]
fn a_service_account_that_is_not_a_dns_name_is_refused() {
    let text = catalogue("").replace(
        "chart:\n",
        "chart:\n  serviceAccount: {create: true, name: \"Db_Backup\"}\n",
    );
    validate_refuses(&text, "catalogue.yaml:5:40: error[model] service account");
}

#[test]
fn alert_labels_hold_no_templates() {
    let text = format!(
        "{}alerts:\n  labels: {{severity: \"{{{{ .ExternalLabels }}}}\"}}\n",
        catalogue("")
    );
    validate_refuses(
        &text,
        "catalogue.yaml:11:22: error[model] alert label `severity`",
    );
}

/// A chart without a toolbox image: validate said valid, then render failed
/// with no place.
#[test]
fn validate_checks_the_chart_settings_render_needs() {
    let text = catalogue("").replace(
        "  toolbox: {image: {repository: toolbox, tag: v1}}\n",
        "  arch: amd64\n",
    );
    validate_refuses(
        &text,
        "catalogue.yaml:4:1: error[model] the chart settings have no toolbox image",
    );
}

#[test]
fn a_bad_environment_name_is_reported_at_its_key() {
    let text = catalogue("")
        .replace("  staging: {", "  Staging: {")
        .replace("    staging: 47", "    Staging: 47");
    validate_refuses(&text, "catalogue.yaml:3:3: error[schema]");
}

/// In chart mode, lint reports a values file that already holds a value
/// the chart prints unsafely.
#[test]
fn lint_of_a_chart_reports_an_unsafe_value_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join(CHART_VALUES);
    std::fs::create_dir_all(values.parent().unwrap().join("scripts")).unwrap();
    std::fs::write(
        &values,
        "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"1 1 * * *\"\n      db: \"a: b\"\n      operations: [{op: backup}]\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["lint", "--chart-repo", ".", "--format", "concise"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("charts/db-backup/values.yaml:5:11: error[unsafe-value]"),
        "{stdout}"
    );
}

/// In chart mode the values are checked as the checkout's own templates
/// print them: quoting a field there lets through what it quotes, a new
/// unquoted field is checked, and templates envsync cannot follow are said
/// to be, with the values checked as the bundled chart prints them.
#[test]
fn lint_of_a_chart_follows_the_charts_own_templates() {
    let lint = |edit: &dyn Fn(String) -> String, values: &str| {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("charts/db-backup");
        common::copy_dir(&common::manifest_dir().join("bench/chart"), &chart);
        let helpers = chart.join("templates/_helpers.tpl");
        let text = std::fs::read_to_string(&helpers).unwrap();
        std::fs::write(&helpers, edit(text)).unwrap();
        std::fs::create_dir_all(chart.join("scripts")).unwrap();
        let job = "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"1 1 * * *\"\n      operations: [{op: backup}]\n";
        std::fs::write(chart.join("values.yaml"), format!("{job}{values}")).unwrap();
        let out = run(
            dir.path(),
            &["lint", "--chart-repo", ".", "--format", "concise"],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let same = |t: String| t;
    let db = "      db: \"a: b\"\n";
    assert!(
        lint(&same, db).contains("values.yaml:6:11: error[unsafe-value] `db`"),
        "{}",
        lint(&same, db)
    );

    let quoted = |t: String| {
        let bare = "value: {{ $op.db | default $job.db }}";
        assert!(t.contains(bare));
        t.replace(bare, "value: {{ $op.db | default $job.db | quote }}")
    };
    assert!(
        !lint(&quoted, db).contains("unsafe-value"),
        "{}",
        lint(&quoted, db)
    );

    let replica_set = "      replicaSet: \"a: b\"\n";
    assert!(
        !lint(&same, replica_set).contains("unsafe-value"),
        "{}",
        lint(&same, replica_set)
    );
    let printed = |t: String| {
        t.replace(
            "    - name: PROMETHEUS_PUSHGATEWAY_URL",
            "    - name: REPLICA_SET\n      value: {{ .job.replicaSet }}\n    - name: PROMETHEUS_PUSHGATEWAY_URL",
        )
    };
    let found = lint(&printed, replica_set);
    assert!(
        found.contains("values.yaml:6:19: error[unsafe-value] `replica_set` \"a: b\""),
        "{found}"
    );

    let unfollowed = |t: String| t.replace("{{ .host }}", "{{ $nohost }}");
    let found = lint(&unfollowed, db);
    assert!(
        found.contains("warning[unsafe-value] the chart's templates could not be followed"),
        "{found}"
    );
    assert!(
        found.contains(
            "(./charts/db-backup/templates/_helpers.tpl:81: undefined variable `$nohost`"
        ),
        "{found}"
    );
    assert!(
        found.contains("values.yaml:6:11: error[unsafe-value] `db`"),
        "{found}"
    );
}

/// diff, apply and render into a checkout check a catalogue's values as
/// the checkout's templates print them too.
#[test]
fn apply_checks_values_as_the_checkouts_templates_print_them() {
    let dir = tempfile::tempdir().unwrap();
    let settings = "    replica_set: \"a: b\"\n";
    std::fs::write(dir.path().join("catalogue.yaml"), catalogue(settings)).unwrap();
    let chart = dir.path().join("charts/db-backup");
    let templates = chart.join("templates");
    common::copy_dir(&common::manifest_dir().join("bench/chart"), &chart);
    std::fs::write(chart.join("values.yaml"), "cronjobs:\n").unwrap();
    std::fs::create_dir_all(dir.path().join("charts/monitoring-config/rules")).unwrap();
    let args = ["apply", "catalogue.yaml", "--chart-repo", "."];
    // bench/chart passes replicaSet over.
    let out = run(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", errors(&out));

    let helpers = templates.join("_helpers.tpl");
    let text = std::fs::read_to_string(&helpers).unwrap().replace(
        "    - name: PROMETHEUS_PUSHGATEWAY_URL",
        "    - name: REPLICA_SET\n      value: {{ .job.replicaSet }}\n    - name: PROMETHEUS_PUSHGATEWAY_URL",
    );
    std::fs::write(&helpers, text).unwrap();
    let before = std::fs::read(chart.join("values.yaml")).unwrap();
    for command in ["apply", "diff", "render"] {
        let mut args = vec![command, "catalogue.yaml", "--chart-repo", "."];
        if command == "render" {
            args.extend(["--out", "out"]);
        }
        let out = run(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", errors(&out));
        assert!(
            errors(&out).contains("catalogue.yaml:8:18"),
            "{command}: {}",
            errors(&out)
        );
    }
    assert_eq!(std::fs::read(chart.join("values.yaml")).unwrap(), before);
}

/// render --chart-repo takes the chart settings from the checkout, which
/// are checked as a catalogue's are.
#[test]
fn render_checks_the_chart_settings_of_a_checkout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalogue.yaml"), catalogue("")).unwrap();
    let values = dir.path().join(CHART_VALUES);
    std::fs::create_dir_all(values.parent().unwrap()).unwrap();
    std::fs::write(
        &values,
        "toolbox:\n  image: {repository: toolbox, tag: \"v 1\"}\ncronjobs: {}\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "render",
            "catalogue.yaml",
            "--chart-repo",
            ".",
            "--out",
            "out",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", errors(&out));
    assert!(errors(&out).contains("image tag"), "{}", errors(&out));
    assert!(!dir.path().join("out").exists());
}

/// The README's example catalogue validates and renders.
#[test]
fn the_readmes_example_validates_and_renders() {
    let readme = std::fs::read_to_string(common::manifest_dir().join("README.md")).unwrap();
    let section = &readme[readme.find("## The catalogue").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalogue.yaml"), example).unwrap();
    let out = run(dir.path(), &["validate", "catalogue.yaml"]);
    assert!(out.status.success(), "{}", errors(&out));
    let out = run(dir.path(), &["render", "catalogue.yaml", "--out", "out"]);
    assert!(out.status.success(), "{}", errors(&out));
    assert!(dir.path().join("out/manifests/staging.yaml").is_file());
}

/// Control characters from a file or an argument reach the terminal
/// escaped: in a problem's message and source line, in an error, in
/// explain's and lint's output.
#[test]
fn terminal_output_escapes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let attack = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}";
    // Raw in the file (YAML refuses it), and escaped in a string (the
    // catalogue refuses it).
    let raw = catalogue(&format!("    db: x{attack}\n"));
    let quoted = catalogue("    db: \"x\\e[2J\\u202e\"\n");
    for (name, text) in [("raw.yaml", raw), ("quoted.yaml", quoted)] {
        std::fs::write(dir.path().join(name), text).unwrap();
        for args in [
            vec!["validate", name],
            vec!["validate", name, "--format", "concise"],
            vec!["lint", name],
            vec!["render", name, "--out", "out"],
            vec!["explain", "chat-postgres", "--env", "staging", name],
            vec!["schedule", name],
        ] {
            let out = run(dir.path(), &args);
            assert_ne!(out.status.code(), Some(0), "{args:?}");
            for stream in [&out.stdout, &out.stderr] {
                let text = String::from_utf8_lossy(stream);
                assert!(
                    !text.contains(['\u{1b}', '\u{7}', '\u{202e}']),
                    "{args:?}: {text:?}"
                );
            }
        }
    }
    let out = run(
        dir.path(),
        &[
            "explain",
            "chat\u{1b}[2J",
            "--env",
            "staging",
            "quoted.yaml",
        ],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
}

/// `CATALOGUE` with a search index sync of cluster `CLUSTER`, restored in
/// staging from production, whose settings `SEARCH` replaces.
fn with_search(cluster: &str, settings: &str) -> String {
    let search = format!(
        "search:
  chart:
    toolbox: {{image: {{repository: toolbox, tag: v1}}}}
  clusters:
    {cluster}:
{settings}      production: 51 1 * * *
      staging: 50 2 * * *
"
    );
    catalogue("") + &search
}

#[test]
fn a_search_cronjob_name_over_52_characters_is_refused() {
    // search-index-env-sync-<cluster>-snapshot: 22 + 28 + 9 = 59.
    let text = with_search(&"c".repeat(28), "");
    validate_refuses(
        &text,
        "catalogue.yaml:15:19: error[model] the CronJob name `search-index-env-sync-cccccccccccccccccccccccccccc-snapshot` is 59 characters",
    );
    // 21 characters give 52 for the snapshot, 51 for `-cp-prod`: accepted.
    let dir = tempfile::tempdir().unwrap();
    let text = with_search(&"c".repeat(21), "");
    std::fs::write(dir.path().join("catalogue.yaml"), text).unwrap();
    let out = run(dir.path(), &["validate", "catalogue.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", errors(&out));
}

#[test]
fn a_search_secret_kubernetes_would_refuse_is_refused() {
    let text = with_search("chat", "      credentials: Chat_Secret\n");
    validate_refuses(
        &text,
        "error[model] secret \"Chat_Secret\" is not a DNS-1123 subdomain",
    );
}

#[test]
fn a_search_variable_name_must_be_a_c_identifier() {
    let text = with_search("chat", "      extra_env: [{name: \"A-B\", value: x}]\n");
    validate_refuses(
        &text,
        "environment variable name \"A-B\" is not a C identifier",
    );
}

#[test]
fn the_search_chart_image_is_checked_as_the_database_one() {
    let text =
        with_search("chat", "").replace("tag: v1}}\n  clusters", "tag: \"v 1\"}}\n  clusters");
    validate_refuses(
        &text,
        "catalogue.yaml:12:49: error[model] image tag \"v 1\"",
    );
}

#[test]
fn lint_of_a_chart_reports_an_unsafe_search_value_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let search = dir.path().join("charts/search-index-env-sync/values.yaml");
    std::fs::create_dir_all(search.parent().unwrap()).unwrap();
    std::fs::write(
        &search,
        "cronjobs:
  staging:
    chat-cp-prod:
      schedule: \"50 2 * * *\"
      args: [restore_latest]
      extraEnv:
        - {name: SNAPSHOT_REPO, value: govuk-production}
        - name: SEARCH_PASSWORD
          valueFrom: {secretKeyRef: {name: Chat_Secret, key: password}}
",
    )
    .unwrap();
    let values = dir.path().join(CHART_VALUES);
    std::fs::create_dir_all(values.parent().unwrap()).unwrap();
    std::fs::write(&values, "cronjobs:\n  production: {}\n").unwrap();
    let out = run(
        dir.path(),
        &["lint", "--chart-repo", ".", "--format", "concise"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", errors(&out));
    assert!(
        stdout.contains(
            "charts/search-index-env-sync/values.yaml:3:5: error[unsafe-value] secret \"Chat_Secret\""
        ),
        "{stdout}"
    );
}
