//! `envsync schedule`: the week at a glance, as text or as an SVG picture.
//!
//! A run is drawn from its start to its start plus its budget: the sum of
//! its operations' "taking a long time" thresholds (the time after which
//! every one of its alerts would have fired). A restore is linked to the
//! backup of the same job in the environment it restores from. The runs of
//! a job are red when lint flags the job with a rule about when jobs run
//! (see [`lint_findings`]): what the picture shows in red is what
//! `envsync lint` reports.

use crate::cron::Schedule;
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::{Environment, Job, Op, Plan};
use crate::model::search::Action;
use jiff::{Timestamp, ToSpan};
use std::collections::HashMap;
use std::fmt::Write;

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
/// The budget of a run that has no thresholds at all.
const DEFAULT_BUDGET: i64 = 3_600;

/// One run of a job in the week.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub env: String,
    pub job: String,
    pub start: Timestamp,
    /// Seconds: the sum of its operations' thresholds.
    pub budget: i64,
    /// The operations, in order.
    pub ops: Vec<String>,
    /// The source run this restores from: (environment, start).
    pub source: Option<(String, Timestamp)>,
    /// The source's job, when it is not this job's name there (a search
    /// restore reads its cluster's snapshot).
    pub source_job: Option<String>,
    /// A search index sync (of the search-index-env-sync chart).
    pub search: bool,
    /// The lint findings about its job's timing, which draw it in red;
    /// empty when it is fine.
    pub problems: Vec<Diagnostic>,
    /// For a job that runs more than [`DRAWN_PER_DAY`] times a day, the one
    /// run drawn for the day stands for all of them: the start of the last,
    /// and how often they come.
    pub repeats: Option<(Timestamp, String)>,
}

impl Run {
    pub fn end(&self) -> Timestamp {
        let last = self.repeats.as_ref().map_or(self.start, |(last, _)| *last);
        last.checked_add(self.budget.seconds()).unwrap_or(last)
    }
}

/// The most runs of one job drawn in a day: a job that runs more often is
/// drawn as one run from its first start to its last, so that the work is
/// bounded by the size of the catalogue, not by how often its jobs run.
pub const DRAWN_PER_DAY: usize = 4;

/// The Monday 00:00 UTC that starts the week containing `now`.
pub fn week_start(now: Timestamp) -> Timestamp {
    let date = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    let monday = date.checked_sub(back.days()).unwrap_or(date);
    monday
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(now)
}

/// A job's budget in seconds: the sum of its operations' thresholds.
pub fn budget(plan: &Plan, env: &Environment, job: &Job) -> i64 {
    let long = &plan.alerts.taking_a_long_time;
    let total: u64 = job
        .operations
        .iter()
        .filter_map(|op| {
            let kind = op.kind()?;
            long.for_op(&env.name, kind)
                .effective(op.speed)
                .map(|(_, d)| d.as_secs())
        })
        .sum();
    if total == 0 {
        DEFAULT_BUDGET
    } else {
        i64::try_from(total).unwrap_or(DEFAULT_BUDGET)
    }
}

/// A job's runs in each day from `from` to `until`: each start, with the
/// last start and the words for how often for a day of more than
/// [`DRAWN_PER_DAY`] runs, which is given as one.
fn runs_between(
    schedule: &Schedule,
    from: Timestamp,
    until: Timestamp,
) -> Vec<(Timestamp, Option<(Timestamp, String)>)> {
    let mut out = Vec::new();
    let mut day = from;
    while day < until {
        let day_end = day.checked_add(DAY.seconds()).unwrap_or(until).min(until);
        let mut starts = Vec::new();
        let mut t = day.checked_sub(1.second()).unwrap_or(day);
        while let Some(next) = schedule.next_after(t).filter(|n| *n < day_end) {
            if starts.len() == DRAWN_PER_DAY {
                let before_end = day_end.checked_sub(1.second()).unwrap_or(day_end);
                let last = schedule.last_at_or_before(before_end).unwrap_or(next);
                out.push((starts[0], Some((last, schedule.describe()))));
                starts.clear();
                break;
            }
            starts.push(next);
            t = next;
        }
        out.extend(starts.into_iter().map(|t| (t, None)));
        day = day_end;
    }
    out
}

