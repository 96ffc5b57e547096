//! `retex rules check FILE` and `retex rules default`: validate a rules file, print the defaults as one.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use retex_core::rules::file::{default_rules_toml, parse_rules};

#[derive(Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check a rules file; each problem is printed as FILE:LINE: key: problem.
    Check {
        /// The rules file (TOML).
        file: PathBuf,
    },
    /// Print the built-in defaults as a rules file.
    Default,
}

/// Exit status when the rules file has problems.
const EXIT_INVALID_RULES: u8 = 3;

pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        RulesCommand::Default => {
            print!("{}", default_rules_toml());
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Check { file } => {
            let text = std::fs::read_to_string(file)
                .map_err(|error| anyhow::anyhow!("read rules file {}: {error}", file.display()))?;
            match parse_rules(&text) {
                Ok(rules) => {
                    let customs = rules.custom.len();
                    let enabled = rules.types.iter().filter(|rule| rule.enabled).count();
                    println!(
                        "{}: ok, rules version {} ({enabled} built-in types enabled, {customs} custom)",
                        file.display(),
                        rules.version()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    for error in &errors {
                        eprintln!("{}:{}: {}: {}", file.display(), error.line, error.key, error.problem);
                    }
                    Ok(ExitCode::from(EXIT_INVALID_RULES))
                }
            }
        }
    }
}
