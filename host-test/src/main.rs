// SPDX-License-Identifier: Apache-2.0
//! `shroud`: the project's CLI.

mod bench;
mod component;
mod config_check;
mod config_reference;
mod detectors;
mod explain;
mod run_conformance;
mod sanitize;
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
        /// The component `--engine component` loads [default:
        /// ${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/shroud_component.wasm].
        #[arg(long)]
        component: Option<PathBuf>,
    },
    /// Inspect configurations.
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
    /// Run the conformance corpus (tests/conformance) through one runner.
    Conformance {
        #[arg(long, value_enum, default_value_t = run_conformance::Runner::Host)]
        runner: run_conformance::Runner,
        /// The built filter (default: where scripts/build-filter puts it).
        #[arg(long)]
        filter: Option<PathBuf>,
        /// The corpus directory.
        #[arg(long)]
        cases: Option<PathBuf>,
    },
    /// Send one request body (stdin) through the filter; print what the
    /// upstream would receive, or the local reply.
    Sanitize {
        #[arg(long)]
        filter: Option<PathBuf>,
        /// Plugin configuration (JSON); the defaults when absent.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = "/v1/chat/completions")]
        path: String,
        /// Extra request header `name:value` (repeatable).
        #[arg(long = "header")]
        headers: Vec<String>,
    },
    /// Measure the filter: latency per request against a no-op module,
    /// engine MB/s native and in wasm, cost per streamed SSE chunk.
    Bench {
        /// The built filter (default: where scripts/build-filter puts it).
        #[arg(long)]
        filter: Option<PathBuf>,
        /// The WASI component for the in-wasm throughput [default:
        /// ${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/shroud_component.wasm].
        #[arg(long)]
        component: Option<PathBuf>,
        /// Timed runs per cell (after a tenth as many warm-up runs).
        #[arg(long, default_value_t = 300)]
        iterations: usize,
        /// A few runs per cell: checks that the bench works, measures nothing.
        #[arg(long)]
        quick: bool,
        /// Also write every row as CSV here.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also write the Markdown report here.
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// Only the NER tier, with the model files in this directory
        /// (scripts/fetch-model): load and scan latency in
        /// shroud_component_ner.wasm under wasmtime, and natively when built
        /// with `--features ner`.
        #[arg(long, value_name = "MODELS_DIR")]
        ner: Option<PathBuf>,
        /// The NER component for `--ner` [default:
        /// ${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/shroud_component_ner.wasm].
        #[arg(long)]
        component_ner: Option<PathBuf>,
        /// Only the filter on this text: up to `--iterations` 4 KiB chat
        /// requests cut from it, each sent once (new text, as a gateway
        /// meets it); latency per exchange and the VM's memory as it goes.
        #[arg(long, value_name = "FILE", conflicts_with = "ner")]
        text: Option<PathBuf>,
    },
    /// Dry-run report of what each profile would do to one request body
    /// (stdin): findings with JSON pointer, offsets, type and score, the
    /// action and why, and the verdict. Values appear only as type + length.
    Explain {
        /// Plugin configuration (JSON); the defaults when absent.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = "/v1/chat/completions")]
        path: String,
        /// Request header `name:value` (repeatable); `host` or `:authority`
        /// sets the authority.
        #[arg(long = "header")]
        headers: Vec<String>,
        /// Explain only this profile [default: every profile, the routed one first].
        #[arg(long)]
        profile: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
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
    /// Validate a configuration: a plain JSON file, or the plugin config in
    /// an Envoy YAML, an Istio WasmPlugin or a Kong declarative file (the
    /// kind is detected); errors name the file, the location and the JSON path.
    Check {
        /// The configuration or gateway file.
        file: PathBuf,
    },
    /// Print the configuration's JSON Schema (what config.schema.json holds).
    Schema,
    /// Print the README's configuration reference table (from the schema).
    Reference,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan {
            config,
            models,
            engine,
            component,
        } => scan::run(
            config.as_deref(),
            models.as_deref(),
            engine,
            component.as_deref(),
        ),
        Command::Config {
            action: ConfigCommand::Defaults,
        } => {
            print!("{}", shroud_engine::Config::default().to_pretty_json());
            Ok(())
        }
        Command::Config {
            action: ConfigCommand::Check { file },
        } => config_check::run(&file),
        Command::Config {
            action: ConfigCommand::Schema,
        } => {
            print!("{}", shroud_engine::schema::config_schema_pretty());
            Ok(())
        }
        Command::Config {
            action: ConfigCommand::Reference,
        } => {
            print!("{}", config_reference::markdown());
            Ok(())
        }
        Command::Conformance {
            runner,
            filter,
            cases,
        } => {
            let filter = filter.unwrap_or_else(shroud_host::conformance::default_filter_path);
            let cases = cases.unwrap_or_else(shroud_host::conformance::default_cases_dir);
            match run_conformance::run(runner, &filter, &cases) {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::FAILURE,
                Err(e) => Err(e),
            }
        }
        Command::Sanitize {
            filter,
            config,
            path,
            headers,
        } => {
            let filter = filter.unwrap_or_else(shroud_host::conformance::default_filter_path);
            sanitize::run(&filter, config.as_deref(), &path, &headers)
        }
        Command::Bench {
            filter,
            component,
            iterations,
            quick,
            csv,
            markdown,
            ner,
            component_ner,
            text,
        } => bench::run(&bench::Options {
            filter: filter.unwrap_or_else(shroud_host::conformance::default_filter_path),
            component: component.unwrap_or_else(|| component::default_path(false)),
            iterations,
            quick,
            csv,
            markdown,
            ner_models: ner,
            component_ner: component_ner.unwrap_or_else(|| component::default_path(true)),
            text,
        }),
        Command::Explain {
            config,
            path,
            headers,
            profile,
            json,
        } => explain::run(&explain::Options {
            config: config.as_deref(),
            path: &path,
            headers: &headers,
            profile: profile.as_deref(),
            json,
        }),
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