/// The source's last start at or before `t`, looking back up to a week.
fn source_start(source: &Schedule, t: Timestamp) -> Option<Timestamp> {
    let last = source.last_at_or_before(t)?;
    (t.as_second() - last.as_second() <= WEEK).then_some(last)
}

/// Every run in the week starting at `start`, sorted by time, then
/// environment order, then job name. Suspended jobs are left out.
pub fn week(plan: &Plan, start: Timestamp) -> Vec<Run> {
    let until = start.checked_add(WEEK.seconds()).unwrap_or(start);
    let mut runs = Vec::new();
    for env in &plan.environments {
        for job in &env.jobs {
            if job.suspended(&plan.chart) {
                continue;
            }
            let Ok(schedule) = Schedule::parse(&job.schedule) else {
                continue;
            };
            let ops: Vec<String> = job.operations.iter().map(|o| o.op.clone()).collect();
            let budget = budget(plan, env, job);
            let source = source_schedule(plan, env, job);
            for (t, repeats) in runs_between(&schedule, start, until) {
                runs.push(Run {
                    env: env.name.clone(),
                    job: job.name.clone(),
                    start: t,
                    budget,
                    ops: ops.clone(),
                    source: source
                        .as_ref()
                        .and_then(|(name, s)| Some((name.clone(), source_start(s, t)?))),
                    source_job: None,
                    search: false,
                    problems: Vec::new(),
                    repeats,
                });
            }
        }
    }
    runs.extend(search_week(plan, start, until));
    let order = |name: &str| plan.environments.iter().position(|e| e.name == name);
    runs.sort_by(|a, b| (a.start, order(&a.env), &a.job).cmp(&(b.start, order(&b.env), &b.job)));
    runs
}

/// The search index syncs' runs in the week: each a snapshot or a restore
/// taken to last its duration, a restore linked to the newest snapshot of
/// its cluster in its source environment.
fn search_week(plan: &Plan, start: Timestamp, until: Timestamp) -> Vec<Run> {
    let Some(search) = &plan.search else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    for (env, job) in search.jobs().filter(|(_, j)| !j.suspended()) {
        let Ok(schedule) = job.cron() else {
            continue;
        };
        let what = match job.action {
            Action::Snapshot => format!("search snapshot of {}", job.cluster),
            Action::Restore => format!("search restore into {}", job.cluster),
        };
        let source = job.from.as_deref().and_then(|from| {
            let (_, src) = search.jobs().find(|(e, j)| {
                e.name == from
                    && j.cluster == job.cluster
                    && j.action == Action::Snapshot
                    && !j.suspended()
            })?;
            Some((from.to_owned(), src.name.clone(), src.cron().ok()?))
        });
        for (t, repeats) in runs_between(&schedule, start, until) {
            runs.push(Run {
                env: env.name.clone(),
                job: job.name.clone(),
                start: t,
                budget: i64::try_from(job.duration).unwrap_or(DEFAULT_BUDGET),
                ops: vec![what.clone()],
                source: source
                    .as_ref()
                    .and_then(|(from, _, s)| Some((from.clone(), source_start(s, t)?))),
                source_job: source.as_ref().map(|(_, name, _)| name.clone()),
                search: true,
                problems: Vec::new(),
                repeats,
            });
        }
    }
    runs
}

