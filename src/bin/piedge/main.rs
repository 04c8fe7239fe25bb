//! `piedge`: the PiEdge Lab engine on the command line, for a laptop or a
//! Raspberry Pi. A thin shell: it parses arguments into options, reads files,
//! calls the engine, and writes what the engine returns.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod commands;
#[cfg(not(target_arch = "wasm32"))]
mod files;
#[cfg(not(target_arch = "wasm32"))]
mod host;
#[cfg(not(target_arch = "wasm32"))]
mod serve;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    let argv = args::with_default_subcommand(std::env::args_os().collect());
    let cli = args::Cli::parse_from(argv);
    match commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The binary is native only; the web lab has its own entry points.
#[cfg(target_arch = "wasm32")]
fn main() {}
