//! Prints a synthetic catalogue of N databases, for benchmarks:
//! `cargo run --release --example gen_catalogue -- 1000 > big.yaml`.
//! See `envsync::synthetic` for what it holds.

fn main() {
    match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        Some(Ok(n)) => print!("{}", envsync::synthetic::catalogue(n)),
        _ => {
            eprintln!("usage: gen_catalogue N");
            std::process::exit(2);
        }
    }
}
