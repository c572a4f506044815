//! Who is calling and what they may do.
//!
//! Identity comes only from the client certificate that mutual TLS already verified: its URI
//! SAN `urn:kandas:<role>:<organisation-id>`. One table says which roles may call which RPC;
//! the check runs in a tower layer before any handler code, so a refused call touches nothing.
//! Decisions are further restricted per procedure (see `domain::procedures`). The certificate
//! names an organisation; only one the operator registered, active and for that role, may call.
//! Beside the role table, the scope table says how far each RPC reaches into personal files;
//! `domain::jurisdiction` turns that and the caller's jurisdiction into the files it may touch.
//! Every refusal of a caller whose certificate names them is audited.

use crate::audit::{AuditWriter, Entry};
use crate::domain::call::Call;
use crate::domain::caller::ApplicantClaim;
use crate::domain::iin::Iin;
use crate::domain::jurisdiction::Reach;
use crate::domain::organisation::{Jurisdiction, NotActive, Registry};
use crate::error::{ApiError, Reason};
use crate::server::connections::ConnectionInfo;
use crate::server::identity::identity_from_certificate;
use crate::state::OrganisationsCell;
use futures_util::future::BoxFuture;
use std::task::{Context, Poll};
use tonic::transport::server::TlsConnectInfo;

pub use crate::domain::caller::Caller;
pub use crate::domain::role::Role;
use Role::*;

const OPERATOR_HEADER: &str = "x-operator-id";
const MAX_OPERATOR_ID: usize = 128;
/// The portal's authenticated applicant (SPEC 1.1): `persons/{id}` or an IIN.
pub const APPLICANT_HEADER: &str = "x-kandas-applicant";

/// Which roles may call each RPC. An RPC absent from the table is refused to everyone.
pub fn allowed_roles(method: &str) -> Option<&'static [Role]> {
    use crate::pb::rpc::{
        admin_service as admin, application_service as application, audit_service as audit,
        notification_service as notification, person_service as person,
        prerequisite_service as prerequisite, quota_service as quota, support_service as support,
    };
    const EVERYONE: &[Role] = &Role::ALL;
    // Which procedures each submitter may file is `Procedure::submitters`; an appeal goes
    // through any channel that may submit the procedure (SPEC 5.7).
    const SUBMITTERS: &[Role] = &[Psc, Portal, Intermediary, Mission, Police, EmploymentCenter];
    const READERS: &[Role] = &[
        Psc,
        Portal,
        Intermediary,
        Mission,
        Commission,
        Police,
        EmploymentCenter,
    ];
    let roles: &'static [Role] = match method {
        // Whoever files for applicants who hold no IIN yet registers them first; a mission and
        // an intermediary then read only the persons they registered.
        person::REGISTER_PERSON => &[Psc, Mission, Intermediary],
        person::GET_PERSON | person::LIST_PERSON_VERSIONS | person::LIST_PERSON_RECORDS => {
            &[Psc, Mission, Commission, Police, EmploymentCenter]
        }
        person::UPDATE_PERSON => &[Psc, Mission],
        person::VALIDATE_IIN => EVERYONE,
        person::RECORD_ARRIVAL_NOTIFICATION => &[Psc, Portal, Police],
        person::END_REGISTRATION => &[Police],
        // Which record each may annul (commission a kandas status, police a permit) is the
        // use case's check: the record kind is in the request.
        person::ANNUL_RECORD => &[Commission, Police],
        person::LIST_RECORD_EVENTS
        | person::WATCH_RECORD_EVENTS
        | person::ACKNOWLEDGE_RECORD_EVENTS => &[Registry],
        // Re-issue is the front office's act (SPEC 5.7); anyone handed the paper may check it.
        person::DOWNLOAD_KANDAS_CERTIFICATE => &[Psc],
        person::VERIFY_KANDAS_CERTIFICATE => EVERYONE,

        // The portal its applicant's, an office those of the applications it submitted
        // (SPEC 5.8): the roles that submit.
        notification::LIST_NOTIFICATIONS | notification::WATCH_NOTIFICATIONS => SUBMITTERS,

        application::SUBMIT_APPLICATION
        | application::CHECK_DOCUMENTS
        | application::LIST_REQUIRED_DOCUMENTS
        | application::WITHDRAW_APPLICATION => SUBMITTERS,
        application::GET_APPLICATION | application::LIST_APPLICATIONS => READERS,
        application::DECIDE_APPLICATION | application::DECIDE_APPEAL => &[Psc, Commission, Police],
        application::FILE_APPEAL => SUBMITTERS,
        application::LIST_APPEALS => &[Psc, Commission, Police],
        // The applicant's signatures are evidence for the offices that decide and investigate.
        application::VERIFY_APPLICANT_SIGNATURES => &[Psc, Commission, Police],

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
        admin::SET_RECORD_SUBSCRIPTION | admin::LIST_RECORD_SUBSCRIPTIONS => &[Admin],
        admin::RUN_RETENTION | admin::GET_RETENTION_STATUS => &[Admin],
        // Every caller counts terms: knowing whether a year's deadlines are provisional is
        // public, not personal, data.
        admin::GET_CALENDAR_YEAR => EVERYONE,

        m if is_open(m) => EVERYONE,
        _ => return None,
    };
    Some(roles)
}

