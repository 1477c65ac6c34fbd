//! `envsync import`: a catalogue from a db-backup values file.

use super::{Error, Format, invalid, print, read};
use crate::model::plan::Plan;
use crate::output::{self, File};
use crate::read::{rules, yaml};
use crate::render::catalogue;
use std::path::{Path, PathBuf};

/// What to import: either chart's values, and the alert rules.
pub struct Sources {
    pub values: Option<PathBuf>,
    pub search_values: Option<PathBuf>,
    pub rules: Option<PathBuf>,
}

impl Sources {
    /// Everything a govuk-helm-charts checkout holds of the sync: the
    /// db-backup values and the alert rules, and the search-index-env-sync
    /// values where the checkout has that chart.
    pub fn checkout(repo: &Path) -> Sources {
        let search = repo.join(crate::render::SEARCH_VALUES);
        let rules = repo.join(crate::render::RULES);
        Sources {
            values: Some(repo.join(crate::render::VALUES)),
            search_values: search.is_file().then_some(search),
            rules: rules.is_dir().then_some(rules),
        }
    }
}

pub fn run(
    sources: &Sources,
    output: Option<&Path>,
    keep_invalid_schedules: bool,
    facts: Option<&Path>,
) -> Result<(), Error> {
    let (mut plan, text) = match &sources.values {
        Some(values_path) => {
            let (plan, text) = db_backup(values_path, sources, keep_invalid_schedules, facts)?;
            (plan, text)
        }
        None => (Plan::default(), String::new()),
    };
    if let Some(path) = &sources.search_values {
        let text = read(path)?;
        let search = match crate::read::search::import(path, &text) {
            Ok((search, problems)) if problems.is_empty() => search,
            Ok((_, problems)) | Err(problems) => {
                return Err(invalid(path, text, problems, Format::Human));
            }
        };
        for env in crate::read::search::environments(&search) {
            if plan.environment(&env.name).is_none() {
                plan.environments.push(env);
            }
        }
        plan.search = Some(search);
    }
    let comments = catalogue::Comments::in_values(&text);
    let profiles = catalogue::profiles_in_values(&text);
    let data = catalogue::catalogue(&plan, &profiles)
        .map_err(|e| Error::Usage(format!("cannot write the catalogue: {e}")))?;
    let body = yaml::to_string(&catalogue::WithComments {
        data: &data,
        comments: &comments,
    })?;
    write(output, &body)?;
    for line in facts_to_add(&plan, &comments) {
        eprintln!("{line}");
    }
    Ok(())
}

/// Writes the catalogue to `output`, with the schema beside it where it finds
/// none to point at, or to standard output.
fn write(output: Option<&Path>, body: &str) -> Result<(), Error> {
    match output {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = path
                .file_name()
                .map(PathBuf::from)
                .ok_or_else(|| Error::Usage(format!("{} is not a file name", path.display())))?;
            let found = schema_near(dir);
            let schema = found.as_deref().unwrap_or(SCHEMA_FILE);
            let header = format!("# yaml-language-server: $schema={schema}\n");
            let mut files = vec![File::new(name, format!("{header}{body}"))];
            if found.is_none() {
                files.push(File::new(
                    SCHEMA_FILE,
                    crate::read::schema::SCHEMA.to_owned(),
                ));
            }
            output::write_all(dir, &files)?;
            eprintln!("wrote {}", path.display());
            if found.is_none() {
                eprintln!("wrote {}", path.with_file_name(SCHEMA_FILE).display());
            }
            Ok(())
        }
        None => print(format!("{STDOUT_SCHEMA_HEADER}{body}")),
    }
}

