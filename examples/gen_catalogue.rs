//! Prints a synthetic catalogue of N databases, for benchmarks:
//! `cargo run --release --example gen_catalogue -- 1000 > big.yaml`.
//! See `envsync::synthetic` for what it holds.

fn main() {
    let Some(Ok(n)) = std::env::args().nth(1).map(|a| a.parse::<usize>()) else {
        eprintln!("usage: gen_catalogue N");
        std::process::exit(2);
    };
    match envsync::synthetic::catalogue(n) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("gen_catalogue: {e}");
            std::process::exit(2);
        }
    }
}