/// How far each RPC reaches into personal files (SPEC 1.1). Every RPC of the contract is
/// named here, those that reach no one's files too, so a new RPC cannot be served before its
/// reach is decided; `None` for a method the table does not know (the role table refuses it).
pub fn reach(method: &str) -> Option<Reach> {
    use crate::pb::rpc::{
        admin_service as admin, application_service as application, audit_service as audit,
        notification_service as notification, person_service as person,
        prerequisite_service as prerequisite, quota_service as quota, support_service as support,
    };
    use Reach::*;
    let reach = match method {
        person::GET_PERSON
        | person::REGISTER_PERSON
        | person::UPDATE_PERSON
        | person::LIST_PERSON_VERSIONS
        | person::LIST_PERSON_RECORDS => Files,
        // A host notifies the police where the foreigner is now, wherever their files lie.
        person::RECORD_ARRIVAL_NOTIFICATION => PoliceNationwide,
        // Ending a registration and annulling a record act on a file: within jurisdiction.
        person::END_REGISTRATION | person::ANNUL_RECORD => Files,
        // A registry receives what it subscribed to, and nothing else of anyone's files.
        person::LIST_RECORD_EVENTS
        | person::WATCH_RECORD_EVENTS
        | person::ACKNOWLEDGE_RECORD_EVENTS => Subscription,
        // A re-issued certificate prints the holder's names and IIN: a read of their file.
        person::DOWNLOAD_KANDAS_CERTIFICATE => Files,
        // A code answers a certificate's number, dates and deciding body, and no one's data.
        person::VERIFY_KANDAS_CERTIFICATE => Public,

        // Each notification tells of a step of its applicant's file: read as the file is,
        // though whose are read is the feed's own rule (`domain::notification::reader`).
        notification::LIST_NOTIFICATIONS | notification::WATCH_NOTIFICATIONS => Files,

        application::SUBMIT_APPLICATION
        | application::CHECK_DOCUMENTS
        | application::LIST_REQUIRED_DOCUMENTS
        | application::GET_APPLICATION
        | application::LIST_APPLICATIONS
        | application::DECIDE_APPLICATION
        | application::WITHDRAW_APPLICATION
        | application::FILE_APPEAL
        | application::DECIDE_APPEAL
        | application::LIST_APPEALS
        | application::VERIFY_APPLICANT_SIGNATURES => Files,

        prerequisite::CHECK_PREREQUISITES | prerequisite::RECORD_OFFENCE => PoliceNationwide,

        quota::LIST_QUOTA_DECISIONS | quota::WATCH_QUOTA_DECISIONS => Placements,
        quota::FORWARD_QUOTA_APPLICATIONS | quota::RECORD_APPLICANT_NOTIFIED => Files,

        support::GET_ENTITLEMENT | support::LIST_PAYMENTS | support::RECORD_PAYMENT => Files,

        // IIN arithmetic, quotas, calendars, organisations, subscriptions, the audit log.
        person::VALIDATE_IIN
        | quota::GET_QUOTA
        | quota::LIST_QUOTAS
        | admin::SET_QUOTA
        | admin::SET_MCI
        | admin::LIST_MCI
        | admin::SET_CALENDAR_YEAR
        | admin::GET_CALENDAR_YEAR
        | admin::REGISTER_ORGANISATION
        | admin::UPDATE_ORGANISATION
        | admin::LIST_ORGANISATIONS
        | admin::SET_RECORD_SUBSCRIPTION
        | admin::LIST_RECORD_SUBSCRIPTIONS
        // Retention answers counts and times, and what it erases it audits as its own act.
        | admin::RUN_RETENTION
        | admin::GET_RETENTION_STATUS
        | audit::LIST_AUDIT_EVENTS
        | audit::VERIFY_AUDIT_CHAIN => Public,
        m if is_open(m) => Public,
        _ => return None,
    };
    Some(reach)
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
        reason: Reason::OrganisationNotActive,
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
            reason: Reason::ClientCertificateRequired,
            message: "a client certificate is required".into(),
        })?;
    still_standing(extensions)?;
    let (role, organisation) = identity_from_certificate(leaf.as_ref())?;
    let jurisdiction = admitted(registry, role, &organisation, method)?;
    let permitted = allowed_roles(method).is_some_and(|roles| roles.contains(&role));
    if !permitted {
        return Err(ApiError::PermissionDenied {
            reason: Reason::RoleNotPermitted,
            message: format!("role `{role}` may not call {method}"),
        });
    }
    let operator_id = operator_id(headers)?;
    Ok(Caller {
        role,
        organisation,
        operator_id,
        jurisdiction,
        applicant: None,
    })
}