/// The summary of the facts a values file cannot hold and lint's rules
/// need, which a person should add: `wider_access` of the environments
/// (none set), then each database's `personal_data` where it is sanitised
/// somewhere and `run_before` where a comment speaks of before or after,
/// then how many other databases have neither. Facts already in the plan
/// (from `.envsync.yaml`) are not asked for. Empty for a plan with no jobs.
fn facts_to_add(plan: &Plan, comments: &catalogue::Comments) -> Vec<String> {
    let names = catalogue::database_names(plan);
    if names.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        "facts a values file cannot hold, which lint needs; add those that hold to the catalogue (or to the checkout's .envsync.yaml):".to_owned(),
    ];
    if !plan.environments.iter().any(|e| e.wider_access) {
        lines.push(
            "  environments: none has `wider_access: true`; set it on each environment more people can read than the one it restores from (unsanitised-copy checks the restores into those)"
                .to_owned(),
        );
    }
    let mut others = 0;
    for name in &names {
        let jobs: Vec<_> = plan.jobs().filter(|(_, j)| &j.name == name).collect();
        let mut asks = Vec::new();
        if !jobs.iter().any(|(_, j)| j.personal_data) {
            let mut scripts: Vec<(&str, Vec<&str>)> = Vec::new();
            for (env, job) in &jobs {
                for script in job.operations.iter().filter_map(|o| o.script.as_deref()) {
                    match scripts.iter_mut().find(|(s, _)| *s == script) {
                        Some((_, envs)) => envs.push(&env.name),
                        None => scripts.push((script, vec![&env.name])),
                    }
                }
            }
            let sanitised: Vec<String> = scripts
                .iter()
                .map(|(script, envs)| format!("{script} in {}", envs.join(" and ")))
                .collect();
            if !sanitised.is_empty() {
                asks.push(format!(
                    "`personal_data: true`? it is sanitised ({})",
                    sanitised.join(", ")
                ));
            }
        }
        if !plan.orders.iter().any(|o| &o.first == name) {
            let said: Vec<String> = jobs
                .iter()
                .flat_map(|(env, _)| {
                    let lines = comments.of(&env.name, name).iter();
                    lines
                        .filter(|l| {
                            let l = l.to_lowercase();
                            l.contains("before") || l.contains("after")
                        })
                        .map(|l| format!("{}: \"{l}\"", env.name))
                })
                .collect();
            if !said.is_empty() {
                asks.push(format!(
                    "`run_before`? its comments say {}",
                    said.join(", ")
                ));
            }
        }
        if asks.is_empty() {
            others += 1;
        } else {
            lines.push(format!("  {name}: {}", asks.join("; ")));
        }
    }
    if others > 0 {
        lines.push(format!(
            "  {others} other databases: `personal_data: true` on each that holds personal data (unsanitised-copy), `run_before` where one must be copied before another (order)"
        ));
    }
    lines
}

/// The plan of a db-backup values file, with the speeds of the rules and
/// the facts beside it; and the file's text.
fn db_backup(
    values_path: &Path,
    sources: &Sources,
    keep_invalid_schedules: bool,
    facts: Option<&Path>,
) -> Result<(Plan, String), Error> {
    let text = read(values_path)?;
    let imported = if keep_invalid_schedules {
        crate::read::values::import_keeping_invalid_schedules(values_path, &text)
    } else {
        crate::read::values::import(values_path, &text)
    };
    let mut plan = match imported {
        Ok(plan) => plan,
        Err(problems) => return Err(invalid(values_path, text, problems, Format::Human)),
    };
    if let Some(dir) = &sources.rules {
        rules::import_speeds(&mut plan, dir)?;
        rules::import_alert_settings(&mut plan, dir)?;
    }
    let facts = facts
        .map(Path::to_owned)
        .or_else(|| facts_beside(values_path));
    if let Some(path) = facts {
        let text = read(&path)?;
        match crate::read::facts::read(&path, &text) {
            Ok(facts) => facts.apply(&mut plan),
            Err(problems) => return Err(invalid(&path, text, problems, Format::Human)),
        }
    }
    if let Some(dir) = &sources.rules {
        keep_alerts(&mut plan, dir)?;
    }
    Ok((plan, text))
}

