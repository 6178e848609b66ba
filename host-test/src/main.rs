// SPDX-License-Identifier: Apache-2.0
//! `shroud`: the project's CLI.

mod detectors;
mod scan;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "shroud",
    version,
    about = "Keep secrets and personal data out of LLM and MCP traffic"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read JSON lines {"id", "text"} on stdin, write {"id", "findings"} per line.
    Scan {
        /// Engine configuration (JSON); the documented defaults when absent.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Which build of the engine runs the scan.
        #[arg(long, value_enum, default_value_t = scan::EngineKind::Native)]
        engine: scan::EngineKind,
    },
    /// List the built-in detector types.
    Detectors {
        /// Output format.
        #[arg(long, value_enum, default_value_t = detectors::Format::Markdown)]
        format: detectors::Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan { config, engine } => scan::run(config.as_deref(), engine),
        Command::Detectors { format } => {
            print!("{}", detectors::render(format));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("shroud: {message}");
            ExitCode::from(2)
        }
    }
}
