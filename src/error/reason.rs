//! Every `ErrorInfo` reason the service sends, in one place.
//!
//! The wire names (UPPER_SNAKE_CASE, derived from the variant names) are a contract: clients
//! and tests match on them, so a variant is never renamed, only added. Each variant's doc
//! comment is its entry in `api/reference.md`, beside the gRPC code(s) of [`Reason::codes`]
//! (`crate::contract` writes and checks that section).

use crate::domain::signature;
use tonic::Code;

/// Why a call was refused: the `reason` of its `ErrorInfo`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumMessage,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// A request field is malformed or missing; `BadRequest` names every such field and the
    /// rule it breaks.
    InvalidArgument,
    /// The named resource does not exist. A caller that could not read it where it lies is
    /// told `OUTSIDE_JURISDICTION` instead, so a refusal never tells whether it exists.
    NotFound,
    /// The service failed; the cause is logged and never sent. Retrying may help.
    Internal,

    /// The request's gRPC framing is wrong: `INTERNAL` for a compressed flag without an
    /// encoding or a flag other than 0 and 1 (as gRPC's compression specification requires),
    /// `INVALID_ARGUMENT` for a body that ends inside a frame or cannot be decoded. The
    /// metadata's `kind` says which.
    MalformedFrame,
    /// A request message is over the size limit; refused from its header, before its bytes
    /// are buffered. `QuotaFailure` names the limit.
    MessageTooLarge,
    /// The request's first message did not arrive whole within the arrival time limit.
    RequestNotReceivedInTime,
    /// The server is serving its limit of concurrent calls; retry with backoff and the same
    /// `request_id`.
    ServerOverloaded,
    /// The caller's organisation kept its share of concurrent calls busy for as long as this
    /// call waited; retry with backoff and the same `request_id`.
    OrganisationOverShare,

    /// The connection carries no client certificate.
    ClientCertificateRequired,
    /// The client certificate has no URI SAN `urn:kandas:<role>:<organisation>` that parses.
    ClientIdentityInvalid,
    /// No verified client identity reached the call.
    ClientIdentityMissing,
    /// The role in the client certificate is not a kandas role.
    UnknownRole,
    /// The client certificate of this open connection was revoked after its handshake.
    CertificateRevoked,
    /// The client certificate of this open connection no longer verifies against the client CAs
    /// in force.
    CertificateNotTrusted,

    /// The caller's role may not call this RPC.
    RoleNotPermitted,
    /// The caller's organisation is not registered, is suspended, or is registered for another
    /// role.
    OrganisationNotActive,
    /// The resource lies outside the caller's jurisdiction (or, for a caller that could not
    /// read it anywhere, does not exist).
    OutsideJurisdiction,
    /// A portal call does not name its signed-in applicant in `x-kandas-applicant`.
    ApplicantRequired,
    /// No person holds the IIN named in `x-kandas-applicant`.
    ApplicantUnknown,
    /// A portal act (submit, withdraw, appeal) carries neither `applicant_signature` nor
    /// `sms_confirmation`.
    ApplicantConfirmationRequired,
    /// The calling portal may not confirm acts by SMS: the applicant signs instead.
    SmsConfirmationNotAccepted,
    /// The applicant's signature confirmed an act already; each act is signed anew over its
    /// own request.
    SignatureAlreadyUsed,
    /// The applicant's signature is not a CMS SignedData in DER with exactly one signer and its
    /// certificate. Signature reasons are also the `reason` of a refused `SignatureVerdict`.
    SignatureMalformed,
    /// The applicant's signature uses an algorithm the service does not verify (e.g. GOST).
    SignatureAlgorithmUnsupported,
    /// The applicant's signature value does not verify with the signer's key.
    SignatureInvalid,
    /// The applicant's signature verifies, but over other bytes than this request's canonical
    /// bytes.
    SignedContentMismatch,
    /// The signer's certificate does not chain to a trusted national CA.
    SignerCertificateUntrusted,
    /// The signer's certificate had expired at the time of signing.
    SignerCertificateExpired,
    /// The signer's certificate was not yet valid at the time of signing.
    SignerCertificateNotYetValid,
    /// The signer's certificate is revoked.
    SignerCertificateRevoked,
    /// Revocation of the signer's certificate cannot be decided: no CRL of its issuer, or the
    /// one in force is stale.
    SignerRevocationUnknown,
    /// The signer's certificate allows neither digitalSignature nor nonRepudiation.
    SignerCertificateKeyUsage,
    /// The signer's certificate is not the applicant's (its serialNumber is not `IIN` and the
    /// applicant's digits), or the applicant has no IIN on record yet.
    SignerNotApplicant,
    /// The caller's role may not submit applications of this procedure.
    RoleMayNotSubmitProcedure,
    /// The caller's role does not decide applications (or appeals) of this procedure.
    RoleMayNotDecideProcedure,
    /// This kind of record is annulled only by the role that granted it.
    RecordKindNotAnnulledByRole,
    /// The organisation that refused an application does not decide the appeal against its
    /// refusal; another office of the deciding role does.
    SameOrganisation,

    /// A person with this IIN is already registered.
    IinAlreadyRegistered,
    /// Another person already holds this identity document: one person, one record.
    IdentityDocumentHeld,
    /// This refusal was appealed already; an appeal's decision is final.
    AppealAlreadyFiled,
    /// An organisation with this id is already registered.
    OrganisationAlreadyRegistered,

    /// A person with the same surname, given name, birth date and sex is registered; register
    /// again with `confirmed_distinct` if this is someone else. The violations name them.
    PossibleDuplicate,
    /// The application cannot be accepted; `PreconditionFailure` lists every missing or invalid
    /// document and unmet prerequisite.
    ApplicationIncomplete,
    /// An application of this procedure for this person is already waiting for a decision.
    ApplicationAlreadyOpen,
    /// The application is already decided or withdrawn; a decision is final.
    ApplicationFinal,
    /// The employment center has not forwarded this application to the commission yet.
    NotForwarded,
    /// The application waits for another step than the one asked for.
    WrongStep,
    /// A permanent residence permit is already granted to a person of this application.
    PermitAlreadyGranted,
    /// There is no kandas status to extend.
    NoKandasStatus,
    /// The applicant's national passport is no longer valid, so no card can be issued on it.
    PassportExpired,
    /// The MCI of the year a sum is computed for is not set; an administrator sets it.
    MciNotSet,
    /// The MCI stored for the year is outside 1 to 100,000 tenge; an administrator sets it
    /// again.
    MciOutOfRange,
    /// The region has no quota for the year.
    NotAQuotaRegion,
    /// A person of this family was already included in a quota; nobody is included twice.
    AlreadyIncluded,
    /// The person already holds an IIN; an IIN is never changed or regenerated.
    IinAlreadyAssigned,
    /// The birth date cannot be encoded in an IIN (births from 1800 to 2099 only).
    BirthDateNotEncodable,
    /// Some of the applications cannot be forwarded; nothing was forwarded. The violations
    /// name each and why.
    NotForwardable,
    /// Only a decided quota application whose applicant was not yet notified can be marked
    /// notified.
    NotAwaitingNotification,
    /// More places of the quota are taken already than it would be set to.
    QuotaBelowTaken,
    /// Only a refused application is appealed.
    NotRefused,
    /// The three months to appeal the refusal have passed.
    AppealWindowClosed,
    /// The appeal was decided already.
    AppealDecided,
    /// A payment is a positive amount.
    PaymentNotPositive,
    /// The payment is above the single-payment amount of its support line.
    AboveMonthlyAmount,
    /// The payment would exceed what remains of the entitlement.
    AboveEntitlement,
    /// The support line's number of payments is used up.
    PaymentsExhausted,
    /// A rent payment names the month it pays (`period`, YYYY-MM).
    PeriodRequired,
    /// Only rent payments name a month.
    PeriodNotAllowed,
    /// Rent is paid for the 12 months after the inclusion decision only.
    PeriodOutsideRentMonths,
    /// The rent of this month is already paid: one payment per month.
    PeriodAlreadyPaid,
    /// The registration was already ended.
    RegistrationAlreadyEnded,
    /// The registration's last day would be before its first.
    RegistrationNotStarted,
    /// The registration already ends earlier; it can only be ended earlier still.
    RegistrationEndsEarlier,
    /// The record was already annulled.
    RecordAlreadyAnnulled,
    /// A record cannot be annulled from a date before it became valid.
    AnnulmentBeforeIssue,
    /// The record expired; there is nothing left to annul.
    RecordExpired,
    /// The kandas status is annulled; an annulled certificate is not re-issued.
    KandasStatusAnnulled,
    /// The kandas status expired or ended; an expired certificate is not re-issued.
    KandasStatusExpired,
    /// The certificate font (`KANDAS_CERTIFICATE_FONT`) cannot be read; the operator fixes it.
    CertificateFontUnavailable,
    /// The certificate font lacks a letter this certificate needs; the operator sets a font
    /// with Cyrillic and Kazakh letters.
    CertificateFontIncomplete,
    /// The certificate font cannot set the certificate; the operator sets a TrueType font.
    CertificateFontUnusable,
    /// The organisation is not registered; register it with role `registry` first.
    OrganisationNotRegistered,
    /// The organisation is registered with another role; only a `registry` organisation
    /// receives record events.
    NotARegistry,
    /// The organisation has no record subscription; the operator sets one with
    /// `SetRecordSubscription`.
    NoSubscription,

    /// The resource changed since it was read (a stale `etag`); read it again and retry with
    /// the new etag.
    EtagMismatch,
    /// A concurrent transaction conflicted with this one; retry with the same `request_id`
    /// (`RetryInfo` says when).
    TransactionConflict,

    /// The quota of the region and year has fewer places left than requested. `QuotaFailure`
    /// names the quota.
    QuotaExhausted,
    /// Every IIN serial for this birth date and sex has been issued.
    IinSerialsExhausted,

    /// The database is unreachable; retry with the same `request_id` (`RetryInfo` says when).
    DatabaseUnavailable,
    /// The database accepts no writes now (e.g. during a failover); retry with the same
    /// `request_id`.
    DatabaseReadOnly,
    /// The database is out of resources; retry with the same `request_id`.
    DatabaseOutOfResources,
    /// The server is stopping; a feed resumes after the last cursor received.
    ServerStopping,
}