/// The refusal of any call on a connection whose certificate was revoked, or whose
/// organisation was suspended, after its handshake (`crate::server::standing`), until the
/// connection is gone.
fn still_standing(extensions: &http::Extensions) -> Result<(), ApiError> {
    let lapse = extensions
        .get::<TlsConnectInfo<ConnectionInfo>>()
        .and_then(|info| info.get_ref().standing.as_ref())
        .and_then(|standing| standing.lapse());
    match lapse {
        Some(lapse) => Err(lapse.refusal()),
        None => Ok(()),
    }
}

/// The acting employee a front-office system names; grants nothing.
fn operator_id(headers: &http::HeaderMap) -> Result<String, ApiError> {
    let Some(value) = single_header(headers, OPERATOR_HEADER)? else {
        return Ok(String::new());
    };
    value
        .to_str()
        .ok()
        .filter(|v| v.len() <= MAX_OPERATOR_ID && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::field(
                OPERATOR_HEADER,
                "must be at most 128 printable ASCII characters without spaces",
            )
        })
}

/// The one value of single-valued request metadata. Given twice it is refused rather than
/// read as either: a proxy and the service that each took a different one would disagree on
/// whose call this is (SPEC 1.1).
fn single_header<'h>(
    headers: &'h http::HeaderMap,
    name: &'static str,
) -> Result<Option<&'h http::HeaderValue>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::field(
            name,
            "given more than once: this metadata takes exactly one value",
        ));
    }
    Ok(first)
}

/// The applicant a portal call acts for. The portal signed them in; every kandas RPC it
/// calls needs one, so no portal call reaches anyone's files without naming whose.
pub fn applicant_claim(
    role: Role,
    method: &str,
    headers: &http::HeaderMap,
) -> Result<Option<ApplicantClaim>, ApiError> {
    if role != Portal || is_open(method) {
        return Ok(None);
    }
    let Some(value) = single_header(headers, APPLICANT_HEADER)? else {
        return Err(ApiError::PermissionDenied {
            reason: Reason::ApplicantRequired,
            message: format!(
                "a portal call must name its signed-in applicant in `{APPLICANT_HEADER}` \
                 (`persons/{{id}}` or an IIN)"
            ),
        });
    };
    let malformed = || {
        ApiError::field(
            APPLICANT_HEADER,
            "must be `persons/{uuid}` or a 12-digit IIN with a valid check digit",
        )
    };
    let text = value.to_str().map_err(|_| malformed())?;
    if let Some(id) = text.strip_prefix("persons/") {
        return uuid::Uuid::parse_str(id)
            .map(|id| Some(ApplicantClaim::Person(id)))
            .map_err(|_| malformed());
    }
    Iin::parse(text)
        .map(|iin| Some(ApplicantClaim::Iin(iin)))
        .map_err(|_| malformed())
}

