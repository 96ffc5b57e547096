//! `retex route`: the events one shard of a chain split by region takes, from NDJSON files, written verbatim
//! (docs/scaling.md). The shard is the `[shard]` of the rules file the shard's store runs under.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use retex_core::routing::Router;
use retex_core::wire::parse_event;

use crate::store_args::load_rules;

#[derive(Args)]
pub struct RouteArgs {
    /// The shard's rules file: its `[shard]` names the regions it answers for and whether it is the home shard.
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// Where the shard's events go.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// NDJSON files of events, in log order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

pub fn route(args: &RouteArgs) -> anyhow::Result<ExitCode> {
    let rules = load_rules(&args.rules)?;
    let Some(shard) = rules.shard else {
        bail!(
            "{}: no [shard] section: it names the regions this shard answers for",
            args.rules.display()
        );
    };
    let mut router = Router::new(shard);
    let out = std::fs::File::create(&args.out).with_context(|| format!("create {}", args.out.display()))?;
    let mut out = BufWriter::new(out);
    let (mut read, mut taken) = (0u64, 0u64);
    for input in &args.inputs {
        let file = std::fs::File::open(input).with_context(|| format!("open {}", input.display()))?;
        for (index, line) in BufReader::new(file).lines().enumerate() {
            let place = || format!("{}:{}", input.display(), index + 1);
            let line = line.with_context(place)?;
            if line.trim().is_empty() {
                continue;
            }
            let event = parse_event(&line)
                .map_err(|error| anyhow::anyhow!("{}: {}: {}", place(), error.field, error.problem))?;
            read += 1;
            if router.takes(&event) {
                writeln!(out, "{line}").with_context(|| format!("write {}", args.out.display()))?;
                taken += 1;
            }
        }
    }
    out.flush().with_context(|| format!("write {}", args.out.display()))?;
    println!("{taken} of {read} events for this shard, in {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
