//! `kandas signature verify`: an applicant's stored signature checked with no server and no
//! database, from the bytes VerifyApplicantSignatures answers (the signature, the canonical
//! bytes it covers) and the national CA's certificate and CRLs. Exit 0 only when it verifies,
//! 1 when it is refused, 2 when a file cannot be used.

use crate::domain::iin::Iin;
use crate::signature::{TrustStore, verify};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum SignatureCommand {
    /// Verify an applicant's CMS signature over canonical bytes, offline. Exit 0 only when it
    /// verifies, 1 when it is refused (the reason is printed), 2 when a file cannot be used.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signature: CMS SignedData, DER (ApplicantAct.signature)
    #[arg(value_name = "SIGNATURE")]
    pub signature: PathBuf,
    /// The canonical bytes it covers (ApplicantAct.signed_content)
    #[arg(long, value_name = "FILE")]
    pub content: PathBuf,
    /// A national CA certificate to trust (PEM); repeat for several
    #[arg(long = "ca", value_name = "PEM", required = true)]
    pub cas: Vec<PathBuf>,
    /// A CRL of those CAs (PEM or DER); repeat for several. With any, a certificate no CRL
    /// covers is refused
    #[arg(long = "crl", value_name = "FILE")]
    pub crls: Vec<PathBuf>,
    /// The moment to judge at, RFC 3339 (ApplicantAct.confirm_time for the act's own)
    /// [default: now]
    #[arg(long, value_name = "TIME")]
    pub at: Option<DateTime<Utc>>,
    /// The applicant's IIN: the signer must be them
    #[arg(long, value_name = "IIN", value_parser = parse_iin)]
    pub iin: Option<Iin>,
}

fn parse_iin(text: &str) -> Result<Iin, String> {
    Iin::parse(text).map_err(|e| e.to_string())
}

pub fn run(command: SignatureCommand) -> ExitCode {
    let SignatureCommand::Verify(args) = command;
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
    };
    let named = |paths: &[PathBuf]| -> Result<Vec<(String, Vec<u8>)>, String> {
        paths
            .iter()
            .map(|path| Ok((path.display().to_string(), read(path)?)))
            .collect()
    };
    let loaded = (|| {
        let trust = TrustStore::from_files(&named(&args.cas)?, &named(&args.crls)?)
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((trust, read(&args.signature)?, read(&args.content)?))
    })();
    let (trust, signature, content) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("kandas: {error}");
            return ExitCode::from(2);
        }
    };
    let at = args.at.unwrap_or_else(Utc::now);
    match verify(&signature, &content, &trust, at, args.iin.as_ref()) {
        Ok(signer) => {
            println!(
                "valid at {}: signed by {} ({}), certificate SHA-256 {}",
                at.to_rfc3339(),
                signer.subject,
                signer.algorithm,
                signer.fingerprint
            );
            if let Some(since) = signer.revoked_since {
                println!(
                    "the certificate was revoked later, on {}",
                    since.to_rfc3339()
                );
            }
            ExitCode::SUCCESS
        }
        Err(refusal) => {
            // The reason as the service would send it, so an office reads the same word here.
            let reason = crate::error::Reason::from(refusal.reason);
            println!("REFUSED: {reason}: {}", refusal.message);
            ExitCode::from(1)
        }
    }
}