/// The refused caller as far as the certificate names them, for the audit event of a refusal.
/// `None` when the certificate names no one (that refusal is only logged) or the path is not a
/// kandas RPC.
fn refused_caller(
    method: &str,
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
) -> Option<Call> {
    let rpc = KANDAS_METHODS.iter().find(|m| **m == method)?;
    let certs = extensions
        .get::<TlsConnectInfo<ConnectionInfo>>()
        .and_then(|info| info.peer_certs())?;
    let (role, organisation) = identity_from_certificate(certs.first()?.as_ref()).ok()?;
    let caller = Caller {
        role,
        organisation,
        operator_id: operator_id(headers).unwrap_or_default(),
        jurisdiction: Jurisdiction::Regions(Vec::new()),
        applicant: None,
    };
    Some(Call::new(rpc, caller).about(rpc.rsplit('/').next().unwrap_or(rpc)))
}

/// Tower layer running [`authorize`] before the gRPC router, against the registry in force.
#[derive(Clone)]
pub struct AuthLayer {
    organisations: OrganisationsCell,
    audit: AuditWriter,
}

impl AuthLayer {
    pub fn new(organisations: OrganisationsCell, audit: AuditWriter) -> Self {
        Self {
            organisations,
            audit,
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            organisations: self.organisations.clone(),
            audit: self.audit.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    organisations: OrganisationsCell,
    audit: AuditWriter,
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
        let authorized = authorize(&registry, &method, request.extensions(), request.headers())
            .and_then(|caller| {
                let claim = applicant_claim(caller.role, &method, request.headers())?;
                Ok((caller, claim))
            });
        match authorized {
            Ok((caller, claim)) => {
                crate::telemetry::traces::record_caller(caller.role.as_str(), &caller.organisation);
                request.extensions_mut().insert(caller);
                // A method the scope table does not know reaches no further than a file
                // within jurisdiction (the role table refuses it before any handler runs).
                request
                    .extensions_mut()
                    .insert(reach(&method).unwrap_or(Reach::Files));
                if let Some(claim) = claim {
                    request.extensions_mut().insert(claim);
                }
                // The clone that was polled ready is the one that must be called.
                let clone = self.inner.clone();
                let mut ready = std::mem::replace(&mut self.inner, clone);
                Box::pin(ready.call(request))
            }
            Err(error) => {
                tracing::info!(method = %method, code = ?error.code(), "call refused");
                let refused = refused_caller(&method, request.extensions(), request.headers());
                let audit = self.audit.clone();
                let outcome = format!("{:?}", error.code());
                let status: tonic::Status = error.into();
                Box::pin(async move {
                    if let Some(call) = refused
                        && let Err(error) = audit.record(&Entry::of(&call, &outcome)).await
                    {
                        tracing::warn!(%error, rpc = call.rpc, "could not audit a refused call");
                    }
                    Ok(status.into_http())
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_of_the_contract_has_its_reach_decided() {
        let undecided: Vec<&str> = KANDAS_METHODS
            .iter()
            .copied()
            .filter(|method| reach(method).is_none())
            .collect();
        assert!(undecided.is_empty(), "no reach for {undecided:?}");
        assert_eq!(reach("/kandas.v1.PersonService/NoSuchMethod"), None);
        assert_eq!(reach("/grpc.health.v1.Health/Check"), Some(Reach::Public));
    }

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
        assert!(!roles.contains(&Intermediary));
    }

    #[test]
    fn an_intermediary_files_and_reads_its_applications_and_registers_persons_only() {
        let granted = |name: &str| {
            let method = KANDAS_METHODS
                .iter()
                .find(|m| m.rsplit('/').next() == Some(name))
                .unwrap_or_else(|| panic!("no RPC {name}"));
            allowed_roles(method).unwrap().contains(&Intermediary)
        };
        for name in [
            "RegisterPerson",
            "SubmitApplication",
            "CheckDocuments",
            "ListRequiredDocuments",
            "GetApplication",
            "ListApplications",
            "WithdrawApplication",
            "FileAppeal",
        ] {
            assert!(granted(name), "{name}");
        }
        // It neither decides, nor corrects or reads persons' files and records, nor sees the
        // evidence the deciding offices weigh.
        for name in [
            "GetPerson",
            "UpdatePerson",
            "ListPersonVersions",
            "ListPersonRecords",
            "DownloadKandasCertificate",
            "DecideApplication",
            "DecideAppeal",
            "ListAppeals",
            "VerifyApplicantSignatures",
            "CheckPrerequisites",
            "RecordArrivalNotification",
            "ListRecordEvents",
            "GetEntitlement",
            "ListAuditEvents",
        ] {
            assert!(!granted(name), "{name}");
        }
    }
}