impl Reason {
    /// The wire name, e.g. `ETAG_MISMATCH`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The gRPC codes this reason is sent with (one for all but `MALFORMED_FRAME`).
    pub fn codes(self) -> &'static [Code] {
        use Reason::*;
        match self {
            InvalidArgument => &[Code::InvalidArgument],
            NotFound => &[Code::NotFound],
            Internal => &[Code::Internal],
            MalformedFrame => &[Code::Internal, Code::InvalidArgument],
            MessageTooLarge
            | ServerOverloaded
            | OrganisationOverShare
            | QuotaExhausted
            | IinSerialsExhausted => &[Code::ResourceExhausted],
            RequestNotReceivedInTime => &[Code::DeadlineExceeded],
            ClientCertificateRequired
            | ClientIdentityInvalid
            | ClientIdentityMissing
            | UnknownRole
            | CertificateRevoked
            | CertificateNotTrusted => &[Code::Unauthenticated],
            RoleNotPermitted
            | OrganisationNotActive
            | OutsideJurisdiction
            | ApplicantRequired
            | ApplicantUnknown
            | ApplicantConfirmationRequired
            | SmsConfirmationNotAccepted
            | SignatureAlreadyUsed
            | SignatureMalformed
            | SignatureAlgorithmUnsupported
            | SignatureInvalid
            | SignedContentMismatch
            | SignerCertificateUntrusted
            | SignerCertificateExpired
            | SignerCertificateNotYetValid
            | SignerCertificateRevoked
            | SignerRevocationUnknown
            | SignerCertificateKeyUsage
            | SignerNotApplicant
            | RoleMayNotSubmitProcedure
            | RoleMayNotDecideProcedure
            | RecordKindNotAnnulledByRole
            | SameOrganisation => &[Code::PermissionDenied],
            IinAlreadyRegistered
            | IdentityDocumentHeld
            | AppealAlreadyFiled
            | OrganisationAlreadyRegistered => &[Code::AlreadyExists],
            PossibleDuplicate
            | ApplicationIncomplete
            | ApplicationAlreadyOpen
            | ApplicationFinal
            | NotForwarded
            | WrongStep
            | PermitAlreadyGranted
            | NoKandasStatus
            | PassportExpired
            | MciNotSet
            | MciOutOfRange
            | NotAQuotaRegion
            | AlreadyIncluded
            | IinAlreadyAssigned
            | BirthDateNotEncodable
            | NotForwardable
            | NotAwaitingNotification
            | QuotaBelowTaken
            | NotRefused
            | AppealWindowClosed
            | AppealDecided
            | PaymentNotPositive
            | AboveMonthlyAmount
            | AboveEntitlement
            | PaymentsExhausted
            | PeriodRequired
            | PeriodNotAllowed
            | PeriodOutsideRentMonths
            | PeriodAlreadyPaid
            | RegistrationAlreadyEnded
            | RegistrationNotStarted
            | RegistrationEndsEarlier
            | RecordAlreadyAnnulled
            | AnnulmentBeforeIssue
            | RecordExpired
            | KandasStatusAnnulled
            | KandasStatusExpired
            | CertificateFontUnavailable
            | CertificateFontIncomplete
            | CertificateFontUnusable
            | OrganisationNotRegistered
            | NotARegistry
            | NoSubscription => &[Code::FailedPrecondition],
            EtagMismatch | TransactionConflict => &[Code::Aborted],
            DatabaseUnavailable | DatabaseReadOnly | DatabaseOutOfResources | ServerStopping => {
                &[Code::Unavailable]
            }
        }
    }
}

