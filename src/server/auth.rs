//! Who is calling and what they may do.
//!
//! Identity comes only from the client certificate that mutual TLS already verified: its URI
//! SAN `urn:kandas:<role>:<organisation-id>`. One table says which roles may call which RPC;
//! the check runs in a tower layer before any handler code, so a refused call touches nothing.
//! Decisions are further restricted per procedure (see `domain::procedures`). The certificate
//! names an organisation; only one the operator registered, active and for that role, may call.

use crate::domain::organisation::{Jurisdiction, NotActive, Registry, is_valid_id};
use crate::error::ApiError;
use crate::server::connections::ConnectionInfo;
use crate::state::OrganisationsCell;
use futures_util::future::BoxFuture;
use std::task::{Context, Poll};
use tonic::transport::server::TlsConnectInfo;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

pub use crate::domain::caller::Caller;
pub use crate::domain::role::Role;
use Role::*;

const URN_PREFIX: &str = "urn:kandas:";
const OPERATOR_HEADER: &str = "x-operator-id";
const MAX_OPERATOR_ID: usize = 128;

/// Reads the caller's role and organisation from a DER certificate's URI SAN.
pub fn identity_from_certificate(der: &[u8]) -> Result<(Role, String), ApiError> {
    let unauthenticated = |message: &str| ApiError::Unauthenticated {
        reason: "CLIENT_IDENTITY_INVALID",
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
        reason: "UNKNOWN_ROLE",
        message: format!("role `{role}` in the client certificate is not a kandas role"),
    })?;
    if !is_valid_id(organisation) {
        return Err(unauthenticated(
            "organisation id in the URI SAN must be 1-64 characters of A-Z a-z 0-9 - _ .",
        ));
    }
    Ok((role, organisation.to_string()))
}

/// Which roles may call each RPC. An RPC absent from the table is refused to everyone.
pub fn allowed_roles(method: &str) -> Option<&'static [Role]> {
    use crate::pb::rpc::{
        admin_service as admin, application_service as application, audit_service as audit,
        person_service as person, prerequisite_service as prerequisite, quota_service as quota,
        support_service as support,
    };
    const EVERYONE: &[Role] = &Role::ALL;
    const SUBMITTERS: &[Role] = &[Psc, Portal, Mission, Police, EmploymentCenter];
    const READERS: &[Role] = &[Psc, Portal, Mission, Commission, Police, EmploymentCenter];
    let roles: &'static [Role] = match method {
        person::REGISTER_PERSON => &[Psc, Mission],
        person::GET_PERSON => &[Psc, Mission, Commission, Police, EmploymentCenter],
        person::VALIDATE_IIN => EVERYONE,
        person::RECORD_ARRIVAL_NOTIFICATION => &[Psc, Portal, Police],

        application::SUBMIT_APPLICATION
        | application::CHECK_DOCUMENTS
        | application::LIST_REQUIRED_DOCUMENTS
        | application::WITHDRAW_APPLICATION => SUBMITTERS,
        application::GET_APPLICATION | application::LIST_APPLICATIONS => READERS,
        application::DECIDE_APPLICATION => &[Psc, Commission, Police],

        prerequisite::CHECK_PREREQUISITES => &[Police, Psc, Commission, EmploymentCenter],
        prerequisite::RECORD_OFFENCE => &[Police],

        quota::GET_QUOTA | quota::LIST_QUOTAS => EVERYONE,
        quota::LIST_QUOTA_DECISIONS | quota::WATCH_QUOTA_DECISIONS => {
            &[EmploymentCenter, Commission, Admin]
        }
        quota::FORWARD_QUOTA_APPLICATIONS => &[EmploymentCenter],
        quota::RECORD_APPLICANT_NOTIFIED => &[EmploymentCenter, Commission],

        support::GET_ENTITLEMENT | support::LIST_PAYMENTS => &[EmploymentCenter, Commission, Psc],
        support::RECORD_PAYMENT => &[EmploymentCenter],

        audit::LIST_AUDIT_EVENTS | audit::VERIFY_AUDIT_CHAIN => &[Admin],

        admin::SET_QUOTA | admin::SET_MCI | admin::LIST_MCI | admin::SET_CALENDAR_YEAR => &[Admin],
        admin::REGISTER_ORGANISATION | admin::UPDATE_ORGANISATION | admin::LIST_ORGANISATIONS => {
            &[Admin]
        }
        // Every caller counts terms: knowing whether a year's deadlines are provisional is
        // public, not personal, data.
        admin::GET_CALENDAR_YEAR => EVERYONE,

        m if is_open(m) => EVERYONE,
        _ => return None,
    };
    Some(roles)
}