/// For a job that restores, the source environment and the schedule of
/// the same job there, whose newest run at or before each restore's start
/// (looking back up to a week) is the one it reads.
fn source_schedule(plan: &Plan, env: &Environment, job: &Job) -> Option<(String, Schedule)> {
    if !job.operations.iter().any(|o| o.kind() == Some(Op::Restore)) {
        return None;
    }
    let source = plan.environment(env.restore_from.as_deref()?)?;
    let src = source.jobs.iter().find(|j| j.name == job.name)?;
    if src.suspended(&plan.chart) {
        return None;
    }
    Some((source.name.clone(), Schedule::parse(&src.schedule).ok()?))
}

/// Gives each run the findings about its job (same environment and job).
pub fn mark(runs: &mut [Run], findings: &[Diagnostic]) {
    let mut by_job: HashMap<(&str, &str), Vec<Diagnostic>> = HashMap::new();
    for d in findings {
        if let (Some(env), Some(job)) = (d.env.as_deref(), d.job.as_deref()) {
            by_job.entry((env, job)).or_default().push(d.clone());
        }
    }
    for run in runs {
        if let Some(found) = by_job.get(&(run.env.as_str(), run.job.as_str())) {
            run.problems.clone_from(found);
        }
    }
}

/// The names of an environment's search index syncs.
fn search_jobs<'a>(plan: &'a Plan, env: &'a str) -> impl Iterator<Item = &'a String> {
    plan.search
        .iter()
        .flat_map(|s| s.jobs())
        .filter(move |(e, _)| e.name == env)
        .map(|(_, j)| &j.name)
}

fn hhmm(t: Timestamp) -> String {
    t.strftime("%H:%M").to_string()
}

fn budget_words(seconds: i64) -> String {
    crate::model::alerts::Duration::seconds(u64::try_from(seconds).unwrap_or(0)).for_clause()
}