impl From<signature::Reason> for Reason {
    fn from(refused: signature::Reason) -> Self {
        use signature::Reason as Refused;
        match refused {
            Refused::Malformed => Reason::SignatureMalformed,
            Refused::AlgorithmUnsupported => Reason::SignatureAlgorithmUnsupported,
            Refused::Invalid => Reason::SignatureInvalid,
            Refused::ContentMismatch => Reason::SignedContentMismatch,
            Refused::CertificateUntrusted => Reason::SignerCertificateUntrusted,
            Refused::CertificateExpired => Reason::SignerCertificateExpired,
            Refused::CertificateNotYetValid => Reason::SignerCertificateNotYetValid,
            Refused::CertificateRevoked => Reason::SignerCertificateRevoked,
            Refused::RevocationUnknown => Reason::SignerRevocationUnknown,
            Refused::KeyUsage => Reason::SignerCertificateKeyUsage,
            Refused::NotApplicant => Reason::SignerNotApplicant,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::{EnumMessage, IntoEnumIterator};

    /// The wire names clients match on, in declaration order: a rename fails here first.
    const WIRE_NAMES: &[&str] = &[
        "INVALID_ARGUMENT",
        "NOT_FOUND",
        "INTERNAL",
        "MALFORMED_FRAME",
        "MESSAGE_TOO_LARGE",
        "REQUEST_NOT_RECEIVED_IN_TIME",
        "SERVER_OVERLOADED",
        "ORGANISATION_OVER_SHARE",
        "CLIENT_CERTIFICATE_REQUIRED",
        "CLIENT_IDENTITY_INVALID",
        "CLIENT_IDENTITY_MISSING",
        "UNKNOWN_ROLE",
        "CERTIFICATE_REVOKED",
        "CERTIFICATE_NOT_TRUSTED",
        "ROLE_NOT_PERMITTED",
        "ORGANISATION_NOT_ACTIVE",
        "OUTSIDE_JURISDICTION",
        "APPLICANT_REQUIRED",
        "APPLICANT_UNKNOWN",
        "APPLICANT_CONFIRMATION_REQUIRED",
        "SMS_CONFIRMATION_NOT_ACCEPTED",
        "SIGNATURE_ALREADY_USED",
        "SIGNATURE_MALFORMED",
        "SIGNATURE_ALGORITHM_UNSUPPORTED",
        "SIGNATURE_INVALID",
        "SIGNED_CONTENT_MISMATCH",
        "SIGNER_CERTIFICATE_UNTRUSTED",
        "SIGNER_CERTIFICATE_EXPIRED",
        "SIGNER_CERTIFICATE_NOT_YET_VALID",
        "SIGNER_CERTIFICATE_REVOKED",
        "SIGNER_REVOCATION_UNKNOWN",
        "SIGNER_CERTIFICATE_KEY_USAGE",
        "SIGNER_NOT_APPLICANT",
        "ROLE_MAY_NOT_SUBMIT_PROCEDURE",
        "ROLE_MAY_NOT_DECIDE_PROCEDURE",
        "RECORD_KIND_NOT_ANNULLED_BY_ROLE",
        "SAME_ORGANISATION",
        "IIN_ALREADY_REGISTERED",
        "IDENTITY_DOCUMENT_HELD",
        "APPEAL_ALREADY_FILED",
        "ORGANISATION_ALREADY_REGISTERED",
        "POSSIBLE_DUPLICATE",
        "APPLICATION_INCOMPLETE",
        "APPLICATION_ALREADY_OPEN",
        "APPLICATION_FINAL",
        "NOT_FORWARDED",
        "WRONG_STEP",
        "PERMIT_ALREADY_GRANTED",
        "NO_KANDAS_STATUS",
        "PASSPORT_EXPIRED",
        "MCI_NOT_SET",
        "MCI_OUT_OF_RANGE",
        "NOT_A_QUOTA_REGION",
        "ALREADY_INCLUDED",
        "IIN_ALREADY_ASSIGNED",
        "BIRTH_DATE_NOT_ENCODABLE",
        "NOT_FORWARDABLE",
        "NOT_AWAITING_NOTIFICATION",
        "QUOTA_BELOW_TAKEN",
        "NOT_REFUSED",
        "APPEAL_WINDOW_CLOSED",
        "APPEAL_DECIDED",
        "PAYMENT_NOT_POSITIVE",
        "ABOVE_MONTHLY_AMOUNT",
        "ABOVE_ENTITLEMENT",
        "PAYMENTS_EXHAUSTED",
        "PERIOD_REQUIRED",
        "PERIOD_NOT_ALLOWED",
        "PERIOD_OUTSIDE_RENT_MONTHS",
        "PERIOD_ALREADY_PAID",
        "REGISTRATION_ALREADY_ENDED",
        "REGISTRATION_NOT_STARTED",
        "REGISTRATION_ENDS_EARLIER",
        "RECORD_ALREADY_ANNULLED",
        "ANNULMENT_BEFORE_ISSUE",
        "RECORD_EXPIRED",
        "KANDAS_STATUS_ANNULLED",
        "KANDAS_STATUS_EXPIRED",
        "CERTIFICATE_FONT_UNAVAILABLE",
        "CERTIFICATE_FONT_INCOMPLETE",
        "CERTIFICATE_FONT_UNUSABLE",
        "ORGANISATION_NOT_REGISTERED",
        "NOT_A_REGISTRY",
        "NO_SUBSCRIPTION",
        "ETAG_MISMATCH",
        "TRANSACTION_CONFLICT",
        "QUOTA_EXHAUSTED",
        "IIN_SERIALS_EXHAUSTED",
        "DATABASE_UNAVAILABLE",
        "DATABASE_READ_ONLY",
        "DATABASE_OUT_OF_RESOURCES",
        "SERVER_STOPPING",
    ];

    #[test]
    fn wire_names_are_the_pinned_ones() {
        let names: Vec<&str> = Reason::iter().map(Reason::as_str).collect();
        assert_eq!(names, WIRE_NAMES);
        for reason in Reason::iter() {
            assert_eq!(
                reason.to_string(),
                reason.as_str(),
                "Display is the wire name"
            );
        }
    }

    #[test]
    fn every_reason_says_when_it_is_given() {
        for reason in Reason::iter() {
            let doc = reason.get_documentation().unwrap_or_default();
            assert!(doc.trim().len() > 10, "{reason} has no doc comment");
            assert!(!reason.codes().is_empty(), "{reason} has no code");
        }
    }

    #[test]
    fn every_signature_refusal_has_its_own_reason() {
        use signature::Reason as Refused;
        let refusals = [
            Refused::Malformed,
            Refused::AlgorithmUnsupported,
            Refused::Invalid,
            Refused::ContentMismatch,
            Refused::CertificateUntrusted,
            Refused::CertificateExpired,
            Refused::CertificateNotYetValid,
            Refused::CertificateRevoked,
            Refused::RevocationUnknown,
            Refused::KeyUsage,
            Refused::NotApplicant,
        ];
        let mut reasons: Vec<Reason> = refusals.into_iter().map(Reason::from).collect();
        reasons.sort_by_key(|r| r.as_str());
        reasons.dedup();
        assert_eq!(reasons.len(), refusals.len());
        assert!(reasons.iter().all(|r| r.as_str().starts_with("SIGN")));
    }
}
