//! Prints a synthetic catalogue of N databases, for benchmarks:
//! `cargo run --release --example gen_catalogue -- 1000 > big.yaml`.
//!
//! Schedules are like GOV.UK's: production nightly between 21:00 and 04:59,
//! staging on weekdays a couple of hours later, integration weekly. Every
//! fourth database is sanitised, every seventh backs up only, and some have
//! speed groups and profiles. The output is the same for the same N.

use std::fmt::Write;

fn main() {
    let n: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: gen_catalogue N");
            std::process::exit(2);
        }
    };
    print!("{}", catalogue(n));
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

fn catalogue(n: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::new();
    out.push_str(
        "# A synthetic catalogue for benchmarks.\n\
         environments:\n  production:\n  staging: {restore_from: production}\n  \
         integration: {restore_from: staging, wider_access: true}\n\n\
         profiles:\n  big-memory:\n    resources: {limits: {memory: 2048Mi}, requests: {memory: 2048Mi}}\n  \
         mongo-resources:\n    resources: {limits: {memory: 1280Mi}, requests: {memory: 768Mi}}\n\n\
         databases:\n",
    );
    for i in 0..n {
        let dbms = ["postgres", "postgres", "mysql", "documentdb"][rng.below(4) as usize];
        let name = format!("app-{i}-{dbms}");
        let _ = writeln!(out, "  {name}:\n    db: app_{i}_production");
        let sanitised = i % 4 == 0;
        if sanitised {
            let ext = if dbms == "documentdb" { "js" } else { "sql" };
            let _ = writeln!(out, "    sanitise: app-{i}.{ext}");
        }
        if dbms == "documentdb" {
            out.push_str("    profile: mongo-resources\n");
        } else if i % 11 == 0 {
            out.push_str("    profile: big-memory\n");
        }
        match i % 13 {
            0 => out.push_str("    speed: {backup: slower, restore: slowest}\n"),
            5 => out.push_str("    speed: slower\n"),
            _ => {}
        }
        // Production: every night between 21:00 and 04:59.
        let minute = rng.below(60);
        let hour = (21 + rng.below(8)) % 24;
        let _ = writeln!(out, "    production: {minute:02} {hour} * * *");
        if i % 7 == 3 {
            continue; // production only
        }
        // Staging: weekdays, a couple of hours later; the days shift with midnight.
        let staging_hour = (hour + 2) % 24;
        let days = if staging_hour < hour { "1-5" } else { "0-4" };
        if i % 7 == 5 {
            let _ = writeln!(
                out,
                "    staging: {{schedule: {minute:02} {staging_hour} * * {days}, suspend: true}}"
            );
        } else {
            let _ = writeln!(out, "    staging: {minute:02} {staging_hour} * * {days}");
        }
        // Integration: weekly, from staging.
        let day = 1 + rng.below(5);
        let integration_hour = (staging_hour + 2) % 24;
        if i % 9 == 2 {
            let _ = writeln!(
                out,
                "    integration: {{schedule: {minute:02} {integration_hour} * * {day}, steps: [backup]}}"
            );
        } else {
            let _ = writeln!(
                out,
                "    integration: {minute:02} {integration_hour} * * {day}"
            );
        }
    }
    out
}