/// The week as text: per day (Monday to Sunday) and environment, every run
/// sorted by time.
pub fn text(plan: &Plan, start: Timestamp, runs: &[Run]) -> String {
    let mut out = String::new();
    for day in 0..7 {
        let day_start = start.checked_add((day * DAY).seconds()).unwrap_or(start);
        let day_end = day_start.checked_add(DAY.seconds()).unwrap_or(day_start);
        let _ = writeln!(out, "{}", day_start.strftime("%A %d %B %Y"));
        let today: Vec<&Run> = runs
            .iter()
            .filter(|r| r.start >= day_start && r.start < day_end)
            .collect();
        if today.is_empty() {
            let _ = writeln!(out, "  (nothing runs)");
        }
        for env in &plan.environments {
            let here: Vec<&&Run> = today.iter().filter(|r| r.env == env.name).collect();
            if here.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {}", env.name);
            for r in here {
                let mut line = format!(
                    "    {}  {}  ({}; up to {})",
                    hhmm(r.start),
                    r.job,
                    r.ops.join(", "),
                    budget_words(r.budget)
                );
                if let Some((last, words)) = &r.repeats {
                    let _ = write!(line, ", {words} until {}", hhmm(*last));
                }
                if let Some((source, t)) = &r.source {
                    let _ = write!(line, " from {source}'s {}", t.strftime("%a %H:%M"));
                }
                if !r.problems.is_empty() {
                    let rules: Vec<&str> = r.problems.iter().map(|d| d.rule.as_str()).collect();
                    let _ = write!(line, "  !! {}", rules.join(", "));
                }
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out);
    }
    // Each finding once, in the order of the environments and jobs.
    let mut first: HashMap<(&str, &str), &Run> = HashMap::new();
    for r in runs {
        first.entry((r.env.as_str(), r.job.as_str())).or_insert(r);
    }
    let mut flagged: Vec<&Diagnostic> = Vec::new();
    for env in &plan.environments {
        for job in env
            .jobs
            .iter()
            .map(|j| &j.name)
            .chain(search_jobs(plan, &env.name))
        {
            if let Some(run) = first.get(&(env.name.as_str(), job.as_str())) {
                flagged.extend(&run.problems);
            }
        }
    }
    if !flagged.is_empty() {
        let _ = writeln!(out, "Flagged by lint (envsync lint says more):");
        for d in flagged {
            let (env, job) = (
                d.env.as_deref().unwrap_or(""),
                d.job.as_deref().unwrap_or(""),
            );
            let _ = writeln!(
                out,
                "  !! {env}/{job}: {}[{}] {}",
                d.severity, d.rule, d.message
            );
        }
    }
    out
}

/// The week's text with its days and environments bold and its problems
/// in red, as ANSI styles: print it through an `anstream` stream, which
/// drops them where colour is not wanted (not a terminal, `NO_COLOR`;
/// `CLICOLOR_FORCE` keeps them).
pub fn styled(text: &str) -> String {
    let bold = anstyle::Style::new().bold();
    let problem = anstyle::AnsiColor::Red.on_default().bold();
    let mut out = String::with_capacity(text.len() + 1024);
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(at) = line.find("  !! ") {
            let (run, problems) = line.split_at(at);
            let _ = writeln!(out, "{run}{problem}{problems}{problem:#}");
        } else if !line.is_empty() && indent <= 2 && !line.trim_start().starts_with('(') {
            let _ = writeln!(out, "{bold}{line}{bold:#}");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A small SVG writer: every attribute value and text is escaped.
struct Svg {
    out: String,
}

impl Svg {
    fn attrs(&mut self, attrs: &[(&str, String)]) {
        for (name, value) in attrs {
            let _ = write!(self.out, " {name}=\"{}\"", escape(value));
        }
    }
    fn open(&mut self, name: &str, attrs: &[(&str, String)]) {
        let _ = write!(self.out, "<{name}");
        self.attrs(attrs);
        self.out.push_str(">\n");
    }
    fn close(&mut self, name: &str) {
        let _ = writeln!(self.out, "</{name}>");
    }
    fn empty(&mut self, name: &str, attrs: &[(&str, String)]) {
        let _ = write!(self.out, "<{name}");
        self.attrs(attrs);
        self.out.push_str("/>\n");
    }
    fn text(&mut self, name: &str, attrs: &[(&str, String)], text: &str) {
        let _ = write!(self.out, "<{name}");
        self.attrs(attrs);
        let _ = writeln!(self.out, ">{}</{name}>", escape(text));
    }
}

const LABEL_WIDTH: f64 = 230.0;
const HOUR_WIDTH: f64 = 10.0;
const ROW: f64 = 11.0;
const TOP: f64 = 50.0;
const LANE_GAP: f64 = 24.0;
const WEEK_WIDTH: f64 = 7.0 * 24.0 * HOUR_WIDTH;

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// Where the week's environments and jobs go in the picture.
struct Layout {
    /// A row per job: environment, job, y, label.
    rows: Vec<(String, String, f64, String)>,
    /// A lane per environment: environment, top, bottom.
    lanes: Vec<(String, f64, f64)>,
    width: f64,
    height: f64,
}

impl Layout {
    /// Lanes: each environment's jobs, in order, one row each.
    fn of(plan: &Plan) -> Layout {
        let mut rows: Vec<(String, String, f64, String)> = Vec::new();
        let mut lanes: Vec<(String, f64, f64)> = Vec::new();
        let mut y = TOP;
        for env in &plan.environments {
            let lane_top = y;
            y += 16.0;
            for job in &env.jobs {
                rows.push((env.name.clone(), job.name.clone(), y, job.name.clone()));
                y += ROW;
            }
            for job in search_jobs(plan, &env.name) {
                rows.push((env.name.clone(), job.clone(), y, format!("search: {job}")));
                y += ROW;
            }
            y += 4.0;
            lanes.push((env.name.clone(), lane_top, y));
            y += LANE_GAP;
        }
        let height = y + 20.0;
        let width = LABEL_WIDTH + WEEK_WIDTH + 20.0;
        Layout {
            rows,
            lanes,
            width,
            height,
        }
    }

    /// The y of a job's row.
    fn row_y(&self, env: &str, job: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|(e, j, _, _)| e == env && j == job)
            .map(|(_, _, y, _)| *y)
    }
}

/// The x of a time in the week starting at `start`.
fn x_of(start: Timestamp, t: Timestamp) -> f64 {
    let secs = (t.as_second() - start.as_second()) as f64;
    LABEL_WIDTH + secs / 3600.0 * HOUR_WIDTH
}

/// The week as an SVG picture: a lane per environment, a row per job, a bar
/// per run; restores linked to the backup they read; flagged runs in red.
pub fn svg(plan: &Plan, start: Timestamp, runs: &[Run]) -> String {
    let layout = Layout::of(plan);
    let mut svg = Svg { out: String::new() };
    draw_header(&mut svg, &layout, start);
    draw_days(&mut svg, &layout, start);
    draw_lanes(&mut svg, &layout);
    draw_links(&mut svg, &layout, start, runs);
    draw_bars(&mut svg, &layout, start, runs);
    svg.close("svg");
    svg.out
}

/// The opening `svg` element, the white background and the title.
fn draw_header(svg: &mut Svg, layout: &Layout, start: Timestamp) {
    let (width, height) = (layout.width, layout.height);
    svg.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg.open(
        "svg",
        &[
            ("xmlns", "http://www.w3.org/2000/svg".into()),
            ("width", n(width)),
            ("height", n(height)),
            ("viewBox", format!("0 0 {} {}", n(width), n(height))),
            ("font-family", "sans-serif".into()),
        ],
    );
    svg.empty(
        "rect",
        &[
            ("width", n(width)),
            ("height", n(height)),
            ("fill", "white".into()),
        ],
    );
    let end = start.checked_add((WEEK - 1).seconds()).unwrap_or(start);
    svg.text(
        "text",
        &[("x", "10".into()), ("y", "20".into()), ("font-size", "14".into()), ("font-weight", "bold".into())],
        &format!(
            "Database syncs, week of {} to {} (UTC). Bars: start to start + alert thresholds; red: lint flags the job's timing (hover for why).",
            start.strftime("%a %d %b %Y"),
            end.strftime("%a %d %b %Y")
        ),
    );
}

/// The days: alternating shaded columns, named, with lines at 6, 12 and 18.
fn draw_days(svg: &mut Svg, layout: &Layout, start: Timestamp) {
    let height = layout.height;
    for day in 0..7_i32 {
        let x = LABEL_WIDTH + f64::from(day) * 24.0 * HOUR_WIDTH;
        let t = start
            .checked_add((i64::from(day) * DAY).seconds())
            .unwrap_or(start);
        let fill = if day % 2 == 0 { "#f3f2f1" } else { "#ffffff" };
        svg.empty(
            "rect",
            &[
                ("x", n(x)),
                ("y", n(TOP - 14.0)),
                ("width", n(24.0 * HOUR_WIDTH)),
                ("height", n(height - TOP - 6.0)),
                ("fill", fill.into()),
            ],
        );
        svg.text(
            "text",
            &[
                ("x", n(x + 4.0)),
                ("y", n(TOP - 2.0)),
                ("font-size", "11".into()),
            ],
            &t.strftime("%A %d %b").to_string(),
        );
        for hour in [6.0, 12.0, 18.0] {
            let hx = x + hour * HOUR_WIDTH;
            svg.empty(
                "line",
                &[
                    ("x1", n(hx)),
                    ("y1", n(TOP)),
                    ("x2", n(hx)),
                    ("y2", n(height - 20.0)),
                    ("stroke", "#dddddd".into()),
                    ("stroke-width", "0.5".into()),
                ],
            );
        }
    }
}

/// The lanes, boxed and named, and the row labels.
fn draw_lanes(svg: &mut Svg, layout: &Layout) {
    for (env, top, bottom) in &layout.lanes {
        svg.empty(
            "rect",
            &[
                ("x", "4".into()),
                ("y", n(*top)),
                ("width", n(layout.width - 8.0)),
                ("height", n(bottom - top)),
                ("fill", "none".into()),
                ("stroke", "#505a5f".into()),
            ],
        );
        svg.text(
            "text",
            &[
                ("x", "10".into()),
                ("y", n(top + 12.0)),
                ("font-size", "12".into()),
                ("font-weight", "bold".into()),
            ],
            env,
        );
    }
    for (_, _, y, label) in &layout.rows {
        svg.text(
            "text",
            &[
                ("x", "16".into()),
                ("y", n(y + 8.0)),
                ("font-size", "9".into()),
            ],
            label,
        );
    }
}

/// Links from a source backup to the restore that reads it.
fn draw_links(svg: &mut Svg, layout: &Layout, start: Timestamp, runs: &[Run]) {
    // Each job's runs, by start (the runs are sorted by start).
    let mut by_job: HashMap<(&str, &str), Vec<&Run>> = HashMap::new();
    for r in runs {
        by_job
            .entry((r.env.as_str(), r.job.as_str()))
            .or_default()
            .push(r);
    }
    for r in runs {
        let Some((source_env, source_start)) = &r.source else {
            continue;
        };
        let source_job = r.source_job.as_deref().unwrap_or(&r.job);
        let (Some(y1), Some(y2)) = (
            layout.row_y(source_env, source_job),
            layout.row_y(&r.env, &r.job),
        ) else {
            continue;
        };
        // The source's run that started then, or the day's repeated run
        // that stands for it.
        let Some(src) = by_job
            .get(&(source_env.as_str(), source_job))
            .and_then(|list| {
                let i = list.partition_point(|s| s.start <= *source_start);
                list.get(i.checked_sub(1)?).copied()
            })
            .filter(|s| {
                s.start == *source_start
                    || s.repeats
                        .as_ref()
                        .is_some_and(|(last, _)| *source_start <= *last)
            })
        else {
            continue;
        };
        let colour = if r.problems.is_empty() {
            "#1d70b8"
        } else {
            "#d4351c"
        };
        svg.empty(
            "line",
            &[
                ("x1", n(x_of(start, src.end()))),
                ("y1", n(y1 + 4.0)),
                ("x2", n(x_of(start, r.start))),
                ("y2", n(y2 + 4.0)),
                ("stroke", colour.into()),
                ("stroke-width", "0.8".into()),
                ("stroke-opacity", "0.6".into()),
            ],
        );
    }
}

/// A bar per run, titled with what it does and why it is red.
fn draw_bars(svg: &mut Svg, layout: &Layout, start: Timestamp, runs: &[Run]) {
    let week_end = LABEL_WIDTH + WEEK_WIDTH;
    for r in runs {
        let Some(y) = layout.row_y(&r.env, &r.job) else {
            continue;
        };
        let x = x_of(start, r.start);
        let w = (x_of(start, r.end()) - x).min(week_end - x).max(1.0);
        // Search index syncs in purple, database jobs in green.
        let colour = match (r.problems.is_empty(), r.search) {
            (false, _) => "#d4351c",
            (true, true) => "#4c2c92",
            (true, false) => "#00703c",
        };
        svg.open(
            "rect",
            &[
                ("x", n(x)),
                ("y", n(y)),
                ("width", n(w)),
                ("height", "8".into()),
                ("fill", colour.into()),
                ("rx", "2".into()),
            ],
        );
        let mut title = format!(
            "{} {} {} ({}; up to {})",
            r.env,
            r.job,
            r.start.strftime("%a %H:%M"),
            r.ops.join(", "),
            budget_words(r.budget)
        );
        if let Some((last, words)) = &r.repeats {
            let _ = write!(title, ", {words} until {}", hhmm(*last));
        }
        for d in &r.problems {
            let _ = write!(title, "\n{}[{}] {}", d.severity, d.rule, d.message);
        }
        svg.text("title", &[], &title);
        svg.close("rect");
    }
}