/// Health checks and reflection describe the server, not anyone's files: any certificate the
/// CA signed may call them, registered or not, so a load balancer needs no registration.
fn is_open(method: &str) -> bool {
    method.starts_with("/grpc.health.v1.Health/")
        || method.starts_with("/grpc.reflection.v1.ServerReflection/")
        || method.starts_with("/grpc.reflection.v1alpha.ServerReflection/")
}

/// The registered jurisdiction of the certificate's organisation, or the refusal of a call
/// from an organisation that is not registered, is suspended, or is registered for another role.
fn admitted(
    registry: &Registry,
    role: Role,
    organisation: &str,
    method: &str,
) -> Result<Jurisdiction, ApiError> {
    let refused = |why: String| ApiError::PermissionDenied {
        reason: "ORGANISATION_NOT_ACTIVE",
        message: format!("organisation `{organisation}` {why}"),
    };
    match registry.admit(role, organisation) {
        Ok(registered) => Ok(registered.jurisdiction.clone()),
        // An open method still needs a jurisdiction to carry: one that covers nothing.
        Err(_) if is_open(method) => Ok(Jurisdiction::Regions(Vec::new())),
        Err(NotActive::NotRegistered) => Err(refused("is not registered".into())),
        Err(NotActive::Suspended) => Err(refused("is suspended".into())),
        Err(NotActive::OtherRole(registered)) => Err(refused(format!(
            "is registered as `{registered}`, not `{role}`"
        ))),
    }
}

/// Every RPC of the kandas API, as the contract's descriptors list them.
pub const KANDAS_METHODS: &[&str] = crate::pb::rpc::ALL;

/// Authenticates and authorizes one request from its path, TLS info and headers, against the
/// organisations registered.
pub fn authorize(
    registry: &Registry,
    method: &str,
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
) -> Result<Caller, ApiError> {
    let certs = extensions
        .get::<TlsConnectInfo<ConnectionInfo>>()
        .and_then(|info| info.peer_certs());
    let leaf = certs
        .as_ref()
        .and_then(|chain| chain.first())
        .ok_or_else(|| ApiError::Unauthenticated {
            reason: "CLIENT_CERTIFICATE_REQUIRED",
            message: "a client certificate is required".into(),
        })?;
    let (role, organisation) = identity_from_certificate(leaf.as_ref())?;
    let jurisdiction = admitted(registry, role, &organisation, method)?;
    let permitted = allowed_roles(method).is_some_and(|roles| roles.contains(&role));
    if !permitted {
        return Err(ApiError::PermissionDenied {
            reason: "ROLE_NOT_PERMITTED",
            message: format!("role `{role}` may not call {method}"),
        });
    }
    let operator_id = match headers.get(OPERATOR_HEADER) {
        None => String::new(),
        Some(value) => {
            let text = value
                .to_str()
                .ok()
                .filter(|v| v.len() <= MAX_OPERATOR_ID && v.chars().all(|c| c.is_ascii_graphic()));
            text.ok_or_else(|| {
                ApiError::field(
                    OPERATOR_HEADER,
                    "must be at most 128 printable ASCII characters without spaces",
                )
            })?
            .to_string()
        }
    };
    Ok(Caller {
        role,
        organisation,
        operator_id,
        jurisdiction,
    })
}

/// Tower layer running [`authorize`] before the gRPC router, against the registry in force.
#[derive(Clone)]
pub struct AuthLayer {
    organisations: OrganisationsCell,
}

impl AuthLayer {
    pub fn new(organisations: OrganisationsCell) -> Self {
        Self { organisations }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            organisations: self.organisations.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    organisations: OrganisationsCell,
}

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        let registry = self.organisations.current();
        match authorize(&registry, &method, request.extensions(), request.headers()) {
            Ok(caller) => {
                request.extensions_mut().insert(caller);
                // The clone that was polled ready is the one that must be called.
                let clone = self.inner.clone();
                let mut ready = std::mem::replace(&mut self.inner, clone);
                Box::pin(ready.call(request))
            }
            Err(error) => {
                tracing::info!(method = %method, code = ?error.code(), "call refused");
                let status: tonic::Status = error.into();
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_has_roles_and_every_role_name_round_trips() {
        for method in KANDAS_METHODS {
            assert!(
                allowed_roles(method).is_some(),
                "{method} missing from table"
            );
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(allowed_roles("/kandas.v1.PersonService/Nope"), None);
    }

    #[test]
    fn decisions_are_not_open_to_portal_or_mission() {
        let roles = allowed_roles("/kandas.v1.ApplicationService/DecideApplication").unwrap();
        assert!(!roles.contains(&Portal));
        assert!(!roles.contains(&Mission));
    }
}