/// Keeps the "not completed" windows of the chart's rules that differ from
/// the derived ones, and lists the rules envsync does not render as the
/// team's, so that the first apply changes nothing, and says so.
fn keep_alerts(plan: &mut Plan, dir: &Path) -> Result<(), Error> {
    let chart = crate::lint::alerts::AlertRules::read_dir(dir).map_err(|source| {
        rules::ImportError::Io {
            path: dir.to_owned(),
            source,
        }
    })?;
    let templates = crate::render::templates::Templates::load(None)
        .map_err(|e| Error::Usage(format!("cannot load the rules templates: {e}")))?;
    let kept = crate::render::rules::kept_alerts(plan, &templates, &chart);
    if !kept.is_empty() {
        let names: Vec<String> = kept
            .iter()
            .map(|k| format!("{} {:?}", k.environment, k.alert))
            .collect();
        eprintln!(
            "kept {} \"not completed\" alert(s) as the chart's rules have them, so that apply changes nothing: {}. \
             They check other hours or instances than the ones derived from the schedules (envsync lint says how); \
             delete an entry of alerts.not_completed.kept to render the derived alert.",
            kept.len(),
            names.join(", ")
        );
    }
    plan.alerts.not_completed.kept = kept;
    // A plan whose rules cannot be rendered has no rules to set apart
    // from the team's (diff and apply say why it cannot be rendered).
    let Ok(rendered) = crate::render::rules::alerts(plan, &templates) else {
        return Ok(());
    };
    let team = rules::team_rules(dir, &rendered)?;
    if !team.is_empty() {
        let names: Vec<String> = team
            .iter()
            .map(|t| match &t.environment {
                Some(env) => format!("{env} {:?}", t.alert),
                None => format!("{:?}", t.alert),
            })
            .collect();
        eprintln!(
            "left {} rule(s) of the chart's rules files to the team, as envsync renders none of that name there: {}. \
             diff and apply leave each as it is (alerts.team_rules); delete an entry to have apply remove the rule.",
            team.len(),
            names.join(", ")
        );
    }
    plan.alerts.team_rules = team;
    Ok(())
}

/// The `.envsync.yaml` of the checkout whose chart values these are, if it
/// has one.
fn facts_beside(values: &Path) -> Option<PathBuf> {
    let chart = values.parent()?;
    if !chart.ends_with(crate::chart::CHART) {
        return None;
    }
    let root = chart.parent()?.parent()?;
    Some(root.join(crate::read::facts::FILE)).filter(|p| p.is_file())
}

/// Where `import -o` writes the catalogue's schema, beside the catalogue,
/// when it finds none to point at.
const SCHEMA_FILE: &str = "catalogue.schema.json";

/// The header of a catalogue imported to standard output, which has no
/// folder to look for the schema in or to write it to.
const STDOUT_SCHEMA_HEADER: &str = "# yaml-language-server: $schema=catalogue.schema.json\n\
    # (write that file beside this one with: envsync schema > catalogue.schema.json)\n";

/// The path, from `dir`, of a `catalogue.schema.json` or
/// `schema/catalogue.schema.json` in `dir` or a folder above it. `dir` may
/// not exist yet: the search starts from the nearest folder that does.
fn schema_near(dir: &Path) -> Option<String> {
    let (missing, existing) = dir.ancestors().enumerate().find_map(|(up, folder)| {
        let found = std::fs::canonicalize(Path::new(".").join(folder)).ok()?;
        Some((up, found))
    })?;
    existing.ancestors().enumerate().find_map(|(up, folder)| {
        [SCHEMA_FILE, "schema/catalogue.schema.json"]
            .into_iter()
            .find(|candidate| folder.join(candidate).is_file())
            .map(|candidate| format!("{}{candidate}", "../".repeat(missing + up)))
    })
}
