//! `piedge`: the PiEdge Lab engine on the command line, for a laptop or a
//! Raspberry Pi. A thin shell: it parses arguments into options, reads files,
//! calls the engine, and writes what the engine returns.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod certs;
#[cfg(not(target_arch = "wasm32"))]
mod class_board;
#[cfg(not(target_arch = "wasm32"))]
mod classroom;
#[cfg(not(target_arch = "wasm32"))]
mod clients;
#[cfg(not(target_arch = "wasm32"))]
mod commands;
#[cfg(not(target_arch = "wasm32"))]
mod compare;
#[cfg(not(target_arch = "wasm32"))]
mod files;
#[cfg(not(target_arch = "wasm32"))]
mod host;
#[cfg(not(target_arch = "wasm32"))]
mod http;
#[cfg(not(target_arch = "wasm32"))]
mod https;
#[cfg(not(target_arch = "wasm32"))]
mod jobs;
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
mod serve;
#[cfg(not(target_arch = "wasm32"))]
mod store;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    // `piedge profile | head` closes the pipe early: stop quietly, as Unix
    // tools do. Any other panic is a bug: one line, no backtrace, exit 2
    // (outside the server's request handling, below).
    std::panic::set_hook(Box::new(|info| {
        if piedge::model::panic_becomes_error() {
            // The engine reports it as an error about the model file.
            return;
        }
        let message = piedge::model::panic_text(info.payload()).unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(0);
        }
        let place = info
            .location()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        // In `piedge serve`, a panic while answering a request or running a
        // native job ends that request (500) or job (failed), not the lab
        // the whole class is using.
        if http::panic_is_contained() {
            eprintln!(
                "piedge serve: a bug{place}: {message}; the request or job it hit failed and the \
                 server goes on; please report it"
            );
            return;
        }
        eprintln!("error: piedge hit a bug{place}: {message}; please report it");
        std::process::exit(2);
    }));
    // Double-clicked on Windows, the console window closes when piedge
    // exits: an error must stay readable until the teacher has read it.
    let double_clicked = cfg!(windows) && std::env::args_os().len() == 1;
    let argv = args::with_default_subcommand(std::env::args_os().collect());
    let cli = args::Cli::parse_from(argv);
    let verbose = cli.verbose;
    match commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if double_clicked => {
            eprintln!("error: {e:#}\n\nPress Enter to close this window.");
            let _ = std::io::stdin().read_line(&mut String::new());
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            // One line that says what to do; tract's own reasoning is for
            // whoever asks for it.
            let detail = e
                .downcast_ref::<piedge::model::ModelError>()
                .and_then(|m| m.detail());
            match detail {
                Some(detail) if verbose => eprintln!("error: {e:#}\ntract says: {detail}"),
                Some(_) => eprintln!("error: {e:#} (--verbose shows tract's own explanation)"),
                None => eprintln!("error: {e:#}"),
            }
            std::process::ExitCode::from(2)
        }
    }
}

/// The binary is native only; the web lab has its own entry points.
#[cfg(target_arch = "wasm32")]
fn main() {}
