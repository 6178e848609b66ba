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
        /// Directory with ner.onnx, tokenizer.json and labels.json
        /// (`scripts/fetch-model`), loaded when the config enables
        /// `detectors.ner`. Default: the config file's directory.
        #[arg(long)]
        models: Option<PathBuf>,
        /// Which build of the engine runs the scan.
        #[arg(long, value_enum, default_value_t = scan::EngineKind::Native)]
        engine: scan::EngineKind,
    },
    /// Inspect configurations.
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
    /// List the built-in detector types.
    Detectors {
        /// Output format.
        #[arg(long, value_enum, default_value_t = detectors::Format::Markdown)]
        format: detectors::Format,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the default configuration with every field written out.
    Defaults,
    /// Validate a configuration file; errors name the JSON path.
    Check {
        /// The JSON configuration.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan {
            config,
            models,
            engine,
        } => scan::run(config.as_deref(), models.as_deref(), engine),
        Command::Config {
            action: ConfigCommand::Defaults,
        } => {
            print!("{}", shroud_engine::Config::default().to_pretty_json());
            Ok(())
        }
        Command::Config {
            action: ConfigCommand::Check { file },
        } => scan::load_engine(Some(&file), None).map(|_| println!("{}: ok", file.display())),
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
