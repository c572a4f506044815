//! The identity a client certificate carries: its URI SAN `urn:kandas:<role>:<organisation>`.
//! Read apart from the authorization layer, so connection bookkeeping can name whose
//! connection it holds without depending on how calls are authorized.

use crate::domain::organisation::is_valid_id;
use crate::domain::role::Role;
use crate::error::{ApiError, Reason};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

const URN_PREFIX: &str = "urn:kandas:";

/// Reads the caller's role and organisation from a DER certificate's URI SAN.
pub fn identity_from_certificate(der: &[u8]) -> Result<(Role, String), ApiError> {
    let unauthenticated = |message: &str| ApiError::Unauthenticated {
        reason: Reason::ClientIdentityInvalid,
        message: message.to_string(),
    };
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|_| unauthenticated("client certificate cannot be parsed"))?;
    let san = cert
        .subject_alternative_name()
        .map_err(|_| unauthenticated("client certificate has a malformed subjectAltName"))?;
    let uris: Vec<&str> = san
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::URI(uri) if uri.starts_with(URN_PREFIX) => Some(*uri),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let uri = match uris.as_slice() {
        [one] => *one,
        [] => {
            return Err(unauthenticated(
                "client certificate has no URI SAN of the form urn:kandas:<role>:<organisation>",
            ));
        }
        _ => {
            return Err(unauthenticated(
                "client certificate names more than one kandas identity",
            ));
        }
    };
    let rest = &uri[URN_PREFIX.len()..];
    let (role, organisation) = rest
        .split_once(':')
        .ok_or_else(|| unauthenticated("URI SAN must be urn:kandas:<role>:<organisation>"))?;
    let role = Role::parse(role).ok_or_else(|| ApiError::Unauthenticated {
        reason: Reason::UnknownRole,
        message: format!("role `{role}` in the client certificate is not a kandas role"),
    })?;
    if !is_valid_id(organisation) {
        return Err(unauthenticated(
            "organisation id in the URI SAN must be 1-64 characters of A-Z a-z 0-9 - _ .",
        ));
    }
    Ok((role, organisation.to_string()))
}
