//! `retex audit`: recompute the log's audit chain and report the first entry that was changed, removed,
//! reordered or slipped in; and signed checkpoints of its head, which someone who can rewrite the database
//! cannot forge.
//!
//! A checkpoint is one line, `SEQ:HASH SIGNATURE`, the Ed25519 signature (hex) of `retex audit checkpoint
//! v1\nSEQ:HASH` under a key the operator keeps away from the database. Appended to a file kept elsewhere, the
//! lines are a signed history of heads; `verify --checkpoints FILE --public-key HEX` checks each signature and
//! that the chain still passes through the newest head.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use retex_store::{ChainHead, ChainVerdict, verify_chain};

use crate::store_args::StoreArgs;

/// Exit status when the chain is broken, or a checkpoint is not genuine.
const EXIT_CHAIN_BROKEN: u8 = 4;
/// What a checkpoint's signature covers, before the head.
const CHECKPOINT_CONTEXT: &str = "retex audit checkpoint v1\n";

#[derive(Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain over the whole log and print its head (SEQ:HASH) to write down elsewhere.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// A head printed by an earlier verify: the chain must still pass through it, which detects a log
        /// whose newest entries were removed, or that was rewritten with its chain recomputed.
        #[arg(long, value_name = "SEQ:HASH", conflicts_with = "checkpoints")]
        expect_head: Option<ChainHead>,
        /// A file of signed checkpoints (`retex audit checkpoint` lines): every signature must be genuine, and
        /// the chain must pass through the newest head.
        #[arg(long, value_name = "FILE", requires = "public_key")]
        checkpoints: Option<PathBuf>,
        /// The public key the checkpoints are signed with (hex, as `audit keygen` prints it).
        #[arg(long, value_name = "HEX")]
        public_key: Option<String>,
    },
    /// Create a signing key for checkpoints in a new file (keep it away from the database) and print its
    /// public key.
    Keygen {
        /// Where the key is written; an existing file is not overwritten.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Verify the chain, then print its head signed with the key: one line to append to a file kept elsewhere.
    Checkpoint {
        #[command(flatten)]
        store: StoreArgs,
        /// The signing key (`audit keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
}

pub fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        AuditCommand::Verify {
            store,
            expect_head,
            checkpoints,
            public_key,
        } => {
            let expected = match (checkpoints, public_key) {
                (Some(file), Some(key)) => match newest_genuine_head(file, key)? {
                    Ok(head) => Some(head),
                    Err(problem) => {
                        println!("checkpoints not genuine: {problem}");
                        return Ok(ExitCode::from(EXIT_CHAIN_BROKEN));
                    }
                },
                _ => expect_head.clone(),
            };
            let (code, _, said) = verify(store, expected.as_ref())?;
            println!("{said}");
            Ok(code)
        }
        AuditCommand::Keygen { key } => keygen(key),
        AuditCommand::Checkpoint { store, key } => {
            let signing_key = read_signing_key(key)?;
            // Standard output is the checkpoint line alone, for appending to a file.
            let (code, head, said) = verify(store, None)?;
            eprintln!("{said}");
            let Some(head) = head else {
                if code == ExitCode::SUCCESS {
                    bail!("the log is empty: there is no head to sign yet");
                }
                return Ok(code);
            };
            let signature = signing_key.sign(signed_text(&head).as_bytes());
            println!("{head} {}", hex(&signature.to_bytes()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Verifies the chain, through `expected` when given; the exit status, the head of an intact chain, and the
/// verdict in words.
fn verify(store: &StoreArgs, expected: Option<&ChainHead>) -> anyhow::Result<(ExitCode, Option<ChainHead>, String)> {
    store.require_existing()?;
    let mut opened = retex_store::open(&store.location()).context("open the store")?;
    match verify_chain(opened.as_mut(), expected).context("read the log")? {
        ChainVerdict::Intact { entries, batches, head } => {
            let shown = head
                .as_ref()
                .map_or_else(|| "none (the log is empty)".to_owned(), ToString::to_string);
            let through = match expected {
                Some(expected) => format!(", through the expected head at seq {}", expected.seq),
                None => String::new(),
            };
            let said =
                format!("audit chain intact: {entries} entries in {batches} transactions{through}; head {shown}");
            Ok((ExitCode::SUCCESS, head, said))
        }
        ChainVerdict::Broken { seq, problem } => Ok((
            ExitCode::from(EXIT_CHAIN_BROKEN),
            None,
            format!("audit chain broken at seq {seq}: {problem}"),
        )),
    }
}

fn keygen(path: &Path) -> anyhow::Result<ExitCode> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|error| anyhow::anyhow!("draw a key: {error}"))?;
    let signing_key = SigningKey::from_bytes(&seed);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("create {} (an existing key is never overwritten)", path.display()))?;
    writeln!(file, "{}", hex(&seed)).with_context(|| format!("write {}", path.display()))?;
    println!("{}", hex(&signing_key.verifying_key().to_bytes()));
    Ok(ExitCode::SUCCESS)
}

fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let seed = unhex::<32>(text.trim())
        .with_context(|| format!("{}: not a key written by audit keygen (64 hex digits)", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The newest head of a checkpoints file, once every line's signature is checked; or the first line that
/// fails, said.
fn newest_genuine_head(path: &Path, public_key: &str) -> anyhow::Result<Result<ChainHead, String>> {
    let key = unhex::<32>(public_key)
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .context("--public-key: not an Ed25519 public key (64 hex digits, as audit keygen prints it)")?;
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let mut newest: Option<ChainHead> = None;
    for (index, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let place = format!("{}:{}", path.display(), index + 1);
        let Some((head, signature)) = line.trim().split_once(' ') else {
            return Ok(Err(format!("{place}: expected SEQ:HASH SIGNATURE")));
        };
        let head: ChainHead = match head.parse() {
            Ok(head) => head,
            Err(problem) => return Ok(Err(format!("{place}: {problem}"))),
        };
        let Some(signature) = unhex::<64>(signature).map(|bytes| Signature::from_bytes(&bytes)) else {
            return Ok(Err(format!("{place}: the signature is not 128 hex digits")));
        };
        if key.verify_strict(signed_text(&head).as_bytes(), &signature).is_err() {
            return Ok(Err(format!("{place}: the signature of head {head} is not this key's")));
        }
        if newest.as_ref().is_none_or(|newest| head.seq >= newest.seq) {
            newest = Some(head);
        }
    }
    Ok(newest.ok_or_else(|| format!("{} holds no checkpoint", path.display())))
}

fn signed_text(head: &ChainHead) -> String {
    format!("{CHECKPOINT_CONTEXT}{head}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; N];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(bytes)
}
