//! The requirements catalogue of SPEC §5 as data: for each procedure, the documents required,
//! whose they are, the condition under which each applies, the exemptions that waive it, the
//! checks a presented document must pass, and what the service meets from its own records.
//!
//! [`checklist`] is the one evaluation behind `ListRequiredDocuments` (no documents),
//! `CheckDocuments` (dry run) and `SubmitApplication` (refused at the door while any item is
//! missing or invalid), so the three always agree.
//!
//! "Never ask for what the state already holds" (SPEC §5, seed 004): a requirement is
//! `SATISFIED_FROM_RECORDS` when
//! - it is a record of the service itself (the kandas certificate: [`extension::KANDAS_CERTIFICATE`],
//!   [`citizenship::KANDAS_CERTIFICATE`]); without the record the item is missing and presenting
//!   a paper does not help; or
//! - it is `reusable` and the same person presented a document of an accepted type with an
//!   earlier application (`PersonRecords.presented`) that still passes the requirement's checks
//!   on this submission date; the detail names that application.
//!
//! The order of precedence for one item is: exemption (`WAIVED`), then records
//! (`SATISFIED_FROM_RECORDS`), then the documents presented now.
//!
//! Decisions where SPEC is silent are marked **Decision** below.

use chrono::NaiveDate;
use uuid::Uuid;

use super::details::{CitizenshipCategory, Details, FamilyMember, KandasGround, PermitCategory};
use super::documents::{
    Applicability, Applied, Check, CheckContext, ChecklistItem, Document, DocumentType as T,
    Requirement, SOLVENCY_MCI, STATE_DUTY_MCI, Whom, evaluate_with, iin_assignment, problems_on,
};
use super::procedure::Procedure;
use super::records::{PersonRecords, age_on};

/// One application being checked at the door (or described before submitting).
#[derive(Debug, Clone)]
pub struct Case<'a> {
    pub details: &'a Details,
    pub submission_date: NaiveDate,
    pub applicant: &'a PersonRecords,
    /// Each member of `details.family()`, in that order, with their records.
    pub family: Vec<(&'a FamilyMember, &'a PersonRecords)>,
    /// Documents presented now; `holder: None` = applicant, `Some(person_id)` = that family member.
    pub documents: &'a [Document],
    /// MCI of the submission year when set; solvency (1,320 MCI) and state duty (4 MCI) need it.
    pub mci: Option<i64>,
}

impl Case<'_> {
    /// What the checks of this submission depend on besides the documents.
    pub fn check_context(&self) -> CheckContext {
        CheckContext {
            submission_date: self.submission_date,
            mci: self.mci,
        }
    }
}

/// The one checklist behind ListRequiredDocuments, CheckDocuments and SubmitApplication.
pub fn checklist(case: &Case<'_>) -> Vec<ChecklistItem> {
    if let Details::IinAssignment { by_representative } = case.details {
        // Kept exactly as seeds 000 and 003 describe it (documents presented now only).
        return iin_assignment::checklist(*by_representative, case.documents, case.submission_date);
    }
    evaluate_with(&applied(case), case.documents, &case.check_context())
}

/// Each requirement as it applies to each holder of this case, before the documents presented
/// now are looked at: required, waived with the exemption, or met from records.
pub fn applied(case: &Case<'_>) -> Vec<Applied> {
    let mut b = Builder {
        case,
        ctx: case.check_context(),
        applied: Vec::new(),
    };
    match case.details {
        // Decision: SPEC §6 names no documents for quota inclusion; eligibility (status,
        // registration, no earlier inclusion) is read from records by the prerequisites.
        Details::RegionalQuotaInclusion { .. } => {}
        Details::IinAssignment { by_representative } => {
            let language = case
                .documents
                .iter()
                .find(|d| {
                    d.holder.is_none()
                        && iin_assignment::IDENTITY_DOCUMENT.accepted.contains(&d.kind)
                })
                .map(|d| d.language.as_str());
            return iin_assignment::applied(*by_representative, language);
        }
        Details::KandasStatusAssignment {
            grounds,
            nationality_in_identity_document,
            consent_via_foreign_institution,
            family: _,
        } => {
            use kandas::*;
            b.add(&APPLICATION_FORM);
            b.add(&BIOGRAPHY);
            b.add(&IDENTITY_DOCUMENT);
            if !nationality_in_identity_document {
                b.add(&NATIONALITY_PROOF);
            }
            if grounds.contains(&KandasGround::FamilyReunification) {
                b.add(&KINSHIP_PROOF);
            }
            if grounds.contains(&KandasGround::EmployerInvitation) {
                b.add(&EMPLOYER_INVITATION);
            }
            if grounds.contains(&KandasGround::HigherEducationStudent) {
                b.add(&STUDY_CERTIFICATE);
            }
            if *consent_via_foreign_institution {
                b.add(&PRIOR_CONSENT_DECISION);
            }
        }
        Details::KandasStatusExtension => {
            use extension::*;
            b.add(&APPLICATION_FORM);
            let status = previous_kandas_status(case.applicant, case.submission_date);
            b.add_record(&KANDAS_CERTIFICATE, |_| match &status {
                Some(record) => Applicability::FromRecords {
                    record: record.clone(),
                },
                None => Applicability::NotOnRecord {
                    reason: "no kandas status on record to extend; the previous status is \
                             satisfied from records only"
                        .into(),
                },
            });
        }
        Details::PermanentResidencePermit { .. } => permit_requirements(&mut b),
        Details::ResidencePermitCard { renewal: _ } => {
            // A renewal asks for the same documents (SPEC 5.4).
            b.add(&card::IDENTITY_DOCUMENT);
            b.add(&card::STATE_FEE);
        }
        Details::StatelessPersonCertificate { paper_form } => {
            use stateless::*;
            b.add(&STATE_FEE);
            if *paper_form {
                b.add(&PHOTOS);
            }
            if age_on(case.applicant.birth_date, case.submission_date) < 16 {
                b.add(&IDENTITY_BASIS_UNDER_16);
            } else {
                b.add(&IDENTITY_BASIS);
            }
        }
        Details::ResidenceRegistration {
            by_representative,
            owner_is_organisation,
            ..
        } => {
            use registration::*;
            b.add(&IDENTITY_DOCUMENT);
            let by_representative = *by_representative;
            b.add_unless(&REPRESENTATIVE_AUTHORITY, |_| {
                by_representative.then(|| {
                    waived(
                        "an authorised person applies with a notarized power of attorney \
                         (registration.power_of_attorney)",
                        "SPEC 5.5; seed 002: the legal representative's authority or an \
                         authorised person's notarized power of attorney",
                    )
                })
            });
            if by_representative {
                b.add(&POWER_OF_ATTORNEY);
            }
            if *owner_is_organisation {
                b.add(&ORGANISATION_REQUEST);
            } else {
                b.add(&OWNER_IDENTITY_DOCUMENT);
                b.add(&OWNER_CONSENT);
            }
        }
        Details::SimplifiedCitizenship {
            category,
            family: _,
        } => citizenship_requirements(&mut b, *category),
    }
    b.applied
}

/// The requirements a procedure may ask for, in checklist order (conditions decide which apply
/// to a given case). Regional quota inclusion asks for no documents (SPEC §6).
pub fn requirements(procedure: Procedure) -> &'static [&'static Requirement] {
    match procedure {
        Procedure::IinAssignment => &IIN_ALL,
        Procedure::KandasStatusAssignment => &kandas::ALL,
        Procedure::KandasStatusExtension => &extension::ALL,
        Procedure::PermanentResidencePermit => &permit::ALL,
        Procedure::ResidencePermitCard => &card::ALL,
        Procedure::StatelessPersonCertificate => &stateless::ALL,
        Procedure::ResidenceRegistration => &registration::ALL,
        Procedure::RegionalQuotaInclusion => &[],
        Procedure::SimplifiedCitizenship => &citizenship::ALL,
    }
}

static IIN_ALL: [&Requirement; 3] = [
    &iin_assignment::IDENTITY_DOCUMENT,
    &iin_assignment::TRANSLATION,
    &iin_assignment::POWER_OF_ATTORNEY,
];

fn waived(exemption: impl Into<String>, legal_basis: impl Into<String>) -> Applicability {
    Applicability::Waived {
        exemption: exemption.into(),
        legal_basis: legal_basis.into(),
    }
}

/// **Decision:** the status to extend is the one valid on the submission date, else the most
/// recent one on record (whether an expired status may still be extended is a prerequisite
/// question, reported by the prerequisite check).
fn previous_kandas_status(records: &PersonRecords, day: NaiveDate) -> Option<String> {
    records
        .kandas_status_on(day)
        .or_else(|| records.kandas_statuses.iter().max_by_key(|s| s.valid_until))
        .map(|s| s.evidence.clone())
}

fn permit_requirements(b: &mut Builder<'_, '_>) {
    use permit::*;
    let Details::PermanentResidencePermit {
        category,
        refugee_or_asylum,
        ethnic_kazakh_from_prc,
        former_compatriot,
        treaty_simplified_citizenship,
        without_identity_document,
        family: _,
    } = b.case.details
    else {
        return;
    };
    let case = b.case;
    let applicant = case.applicant;
    // The PRC exemptions also hold when the person record says so (ethnic Kazakh, citizen of
    // the PRC): the service does not ask for what it already knows.
    let from_prc =
        *ethnic_kazakh_from_prc || (applicant.ethnic_kazakh && applicant.citizenship == "CHN");
    let kandas_category = *category == PermitCategory::KandasAndFamily;

    b.add(&APPLICATION_FORM);
    let without_identity_document = *without_identity_document;
    b.add_unless(&IDENTITY_DOCUMENT, |p| {
        (without_identity_document && p.holder.is_none()).then(|| {
            waived(
                "the applicant has no identity document; a certificate of absence or \
                 termination of another citizenship is required instead \
                 (permit.citizenship_termination)",
                "SPEC 5.3; seed 000 (permanent residence permit)",
            )
        })
    });
    b.add(&BIRTH_CERTIFICATE);

    let departure = if *refugee_or_asylum {
        Some(waived(
            "refugee or asylum holder in Kazakhstan",
            "SPEC 5.3; seed 000: refugees and persons granted asylum need no departure consent",
        ))
    } else if from_prc {
        Some(waived(
            "ethnic Kazakh from the People's Republic of China",
            "SPEC 5.3; seed 000: ethnic Kazakhs from the People's Republic of China need no \
             departure consent",
        ))
    } else {
        None
    };
    b.add_unless(&DEPARTURE_CONSENT, |_| departure.clone());
    b.add(&BIOGRAPHY);

    const SOLVENCY_BASIS: &str = "SPEC 5.3; seed 000: Government Decree No. 1185 of \
        26 November 2003 exempts ethnic Kazakhs, former compatriots, persons entitled to \
        simplified citizenship by treaty, and their family members";
    let ethnic_member = case
        .family
        .iter()
        .find(|(_, records)| records.ethnic_kazakh)
        .map(|(m, _)| m.person_id);
    let solvency = if kandas_category {
        Some(waived(
            "ethnic Kazakh or family member of one (category kandas and family)",
            SOLVENCY_BASIS,
        ))
    } else if applicant.ethnic_kazakh {
        Some(waived(
            format!("the applicant is an ethnic Kazakh ({})", applicant.person),
            SOLVENCY_BASIS,
        ))
    } else if *former_compatriot {
        Some(waived(
            "former compatriot: born in or former citizen of the Kazakh SSR or Kazakhstan",
            SOLVENCY_BASIS,
        ))
    } else if *treaty_simplified_citizenship {
        Some(waived(
            "entitled to simplified citizenship by an international treaty",
            SOLVENCY_BASIS,
        ))
    } else {
        ethnic_member.map(|id| {
            waived(
                format!("family member of an ethnic Kazakh in this application (persons/{id})"),
                SOLVENCY_BASIS,
            )
        })
    };
    b.add_unless(&SOLVENCY, |_| solvency.clone());

    let criminal = from_prc.then(|| {
        waived(
            "ethnic Kazakh citizen of the People's Republic of China",
            "SPEC 5.3; seed 000: ethnic Kazakh citizens of the People's Republic of China need \
             no criminal record certificate",
        )
    });
    b.add_unless(&CRIMINAL_RECORD, |_| criminal.clone());
    b.add(&CHILD_CONSENT);
    b.add(&HOUSING);
    b.add(&MEDICAL_CERTIFICATE);
    b.add(&PHOTO);
    if without_identity_document {
        b.add(&CITIZENSHIP_TERMINATION);
    }
    let duty = if kandas_category {
        Some(waived(
            "kandas: category ethnic Kazakhs and their family members",
            "Tax Code art. 619 (SPEC 5.3; seed 001): kandas are exempt from the state duty",
        ))
    } else {
        applicant.kandas_status_on(case.submission_date).map(|s| {
            waived(
                format!(
                    "kandas: status valid on the submission date ({})",
                    s.evidence
                ),
                "Tax Code art. 619 (SPEC 5.3; seed 001): kandas are exempt from the state duty",
            )
        })
    };
    b.add_unless(&STATE_DUTY, |_| duty.clone());
}

fn citizenship_requirements(b: &mut Builder<'_, '_>, category: CitizenshipCategory) {
    use citizenship::*;
    let case = b.case;
    b.add(&RENUNCIATION);
    b.add(&BIOGRAPHY);
    b.add(&APPLICATION_FORM);
    b.add(&PHOTOS);
    b.add(&COMPLIANCE_OBLIGATION);
    b.add(&IDENTITY_DOCUMENT);
    b.add(&BIRTH_CERTIFICATE);
    let status = case.applicant.kandas_status_on(case.submission_date);
    if category == CitizenshipCategory::Kandas {
        let day = case.submission_date;
        b.add_record(&KANDAS_CERTIFICATE, |_| match status {
            Some(s) => Applicability::FromRecords {
                record: s.evidence.clone(),
            },
            None => Applicability::NotOnRecord {
                reason: format!(
                    "no kandas status on record valid on {day}; the kandas certificate is \
                     satisfied from records only"
                ),
            },
        });
    }
    if category == CitizenshipCategory::EthnicKazakhStudent {
        b.add(&STUDY_CERTIFICATE);
        b.add(&NATIONALITY_PROOF);
    }
    const DUTY_BASIS: &str = "Tax Code art. 619 (SPEC 5.6; seed 000): kandas are exempt from \
        the state duty for the acquisition of citizenship";
    let duty = if category == CitizenshipCategory::Kandas {
        Some(waived("kandas: category (a)", DUTY_BASIS))
    } else {
        status.map(|s| {
            waived(
                format!(
                    "kandas: status valid on the submission date ({})",
                    s.evidence
                ),
                DUTY_BASIS,
            )
        })
    };
    b.add_unless(&STATE_DUTY, |_| duty.clone());
}

/// One person a requirement may be asked of.
struct Holder<'a> {
    /// `None` for the applicant.
    holder: Option<Uuid>,
    records: &'a PersonRecords,
}

struct Builder<'c, 'a> {
    case: &'c Case<'a>,
    ctx: CheckContext,
    applied: Vec<Applied>,
}

impl<'a> Builder<'_, 'a> {
    /// The persons `per` designates, applicant first, then family members in order.
    fn holders(&self, per: Whom) -> Vec<Holder<'a>> {
        let day = self.case.submission_date;
        let applicant = Holder {
            holder: None,
            records: self.case.applicant,
        };
        let members = self.case.family.iter().map(|(member, records)| Holder {
            holder: Some(member.person_id),
            records,
        });
        let member_aged = |keep: fn(i32) -> bool| {
            members
                .clone()
                .filter(move |h| keep(age_on(h.records.birth_date, day)))
        };
        match per {
            Whom::Applicant => vec![applicant],
            Whom::EachPerson => std::iter::once(applicant).chain(members).collect(),
            Whom::EachFamilyMember => members.collect(),
            Whom::EachChildUnder16 => member_aged(|age| age < 16).collect(),
            Whom::EachChildAged14To18 => member_aged(|age| (14..18).contains(&age)).collect(),
            Whom::EachChildUnder18 => member_aged(|age| age < 18).collect(),
            Whom::EachPersonAged14OrMore => std::iter::once(applicant)
                .chain(member_aged(|age| age >= 14))
                .collect(),
            Whom::EachPersonAged16OrMore => std::iter::once(applicant)
                .chain(member_aged(|age| age >= 16))
                .collect(),
        }
    }

    fn add(&mut self, req: &'static Requirement) {
        self.add_unless(req, |_| None);
    }

    /// Adds `req` for each of its holders: waived when `exempt` says so, else met from records
    /// when a reusable document on record still passes, else required.
    fn add_unless(
        &mut self,
        req: &'static Requirement,
        exempt: impl Fn(&Holder<'a>) -> Option<Applicability>,
    ) {
        for h in self.holders(req.per) {
            let applicability = exempt(&h)
                .or_else(|| reused(req, h.records, &self.ctx))
                .unwrap_or(Applicability::Required);
            self.applied.push(Applied {
                requirement: req,
                holder: h.holder,
                applicability,
            });
        }
    }

    /// Adds a requirement the service meets from its own records only.
    fn add_record(
        &mut self,
        req: &'static Requirement,
        from_records: impl Fn(&Holder<'a>) -> Applicability,
    ) {
        for h in self.holders(req.per) {
            self.applied.push(Applied {
                requirement: req,
                holder: h.holder,
                applicability: from_records(&h),
            });
        }
    }
}

/// A document of this person presented with an earlier application that still meets `req` on
/// this submission date (the latest such), as the application it came with.
fn reused(req: &Requirement, records: &PersonRecords, ctx: &CheckContext) -> Option<Applicability> {
    if !req.reusable {
        return None;
    }
    records
        .presented
        .iter()
        .filter(|p| {
            p.presented_on <= ctx.submission_date
                && req.accepted.contains(&p.document.kind)
                && problems_on(&p.document, req.checks, ctx).is_empty()
        })
        .max_by_key(|p| p.presented_on)
        .map(|p| Applicability::FromRecords {
            record: p.evidence.clone(),
        })
}

// ---------------------------------------------------------------------------------------------
// The catalogue. `reusable` is decided per document:
// - yes: identity documents (re-checked for validity on each submission date), birth
//   certificates, nationality and kinship proofs, biographies, the prior consent decision,
//   certificates of termination of citizenship and the historic documents of the stateless
//   certificate: each records a lasting fact, and seed 004 forbids asking again for what the
//   state holds;
// - no: application forms and questionnaires, renunciation applications, obligations, powers
//   of attorney, consents (of a child, of an owner, of the state of departure), housing
//   contracts and organisations' requests: each is made for one application; payments: one per
//   application; photos, medical, criminal-record, solvency, study and employment documents:
//   they certify the present state and must be fresh.
// ---------------------------------------------------------------------------------------------

const IDENTITY: &[T] = &[T::IdentityDocument, T::StatelessPersonDocument];
const IDENTITY_CHECKS: &[Check] = &[
    Check::HasNumber,
    Check::ValidOnSubmission,
    Check::StateLanguageOrNotarizedTranslation,
];
/// Documents typically issued abroad: a foreign-language one needs a notarized translation
/// into Kazakh or Russian (SPEC §5 common rules).
const FOREIGN: &[Check] = &[Check::StateLanguageOrNotarizedTranslation];
const DUTY: &[Check] = &[Check::AmountAtLeastMci(STATE_DUTY_MCI)];

/// Kandas status assignment (SPEC 5.2; seeds 000, 004).
pub mod kandas {
    use super::*;

    pub static APPLICATION_FORM: Requirement = Requirement {
        id: "kandas.application_form",
        accepted: &[T::ApplicationForm],
        description: "application for the assignment of kandas status",
        legal_basis: "SPEC 5.2; seed 004",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static BIOGRAPHY: Requirement = Requirement {
        id: "kandas.biography",
        accepted: &[T::Biography],
        description: "biography (personal history) in any form",
        legal_basis: "SPEC 5.2; seed 004",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    /// **Decision:** a birth certificate counts as an identity document here, as seeds 000
    /// and 004 list it among them ("birth certificates, passport, certificate of a stateless
    /// person or other official documents").
    pub static IDENTITY_DOCUMENT: Requirement = Requirement {
        id: "kandas.identity_document",
        accepted: &[
            T::IdentityDocument,
            T::StatelessPersonDocument,
            T::BirthCertificate,
        ],
        description: "identity document (passport, stateless person's certificate or birth \
                      certificate), valid on the submission date, with a notarized translation \
                      into Kazakh or Russian",
        legal_basis: "SPEC 5.2; seeds 000, 004",
        checks: IDENTITY_CHECKS,
        per: Whom::EachPerson,
        reusable: true,
    };
    pub static NATIONALITY_PROOF: Requirement = Requirement {
        id: "kandas.nationality_proof",
        accepted: &[T::NationalityProof],
        description: "document confirming Kazakh nationality (the identity documents do not \
                      state it)",
        legal_basis: "SPEC 5.2; seeds 000, 004",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    /// **Decision:** one requirement covers the kinship and the relatives' citizenship and
    /// residence (SPEC names them as one group of documents).
    pub static KINSHIP_PROOF: Requirement = Requirement {
        id: "kandas.kinship_proof",
        accepted: &[T::KinshipProof],
        description: "documents establishing the kinship with close relatives who are citizens \
                      permanently residing in Kazakhstan, and their citizenship and residence \
                      (ground 3)",
        legal_basis: "SPEC 5.2 ground (3); seed 004",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    pub static EMPLOYER_INVITATION: Requirement = Requirement {
        id: "kandas.employer_invitation",
        accepted: &[T::EmployerInvitation],
        description: "invitation of the employer (ground 4)",
        legal_basis: "SPEC 5.2 ground (4)",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static STUDY_CERTIFICATE: Requirement = Requirement {
        id: "kandas.study_certificate",
        accepted: &[T::StudyCertificate],
        description: "certificate from the higher education institution in Kazakhstan where \
                      the applicant studies (ground 5)",
        legal_basis: "SPEC 5.2 ground (5)",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static PRIOR_CONSENT_DECISION: Requirement = Requirement {
        id: "kandas.prior_consent_decision",
        accepted: &[T::PriorConsentDecision],
        description: "copy of the decision on consent to the assignment of kandas status \
                      obtained through a foreign institution of Kazakhstan",
        legal_basis: "SPEC 5.2; seed 004",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    pub static ALL: [&Requirement; 8] = [
        &APPLICATION_FORM,
        &BIOGRAPHY,
        &IDENTITY_DOCUMENT,
        &NATIONALITY_PROOF,
        &KINSHIP_PROOF,
        &EMPLOYER_INVITATION,
        &STUDY_CERTIFICATE,
        &PRIOR_CONSENT_DECISION,
    ];
}

/// Kandas status extension (SPEC 5.2; seed 004): the application only.
pub mod extension {
    use super::*;

    pub static APPLICATION_FORM: Requirement = Requirement {
        id: "extension.application_form",
        accepted: &[T::ApplicationForm],
        description: "application for the extension of kandas status",
        legal_basis: "SPEC 5.2; seed 004",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static KANDAS_CERTIFICATE: Requirement = Requirement {
        id: "extension.kandas_certificate",
        accepted: &[T::KandasCertificate],
        description: "the previous kandas status: satisfied from records, never asked for",
        legal_basis: "SPEC 5.2 and SPEC 5 \"never ask for what the state already holds\"; \
                      seed 004",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static ALL: [&Requirement; 2] = [&APPLICATION_FORM, &KANDAS_CERTIFICATE];
}

/// Permanent residence permit (SPEC 5.3; seeds 000, 001).
pub mod permit {
    use super::*;

    pub static APPLICATION_FORM: Requirement = Requirement {
        id: "permit.application_form",
        accepted: &[T::ApplicationForm],
        description: "application-questionnaire",
        legal_basis: "SPEC 5.3; seed 000",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    /// **Decision:** asked of the applicant and every family member aged 16 or more; a child
    /// under 16 is identified by `permit.birth_certificate` (seed 000: "a birth certificate or
    /// other document proving the identity of a child under sixteen").
    pub static IDENTITY_DOCUMENT: Requirement = Requirement {
        id: "permit.identity_document",
        accepted: IDENTITY,
        description: "national passport or stateless person's document (copy, original shown), \
                      valid on the submission date",
        legal_basis: "SPEC 5.3; seed 000",
        checks: IDENTITY_CHECKS,
        per: Whom::EachPersonAged16OrMore,
        reusable: true,
    };
    pub static BIRTH_CERTIFICATE: Requirement = Requirement {
        id: "permit.birth_certificate",
        accepted: &[
            T::BirthCertificate,
            T::IdentityDocument,
            T::StatelessPersonDocument,
        ],
        description: "birth certificate (or other identity document) of each child under 16 \
                      in the application",
        legal_basis: "SPEC 5.3; seed 000",
        checks: &[
            Check::ValidOnSubmission,
            Check::StateLanguageOrNotarizedTranslation,
        ],
        per: Whom::EachChildUnder16,
        reusable: true,
    };
    pub static DEPARTURE_CONSENT: Requirement = Requirement {
        id: "permit.departure_consent",
        accepted: &[T::DepartureConsent],
        description: "written consent of the state of citizenship (departure sheet) or another \
                      document permitting departure for permanent residence abroad",
        legal_basis: "SPEC 5.3; seed 000",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: false,
    };
    pub static BIOGRAPHY: Requirement = Requirement {
        id: "permit.biography",
        accepted: &[T::Biography],
        description: "autobiography in Kazakh or Russian (or with a notarized translation into \
                      one of them), signed by the applicant",
        legal_basis: "SPEC 5.3; seeds 000, 001",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    /// **Decision:** one proof per application (the applicant's), as SPEC states one amount.
    pub static SOLVENCY: Requirement = Requirement {
        id: "permit.solvency",
        accepted: &[T::SolvencyProof],
        description: "proof of solvency of at least 1,320 MCI of the submission year",
        legal_basis: "SPEC 5.3; seeds 000, 001; Government Decree No. 1185 of 26 November 2003",
        checks: &[Check::AmountAtLeastMci(SOLVENCY_MCI)],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static CRIMINAL_RECORD: Requirement = Requirement {
        id: "permit.criminal_record",
        accepted: &[T::CriminalRecordCertificate],
        description: "certificate of (no) criminal record from the state of nationality or \
                      permanent residence",
        legal_basis: "SPEC 5.3; seed 000",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: false,
    };
    pub static CHILD_CONSENT: Requirement = Requirement {
        id: "permit.child_consent",
        accepted: &[T::ChildConsent],
        description: "notarized consent of the child aged 14 to 18 to permanent residence in \
                      Kazakhstan",
        legal_basis: "SPEC 5.3; seed 000",
        checks: &[Check::Notarized],
        per: Whom::EachChildAged14To18,
        reusable: false,
    };
    pub static HOUSING: Requirement = Requirement {
        id: "permit.housing",
        accepted: &[T::HousingContract, T::OwnerConsent],
        description: "notarized housing contract or notarized consent of the owner to provide \
                      housing for residence and permanent registration",
        legal_basis: "SPEC 5.3; seeds 000, 001",
        checks: &[Check::Notarized],
        per: Whom::Applicant,
        reusable: false,
    };
    /// **Decision:** one per person: each person settling is examined.
    pub static MEDICAL_CERTIFICATE: Requirement = Requirement {
        id: "permit.medical_certificate",
        accepted: &[T::MedicalCertificate],
        description: "medical certificate on the absence of diseases that prohibit entry \
                      (Order of the Minister of Health No. 664 of 30 September 2011)",
        legal_basis: "SPEC 5.3; seed 000",
        checks: &[],
        per: Whom::EachPerson,
        reusable: false,
    };
    /// **Decision:** one per person: each person receives a permit.
    pub static PHOTO: Requirement = Requirement {
        id: "permit.photo",
        accepted: &[T::Photo],
        description: "one photo 35×45 mm",
        legal_basis: "SPEC 5.3; seed 000",
        checks: &[Check::Photos { count: 1 }],
        per: Whom::EachPerson,
        reusable: false,
    };
    pub static CITIZENSHIP_TERMINATION: Requirement = Requirement {
        id: "permit.citizenship_termination",
        accepted: &[T::CitizenshipTerminationCertificate],
        description: "certificate of absence or termination of the citizenship of another \
                      state (the applicant has no identity document)",
        legal_basis: "SPEC 5.3; seed 000",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    pub static STATE_DUTY: Requirement = Requirement {
        id: "permit.state_duty",
        accepted: &[T::StateDutyPayment],
        description: "payment of the state duty of 4 MCI",
        legal_basis: "SPEC 5.3; seed 001",
        checks: DUTY,
        per: Whom::Applicant,
        reusable: false,
    };
    pub static ALL: [&Requirement; 13] = [
        &APPLICATION_FORM,
        &IDENTITY_DOCUMENT,
        &BIRTH_CERTIFICATE,
        &DEPARTURE_CONSENT,
        &BIOGRAPHY,
        &SOLVENCY,
        &CRIMINAL_RECORD,
        &CHILD_CONSENT,
        &HOUSING,
        &MEDICAL_CERTIFICATE,
        &PHOTO,
        &CITIZENSHIP_TERMINATION,
        &STATE_DUTY,
    ];
}

/// Residence permit card (SPEC 5.4; seeds 000, 001).
pub mod card {
    use super::*;

    pub static IDENTITY_DOCUMENT: Requirement = Requirement {
        id: "card.identity_document",
        accepted: &[T::IdentityDocument],
        description: "valid national passport",
        legal_basis: "SPEC 5.4; seed 000",
        checks: IDENTITY_CHECKS,
        per: Whom::Applicant,
        reusable: true,
    };
    /// **Decision:** SPEC names no amount for the card's fee; the state duty of 4 MCI
    /// (seed 001) is used, and `STATE_DUTY_MCI` is the one place to change it.
    pub static STATE_FEE: Requirement = Requirement {
        id: "card.state_fee",
        accepted: &[T::StateDutyPayment],
        description: "payment of the state fee of 4 MCI",
        legal_basis: "SPEC 5.4; seed 000; amount: seed 001 (4 MCI)",
        checks: DUTY,
        per: Whom::Applicant,
        reusable: false,
    };
    pub static ALL: [&Requirement; 2] = [&IDENTITY_DOCUMENT, &STATE_FEE];
}

/// Stateless person certificate (SPEC 5.4; seed 000).
pub mod stateless {
    use super::*;

    /// **Decision:** as for the card, 4 MCI.
    pub static STATE_FEE: Requirement = Requirement {
        id: "stateless.state_fee",
        accepted: &[T::StateDutyPayment],
        description: "payment of the state fee of 4 MCI",
        legal_basis: "SPEC 5.4; seed 000; amount: seed 001 (4 MCI)",
        checks: DUTY,
        per: Whom::Applicant,
        reusable: false,
    };
    pub static PHOTOS: Requirement = Requirement {
        id: "stateless.photos",
        accepted: &[T::Photo],
        description: "three photos 35×45 mm (paper form)",
        legal_basis: "SPEC 5.4; seed 000",
        checks: &[Check::Photos { count: 3 }],
        per: Whom::Applicant,
        reusable: false,
    };
    /// One of the listed documents; an expired passport counts, so there is no validity check.
    pub static IDENTITY_BASIS: Requirement = Requirement {
        id: "stateless.identity_basis",
        accepted: &[
            T::IdentityDocument,
            T::StatelessPersonDocument,
            T::UssrPassport1974,
            T::MilitaryId,
            T::PrisonReleaseCertificate,
            T::CitizenshipTerminationCertificate,
            T::ReturnCertificate,
        ],
        description: "one of: expired passport, stateless person's certificate, USSR passport \
                      of the 1974 model, military ID, certificate of release from prison, \
                      certificate of renunciation or change of citizenship, certificate of \
                      return issued abroad",
        legal_basis: "SPEC 5.4; seed 000",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    /// The same list for an applicant under 16, where a birth certificate also counts.
    pub static IDENTITY_BASIS_UNDER_16: Requirement = Requirement {
        id: "stateless.identity_basis",
        accepted: &[
            T::IdentityDocument,
            T::StatelessPersonDocument,
            T::UssrPassport1974,
            T::MilitaryId,
            T::PrisonReleaseCertificate,
            T::CitizenshipTerminationCertificate,
            T::BirthCertificate,
            T::ReturnCertificate,
        ],
        description: "one of: expired passport, stateless person's certificate, USSR passport \
                      of the 1974 model, military ID, certificate of release from prison, \
                      certificate of renunciation or change of citizenship, birth certificate \
                      (under 16), certificate of return issued abroad",
        legal_basis: "SPEC 5.4; seed 000",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    pub static ALL: [&Requirement; 4] = [
        &STATE_FEE,
        &PHOTOS,
        &IDENTITY_BASIS,
        &IDENTITY_BASIS_UNDER_16,
    ];
}

/// Residence registration (SPEC 5.5; seeds 002, 001, 003).
pub mod registration {
    use super::*;

    /// **Decision:** "every person over 14 being registered" is read as aged 14 or more
    /// (age ≥ 14, seed 002 "individuals above 14 years old"), the same boundary as "aged 14 to
    /// 18" elsewhere; the applicant's identity document is always required.
    pub static IDENTITY_DOCUMENT: Requirement = Requirement {
        id: "registration.identity_document",
        accepted: IDENTITY,
        description: "identity document, original or electronic from the digital document \
                      service, valid on the submission date",
        legal_basis: "SPEC 5.5; seed 002",
        checks: &[
            Check::HasNumber,
            Check::ValidOnSubmission,
            Check::OriginalOrElectronic,
            Check::StateLanguageOrNotarizedTranslation,
        ],
        per: Whom::EachPersonAged14OrMore,
        reusable: true,
    };
    /// **Decision:** "children" are family members under 18; the child's birth certificate
    /// establishes the legal representative's authority. Waived when an authorised person
    /// applies with a notarized power of attorney.
    pub static REPRESENTATIVE_AUTHORITY: Requirement = Requirement {
        id: "registration.representative_authority",
        accepted: &[T::BirthCertificate],
        description: "document of the legal representative's authority for the child (the \
                      child's birth certificate)",
        legal_basis: "SPEC 5.5; seed 002",
        checks: FOREIGN,
        per: Whom::EachChildUnder18,
        reusable: true,
    };
    pub static POWER_OF_ATTORNEY: Requirement = Requirement {
        id: "registration.power_of_attorney",
        accepted: &[T::PowerOfAttorney],
        description: "notarized power of attorney of the authorised person",
        legal_basis: "SPEC 5.5; seed 002",
        checks: &[Check::Notarized],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static OWNER_IDENTITY_DOCUMENT: Requirement = Requirement {
        id: "registration.owner_identity_document",
        accepted: &[T::OwnerIdentityDocument],
        description: "identity document of the owner of the dwelling",
        legal_basis: "SPEC 5.5; seed 002",
        checks: &[Check::HasNumber, Check::ValidOnSubmission],
        per: Whom::Applicant,
        reusable: false,
    };
    /// **Decision:** a housing contract with the owner also carries the owner's consent.
    pub static OWNER_CONSENT: Requirement = Requirement {
        id: "registration.owner_consent",
        accepted: &[T::OwnerConsent, T::HousingContract],
        description: "consent of the owner of the dwelling to the registration",
        legal_basis: "SPEC 5.5; seed 002",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    /// **Decision:** the organisation's request is presented as OWNER_CONSENT (or as a
    /// HOUSING_CONTRACT with the organisation).
    pub static ORGANISATION_REQUEST: Requirement = Requirement {
        id: "registration.organisation_request",
        accepted: &[T::OwnerConsent, T::HousingContract],
        description: "request of the administration of the organisation that owns the dwelling",
        legal_basis: "SPEC 5.5; seed 002",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static ALL: [&Requirement; 6] = [
        &IDENTITY_DOCUMENT,
        &REPRESENTATIVE_AUTHORITY,
        &POWER_OF_ATTORNEY,
        &OWNER_IDENTITY_DOCUMENT,
        &OWNER_CONSENT,
        &ORGANISATION_REQUEST,
    ];
}

/// Simplified citizenship (SPEC 5.6; seed 000).
pub mod citizenship {
    use super::*;

    pub static RENUNCIATION: Requirement = Requirement {
        id: "citizenship.renunciation",
        accepted: &[T::CitizenshipRenunciation],
        description: "notarized application renouncing the previous citizenship",
        legal_basis: "SPEC 5.6; seed 000",
        checks: &[Check::Notarized],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static BIOGRAPHY: Requirement = Requirement {
        id: "citizenship.biography",
        accepted: &[T::Biography],
        description: "autobiography in free form",
        legal_basis: "SPEC 5.6; seed 000",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    pub static APPLICATION_FORM: Requirement = Requirement {
        id: "citizenship.application_form",
        accepted: &[T::ApplicationForm],
        description: "application questionnaire",
        legal_basis: "SPEC 5.6; seed 000",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static PHOTOS: Requirement = Requirement {
        id: "citizenship.photos",
        accepted: &[T::Photo],
        description: "four photos 35×45 mm",
        legal_basis: "SPEC 5.6; seed 000",
        checks: &[Check::Photos { count: 4 }],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static COMPLIANCE_OBLIGATION: Requirement = Requirement {
        id: "citizenship.compliance_obligation",
        accepted: &[T::ComplianceObligation],
        description: "obligation to comply with the conditions",
        legal_basis: "SPEC 5.6; seed 000",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    /// **Decision:** asked of the applicant and of every family member aged 16 or more (each
    /// acquires citizenship), a child under 16 by `citizenship.birth_certificate`, as for the
    /// permit. No validity check: the document proves the other citizenship, and SPEC asks
    /// for a copy only.
    pub static IDENTITY_DOCUMENT: Requirement = Requirement {
        id: "citizenship.identity_document",
        accepted: IDENTITY,
        description: "copy of the identity document confirming the citizenship of another state \
                      (or the stateless person's document)",
        legal_basis: "SPEC 5.6; seed 000",
        checks: &[Check::HasNumber, Check::StateLanguageOrNotarizedTranslation],
        per: Whom::EachPersonAged16OrMore,
        reusable: true,
    };
    pub static BIRTH_CERTIFICATE: Requirement = Requirement {
        id: "citizenship.birth_certificate",
        accepted: &[
            T::BirthCertificate,
            T::IdentityDocument,
            T::StatelessPersonDocument,
        ],
        description: "birth certificate (or other identity document) of each child under 16 \
                      in the application",
        legal_basis: "SPEC 5.6 with SPEC 5.3 (Decision: children identified as for the permit)",
        checks: FOREIGN,
        per: Whom::EachChildUnder16,
        reusable: true,
    };
    pub static KANDAS_CERTIFICATE: Requirement = Requirement {
        id: "citizenship.kandas_certificate",
        accepted: &[T::KandasCertificate],
        description: "kandas certificate valid on the submission date (an extended status \
                      counts): satisfied from records, never asked for",
        legal_basis: "SPEC 5.6 category (a) and SPEC 5 \"never ask for what the state already \
                      holds\"; seed 004",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static STUDY_CERTIFICATE: Requirement = Requirement {
        id: "citizenship.study_certificate",
        accepted: &[T::StudyCertificate],
        description: "certificate from the higher education institution confirming the study",
        legal_basis: "SPEC 5.6 category (c); seed 000",
        checks: &[],
        per: Whom::Applicant,
        reusable: false,
    };
    pub static NATIONALITY_PROOF: Requirement = Requirement {
        id: "citizenship.nationality_proof",
        accepted: &[T::NationalityProof],
        description: "certificate of proof of Kazakh nationality",
        legal_basis: "SPEC 5.6 category (c); seed 000",
        checks: FOREIGN,
        per: Whom::Applicant,
        reusable: true,
    };
    /// **Decision:** SPEC names no amount; the state duty of 4 MCI is used as for the permit.
    pub static STATE_DUTY: Requirement = Requirement {
        id: "citizenship.state_duty",
        accepted: &[T::StateDutyPayment],
        description: "payment of the state duty of 4 MCI",
        legal_basis: "SPEC 5.6; seed 000; amount: seed 001 (4 MCI)",
        checks: DUTY,
        per: Whom::Applicant,
        reusable: false,
    };
    pub static ALL: [&Requirement; 11] = [
        &RENUNCIATION,
        &BIOGRAPHY,
        &APPLICATION_FORM,
        &PHOTOS,
        &COMPLIANCE_OBLIGATION,
        &IDENTITY_DOCUMENT,
        &BIRTH_CERTIFICATE,
        &KANDAS_CERTIFICATE,
        &STUDY_CERTIFICATE,
        &NATIONALITY_PROOF,
        &STATE_DUTY,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::details::Relation;
    use crate::domain::documents::{DocumentForm, ItemStatus, Photo, Translation};
    use crate::domain::records::{KandasStatusRecord, PresentedDocument, RegistrationKind};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const MCI_2025: i64 = 3_932;

    fn doc(kind: T) -> Document {
        Document {
            kind,
            holder: None,
            form: DocumentForm::Original,
            language: "kk".into(),
            translation: None,
            number: "N-1".into(),
            issuing_country: "KAZ".into(),
            issue_date: Some(d(2020, 1, 1)),
            expiry_date: None,
            amount_tenge: None,
            photo: None,
            notarized: false,
            content_sha256: String::new(),
            storage_ref: String::new(),
        }
    }

    fn held(mut document: Document, holder: Uuid) -> Document {
        document.holder = Some(holder);
        document
    }

    fn passport(expiry: NaiveDate) -> Document {
        Document {
            language: "zh".into(),
            translation: Some(Translation {
                language: "ru".into(),
                notarized: true,
            }),
            issuing_country: "CHN".into(),
            expiry_date: Some(expiry),
            ..doc(T::IdentityDocument)
        }
    }

    fn paid(kind: T, amount: i64) -> Document {
        Document {
            amount_tenge: Some(amount),
            ..doc(kind)
        }
    }

    fn photos(count: u32, width_mm: u32, height_mm: u32) -> Document {
        Document {
            photo: Some(Photo {
                count,
                width_mm,
                height_mm,
            }),
            ..doc(T::Photo)
        }
    }

    fn person(birth: NaiveDate) -> PersonRecords {
        PersonRecords::new(Uuid::new_v4(), birth)
    }

    fn child(records: &PersonRecords) -> FamilyMember {
        FamilyMember {
            person_id: records.person_id,
            relation: Relation::Child,
        }
    }

    fn permit(category: PermitCategory, family: Vec<FamilyMember>) -> Details {
        Details::PermanentResidencePermit {
            category,
            refugee_or_asylum: false,
            ethnic_kazakh_from_prc: false,
            former_compatriot: false,
            treaty_simplified_citizenship: false,
            without_identity_document: false,
            family,
        }
    }

    fn case<'a>(
        details: &'a Details,
        submission_date: NaiveDate,
        applicant: &'a PersonRecords,
        family: &'a [PersonRecords],
        documents: &'a [Document],
        mci: Option<i64>,
    ) -> Case<'a> {
        Case {
            details,
            submission_date,
            applicant,
            family: details.family().iter().zip(family).collect(),
            documents,
            mci,
        }
    }

    /// The item for `requirement` and `holder`, if the checklist has one.
    fn item<'i>(
        items: &'i [ChecklistItem],
        requirement: &str,
        holder: Option<Uuid>,
    ) -> Option<&'i ChecklistItem> {
        items
            .iter()
            .find(|i| i.requirement == requirement && i.holder == holder)
    }

    fn status(items: &[ChecklistItem], requirement: &str, holder: Option<Uuid>) -> ItemStatus {
        item(items, requirement, holder)
            .unwrap_or_else(|| panic!("no {requirement} for {holder:?} in {items:#?}"))
            .status
    }

    fn adult() -> PersonRecords {
        person(d(1985, 5, 20))
    }

    #[test]
    fn child_exactly_16_needs_no_birth_certificate_one_day_short_does() {
        let applicant = adult();
        let kid = person(d(2010, 3, 2));
        let details = permit(PermitCategory::KandasAndFamily, vec![child(&kid)]);
        let family = [kid.clone()];
        let id = Some(kid.person_id);

        let on_16th_birthday = checklist(&case(
            &details,
            d(2026, 3, 2),
            &applicant,
            &family,
            &[],
            None,
        ));
        assert!(item(&on_16th_birthday, "permit.birth_certificate", id).is_none());
        // At 16 the child is identified by their own passport instead.
        assert_eq!(
            status(&on_16th_birthday, "permit.identity_document", id),
            ItemStatus::Missing
        );

        let day_before = checklist(&case(
            &details,
            d(2026, 3, 1),
            &applicant,
            &family,
            &[],
            None,
        ));
        assert_eq!(
            status(&day_before, "permit.birth_certificate", id),
            ItemStatus::Missing
        );
        assert!(item(&day_before, "permit.identity_document", id).is_none());

        let certificate = held(doc(T::BirthCertificate), kid.person_id);
        let docs = [certificate];
        let presented = checklist(&case(
            &details,
            d(2026, 3, 1),
            &applicant,
            &family,
            &docs,
            None,
        ));
        assert_eq!(
            status(&presented, "permit.birth_certificate", id),
            ItemStatus::Satisfied
        );
        // A child's document does not serve the applicant.
        assert!(item(&presented, "permit.birth_certificate", None).is_none());
    }

    #[test]
    fn child_consent_needed_from_14_until_18() {
        let applicant = adult();
        let day = d(2026, 6, 1);
        for (birth, needed) in [
            (d(2013, 6, 1), false), // exactly 13
            (d(2012, 6, 2), false), // 13, one day short of 14
            (d(2012, 6, 1), true),  // exactly 14
            (d(2008, 6, 2), true),  // 17, one day short of 18
            (d(2008, 6, 1), false), // exactly 18
        ] {
            let kid = person(birth);
            let details = permit(PermitCategory::KandasAndFamily, vec![child(&kid)]);
            let family = [kid.clone()];
            let items = checklist(&case(&details, day, &applicant, &family, &[], None));
            let consent = item(&items, "permit.child_consent", Some(kid.person_id));
            assert_eq!(consent.is_some(), needed, "born {birth}");
        }
        // The consent must be notarized.
        let kid = person(d(2012, 6, 1));
        let details = permit(PermitCategory::KandasAndFamily, vec![child(&kid)]);
        let family = [kid.clone()];
        let mut consent = held(doc(T::ChildConsent), kid.person_id);
        let docs = [consent.clone()];
        let items = checklist(&case(&details, day, &applicant, &family, &docs, None));
        let it = item(&items, "permit.child_consent", Some(kid.person_id)).unwrap();
        assert_eq!(it.status, ItemStatus::Invalid);
        assert!(it.detail.contains("notarized"), "{}", it.detail);
        consent.notarized = true;
        let docs = [consent];
        let items = checklist(&case(&details, day, &applicant, &family, &docs, None));
        assert_eq!(
            status(&items, "permit.child_consent", Some(kid.person_id)),
            ItemStatus::Satisfied
        );
    }

    #[test]
    fn solvency_of_exactly_1320_mci_in_2025_is_enough_one_tenge_less_is_not() {
        assert_eq!(1_320 * MCI_2025, 5_190_240);
        let applicant = adult();
        let details = permit(PermitCategory::OtherForeigner, vec![]);
        let day = d(2025, 9, 15);
        let enough = [paid(T::SolvencyProof, 5_190_240)];
        let items = checklist(&case(
            &details,
            day,
            &applicant,
            &[],
            &enough,
            Some(MCI_2025),
        ));
        let it = item(&items, "permit.solvency", None).unwrap();
        assert_eq!(it.status, ItemStatus::Satisfied);
        assert!(
            it.description.contains("5,190,240 tenge in 2025"),
            "{}",
            it.description
        );

        let short = [paid(T::SolvencyProof, 5_190_239)];
        let items = checklist(&case(
            &details,
            day,
            &applicant,
            &[],
            &short,
            Some(MCI_2025),
        ));
        let it = item(&items, "permit.solvency", None).unwrap();
        assert_eq!(it.status, ItemStatus::Invalid);
        assert!(
            it.detail.contains("5,190,239") && it.detail.contains("5,190,240"),
            "{}",
            it.detail
        );

        let no_amount = [doc(T::SolvencyProof)];
        let items = checklist(&case(
            &details,
            day,
            &applicant,
            &[],
            &no_amount,
            Some(MCI_2025),
        ));
        assert_eq!(status(&items, "permit.solvency", None), ItemStatus::Invalid);
    }

    #[test]
    fn state_duty_is_4_mci() {
        let applicant = adult();
        let day = d(2025, 9, 15);
        let details = permit(PermitCategory::OtherForeigner, vec![]);
        for (amount, expected) in [
            (15_728, ItemStatus::Satisfied),
            (15_727, ItemStatus::Invalid),
            (20_000, ItemStatus::Satisfied),
        ] {
            let docs = [paid(T::StateDutyPayment, amount)];
            let items = checklist(&case(&details, day, &applicant, &[], &docs, Some(MCI_2025)));
            assert_eq!(
                status(&items, "permit.state_duty", None),
                expected,
                "{amount}"
            );
        }
        // The same amount for the card's and the stateless certificate's fee (Decision).
        for (details, id) in [
            (
                Details::ResidencePermitCard { renewal: false },
                "card.state_fee",
            ),
            (
                Details::StatelessPersonCertificate { paper_form: false },
                "stateless.state_fee",
            ),
        ] {
            let docs = [paid(T::StateDutyPayment, 15_727)];
            let items = checklist(&case(&details, day, &applicant, &[], &docs, Some(MCI_2025)));
            assert_eq!(status(&items, id, None), ItemStatus::Invalid);
        }
    }

    #[test]
    fn a_money_check_without_mci_is_invalid_naming_the_year() {
        let applicant = adult();
        let details = permit(PermitCategory::OtherForeigner, vec![]);
        let docs = [
            paid(T::StateDutyPayment, 1_000_000),
            paid(T::SolvencyProof, 100_000_000),
        ];
        let items = checklist(&case(&details, d(2027, 2, 1), &applicant, &[], &docs, None));
        for id in ["permit.state_duty", "permit.solvency"] {
            let it = item(&items, id, None).unwrap();
            assert_eq!(it.status, ItemStatus::Invalid);
            assert!(
                it.detail.contains("MCI for 2027 is not set"),
                "{}",
                it.detail
            );
        }
        // Nothing presented: simply missing (ListRequiredDocuments), the amount is unknown.
        let items = checklist(&case(&details, d(2027, 2, 1), &applicant, &[], &[], None));
        let it = item(&items, "permit.state_duty", None).unwrap();
        assert_eq!(it.status, ItemStatus::Missing);
        assert!(it.description.contains("MCI for 2027 is not set"));
    }

    fn waived_with(items: &[ChecklistItem], id: &str, basis: &str) {
        let it = item(items, id, None).unwrap_or_else(|| panic!("no {id}"));
        assert_eq!(it.status, ItemStatus::Waived, "{id}: {it:?}");
        assert!(!it.detail.is_empty(), "{id}: exemption text");
        assert!(it.legal_basis.contains(basis), "{id}: {}", it.legal_basis);
    }

    fn required(items: &[ChecklistItem], id: &str) {
        assert_eq!(status(items, id, None), ItemStatus::Missing, "{id}");
    }

    fn permit_items(details: &Details, applicant: &PersonRecords) -> Vec<ChecklistItem> {
        checklist(&case(
            details,
            d(2025, 9, 15),
            applicant,
            &[],
            &[],
            Some(MCI_2025),
        ))
    }

    fn permit_with(edit: impl FnOnce(&mut Details)) -> Details {
        let mut details = permit(PermitCategory::OtherForeigner, vec![]);
        edit(&mut details);
        details
    }

    #[test]
    fn without_exemptions_every_permit_document_is_required() {
        let items = permit_items(&permit(PermitCategory::OtherForeigner, vec![]), &adult());
        for id in [
            "permit.application_form",
            "permit.identity_document",
            "permit.departure_consent",
            "permit.biography",
            "permit.solvency",
            "permit.criminal_record",
            "permit.housing",
            "permit.medical_certificate",
            "permit.photo",
            "permit.state_duty",
        ] {
            required(&items, id);
        }
        assert!(item(&items, "permit.citizenship_termination", None).is_none());
    }

    #[test]
    fn each_exemption_of_5_3_waives_what_it_should() {
        let applicant = adult();
        // Refugees and asylum holders: departure consent only.
        let items = permit_items(
            &permit_with(|d| {
                if let Details::PermanentResidencePermit {
                    refugee_or_asylum, ..
                } = d
                {
                    *refugee_or_asylum = true;
                }
            }),
            &applicant,
        );
        waived_with(&items, "permit.departure_consent", "refugees");
        required(&items, "permit.criminal_record");
        required(&items, "permit.solvency");

        // Ethnic Kazakhs from the PRC: departure consent and criminal record.
        let items = permit_items(
            &permit_with(|d| {
                if let Details::PermanentResidencePermit {
                    ethnic_kazakh_from_prc,
                    ..
                } = d
                {
                    *ethnic_kazakh_from_prc = true;
                }
            }),
            &applicant,
        );
        waived_with(
            &items,
            "permit.departure_consent",
            "People's Republic of China",
        );
        waived_with(
            &items,
            "permit.criminal_record",
            "People's Republic of China",
        );
        required(&items, "permit.state_duty");
        // ... also when the person record says so.
        let mut chinese_kazakh = adult();
        chinese_kazakh.ethnic_kazakh = true;
        chinese_kazakh.citizenship = "CHN".into();
        let items = permit_items(
            &permit(PermitCategory::OtherForeigner, vec![]),
            &chinese_kazakh,
        );
        waived_with(
            &items,
            "permit.criminal_record",
            "People's Republic of China",
        );
        waived_with(
            &items,
            "permit.departure_consent",
            "People's Republic of China",
        );

        // Solvency: ethnic Kazakhs, former compatriots, treaty, and their family members.
        let items = permit_items(&permit(PermitCategory::KandasAndFamily, vec![]), &applicant);
        waived_with(&items, "permit.solvency", "1185");
        waived_with(&items, "permit.state_duty", "Tax Code art. 619");
        required(&items, "permit.departure_consent");
        required(&items, "permit.criminal_record");
        let mut ethnic = adult();
        ethnic.ethnic_kazakh = true;
        let items = permit_items(&permit(PermitCategory::OtherForeigner, vec![]), &ethnic);
        waived_with(&items, "permit.solvency", "ethnic Kazakhs");
        for flag in 0..2 {
            let items = permit_items(
                &permit_with(|d| {
                    if let Details::PermanentResidencePermit {
                        former_compatriot,
                        treaty_simplified_citizenship,
                        ..
                    } = d
                    {
                        *[former_compatriot, treaty_simplified_citizenship][flag] = true;
                    }
                }),
                &applicant,
            );
            waived_with(&items, "permit.solvency", "SPEC 5.3");
            required(&items, "permit.state_duty");
        }
        let mut spouse = adult();
        spouse.ethnic_kazakh = true;
        let details = permit(
            PermitCategory::OtherForeigner,
            vec![FamilyMember {
                person_id: spouse.person_id,
                relation: Relation::Spouse,
            }],
        );
        let family = [spouse];
        let items = checklist(&case(
            &details,
            d(2025, 9, 15),
            &applicant,
            &family,
            &[],
            None,
        ));
        waived_with(&items, "permit.solvency", "family members");

        // State duty: kandas (also by a valid status on record).
        let mut kandas = adult();
        kandas.kandas_statuses.push(KandasStatusRecord {
            evidence: "applications/k1".into(),
            certificate_number: "KC-1".into(),
            valid_from: d(2025, 1, 10),
            valid_until: d(2026, 1, 10),
        });
        let items = permit_items(&permit(PermitCategory::OtherForeigner, vec![]), &kandas);
        waived_with(&items, "permit.state_duty", "Tax Code art. 619");

        // Without an identity document: the termination certificate replaces the passport.
        let items = permit_items(
            &permit_with(|d| {
                if let Details::PermanentResidencePermit {
                    without_identity_document,
                    ..
                } = d
                {
                    *without_identity_document = true;
                }
            }),
            &applicant,
        );
        required(&items, "permit.citizenship_termination");
        waived_with(&items, "permit.identity_document", "SPEC 5.3");
    }

    fn kandas_record(evidence: &str, from: NaiveDate, until: NaiveDate) -> KandasStatusRecord {
        KandasStatusRecord {
            evidence: evidence.into(),
            certificate_number: "KC-000001".into(),
            valid_from: from,
            valid_until: until,
        }
    }

    #[test]
    fn kandas_certificate_on_record_satisfies_citizenship_a_from_records() {
        let mut applicant = adult();
        applicant.kandas_statuses.push(kandas_record(
            "applications/k1",
            d(2025, 3, 1),
            d(2026, 3, 1),
        ));
        let details = Details::SimplifiedCitizenship {
            category: CitizenshipCategory::Kandas,
            family: vec![],
        };
        let items = checklist(&case(&details, d(2025, 12, 1), &applicant, &[], &[], None));
        let it = item(&items, "citizenship.kandas_certificate", None).unwrap();
        assert_eq!(it.status, ItemStatus::SatisfiedFromRecords);
        assert_eq!(it.detail, "applications/k1");
        assert_eq!(it.document_type, T::KandasCertificate);
        waived_with(&items, "citizenship.state_duty", "Tax Code art. 619");
        assert!(item(&items, "citizenship.study_certificate", None).is_none());

        // Expired and not extended: missing, and a paper does not replace the record.
        let paper = [doc(T::KandasCertificate)];
        let items = checklist(&case(
            &details,
            d(2026, 3, 2),
            &applicant,
            &[],
            &paper,
            None,
        ));
        let it = item(&items, "citizenship.kandas_certificate", None).unwrap();
        assert_eq!(it.status, ItemStatus::Missing);
        assert!(it.detail.contains("2026-03-02"), "{}", it.detail);

        // Category (c): institution certificate and nationality proof; duty not waived.
        let details = Details::SimplifiedCitizenship {
            category: CitizenshipCategory::EthnicKazakhStudent,
            family: vec![],
        };
        let items = checklist(&case(&details, d(2026, 3, 2), &adult(), &[], &[], None));
        required(&items, "citizenship.study_certificate");
        required(&items, "citizenship.nationality_proof");
        required(&items, "citizenship.state_duty");
        assert!(item(&items, "citizenship.kandas_certificate", None).is_none());
    }

    #[test]
    fn extension_asks_for_the_application_only() {
        let details = Details::KandasStatusExtension;
        let applicant = adult();
        let items = checklist(&case(&details, d(2026, 2, 1), &applicant, &[], &[], None));
        required(&items, "extension.application_form");
        let it = item(&items, "extension.kandas_certificate", None).unwrap();
        assert_eq!(it.status, ItemStatus::Missing);
        assert!(!it.detail.is_empty());

        let mut applicant = adult();
        applicant.kandas_statuses.push(kandas_record(
            "applications/k1",
            d(2025, 3, 1),
            d(2026, 3, 1),
        ));
        let items = checklist(&case(&details, d(2026, 2, 1), &applicant, &[], &[], None));
        let it = item(&items, "extension.kandas_certificate", None).unwrap();
        assert_eq!(it.status, ItemStatus::SatisfiedFromRecords);
        assert_eq!(it.detail, "applications/k1");
        assert_eq!(items.len(), 2);
    }

    fn presented(evidence: &str, on: NaiveDate, document: Document) -> PresentedDocument {
        PresentedDocument {
            evidence: evidence.into(),
            presented_on: on,
            document: Document {
                holder: None,
                ..document
            },
        }
    }

    #[test]
    fn passport_from_the_kandas_step_is_reused_while_valid() {
        let mut applicant = adult();
        applicant.presented.push(presented(
            "applications/kandas-1",
            d(2025, 2, 1),
            passport(d(2030, 1, 1)),
        ));
        let details = permit(PermitCategory::KandasAndFamily, vec![]);
        let items = checklist(&case(&details, d(2025, 9, 15), &applicant, &[], &[], None));
        let it = item(&items, "permit.identity_document", None).unwrap();
        assert_eq!(it.status, ItemStatus::SatisfiedFromRecords);
        assert_eq!(it.detail, "applications/kandas-1");

        let mut expired = adult();
        expired.presented.push(presented(
            "applications/kandas-1",
            d(2025, 2, 1),
            passport(d(2025, 9, 14)),
        ));
        let items = checklist(&case(&details, d(2025, 9, 15), &expired, &[], &[], None));
        required(&items, "permit.identity_document");
        // A new passport presented now is checked as usual.
        let fresh = [passport(d(2032, 1, 1))];
        let items = checklist(&case(&details, d(2025, 9, 15), &expired, &[], &fresh, None));
        assert_eq!(
            status(&items, "permit.identity_document", None),
            ItemStatus::Satisfied
        );
        // Application forms are never reused.
        let mut with_form = adult();
        with_form.presented.push(presented(
            "applications/kandas-1",
            d(2025, 2, 1),
            doc(T::ApplicationForm),
        ));
        let items = checklist(&case(&details, d(2025, 9, 15), &with_form, &[], &[], None));
        required(&items, "permit.application_form");
    }

    #[test]
    fn the_family_is_not_asked_again_for_what_it_presented() {
        // Kandas step: applicant with passport and biography, spouse with passport, a child
        // of 10 with a birth certificate.
        let kandas_day = d(2025, 2, 3);
        let mut applicant = adult();
        let mut spouse = person(d(1987, 7, 7));
        let mut kid = person(d(2015, 4, 4));
        let family_members = vec![
            FamilyMember {
                person_id: spouse.person_id,
                relation: Relation::Spouse,
            },
            child(&kid),
        ];
        let kandas = Details::KandasStatusAssignment {
            grounds: vec![KandasGround::QuotaRegionResettlement],
            nationality_in_identity_document: true,
            consent_via_foreign_institution: false,
            family: family_members.clone(),
        };
        let birth = Document {
            language: "mn".into(),
            translation: Some(Translation {
                language: "kk".into(),
                notarized: true,
            }),
            ..doc(T::BirthCertificate)
        };
        let docs = vec![
            doc(T::ApplicationForm),
            doc(T::Biography),
            passport(d(2031, 1, 1)),
            held(passport(d(2031, 1, 1)), spouse.person_id),
            held(birth.clone(), kid.person_id),
        ];
        let family = [spouse.clone(), kid.clone()];
        let items = checklist(&case(&kandas, kandas_day, &applicant, &family, &docs, None));
        assert!(items.iter().all(|i| !i.is_problem()), "{items:#?}");
        assert_eq!(
            items
                .iter()
                .filter(|i| i.requirement == "kandas.identity_document")
                .count(),
            3
        );

        // The store records what was presented, per person.
        let evidence = "applications/kandas-1";
        for d in &docs {
            let target = match d.holder {
                None => &mut applicant,
                Some(id) if id == spouse.person_id => &mut spouse,
                Some(_) => &mut kid,
            };
            target
                .presented
                .push(presented(evidence, kandas_day, d.clone()));
        }
        applicant.kandas_statuses.push(kandas_record(
            "applications/kandas-1",
            kandas_day,
            d(2026, 2, 3),
        ));

        // Permit step: passports, the child's birth certificate and the biography come from
        // records; the state duty is waived; the rest is asked for.
        let permit_details = permit(PermitCategory::KandasAndFamily, family_members.clone());
        let family = [spouse.clone(), kid.clone()];
        let items = checklist(&case(
            &permit_details,
            d(2025, 6, 2),
            &applicant,
            &family,
            &[],
            None,
        ));
        for (id, holder) in [
            ("permit.identity_document", None),
            ("permit.identity_document", Some(spouse.person_id)),
            ("permit.birth_certificate", Some(kid.person_id)),
            ("permit.biography", None),
        ] {
            let it = item(&items, id, holder).unwrap();
            assert_eq!(
                it.status,
                ItemStatus::SatisfiedFromRecords,
                "{id} {holder:?}"
            );
            assert_eq!(it.detail, evidence);
        }
        assert_eq!(
            status(&items, "permit.state_duty", None),
            ItemStatus::Waived
        );
        required(&items, "permit.application_form");

        // Citizenship step: the kandas certificate too.
        let citizenship = Details::SimplifiedCitizenship {
            category: CitizenshipCategory::Kandas,
            family: family_members,
        };
        let items = checklist(&case(
            &citizenship,
            d(2025, 12, 1),
            &applicant,
            &family,
            &[],
            None,
        ));
        for (id, holder) in [
            ("citizenship.identity_document", None),
            ("citizenship.identity_document", Some(spouse.person_id)),
            ("citizenship.birth_certificate", Some(kid.person_id)),
            ("citizenship.biography", None),
            ("citizenship.kandas_certificate", None),
        ] {
            assert_eq!(
                status(&items, id, holder),
                ItemStatus::SatisfiedFromRecords,
                "{id} {holder:?}"
            );
        }
    }

    #[test]
    fn photos_are_counted_and_sized_35_by_45() {
        let applicant = adult();
        let day = d(2025, 9, 15);
        let details = permit(PermitCategory::KandasAndFamily, vec![]);
        for (photo, expected) in [
            (photos(1, 35, 45), ItemStatus::Satisfied),
            (photos(2, 35, 45), ItemStatus::Satisfied),
            (photos(0, 35, 45), ItemStatus::Invalid),
            (photos(1, 30, 40), ItemStatus::Invalid),
            (doc(T::Photo), ItemStatus::Invalid),
        ] {
            let docs = [photo];
            let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
            assert_eq!(status(&items, "permit.photo", None), expected);
        }
        let citizenship = Details::SimplifiedCitizenship {
            category: CitizenshipCategory::RepressionVictimDescendant,
            family: vec![],
        };
        for (count, expected) in [(4, ItemStatus::Satisfied), (3, ItemStatus::Invalid)] {
            let docs = [photos(count, 35, 45)];
            let items = checklist(&case(&citizenship, day, &applicant, &[], &docs, None));
            let it = item(&items, "citizenship.photos", None).unwrap();
            assert_eq!(it.status, expected, "{count}: {}", it.detail);
        }
        // Stateless certificate: three photos in paper form only.
        let paper = Details::StatelessPersonCertificate { paper_form: true };
        let docs = [photos(3, 35, 45)];
        let items = checklist(&case(&paper, day, &applicant, &[], &docs, None));
        assert_eq!(
            status(&items, "stateless.photos", None),
            ItemStatus::Satisfied
        );
        let docs = [photos(2, 35, 45)];
        let items = checklist(&case(&paper, day, &applicant, &[], &docs, None));
        assert_eq!(
            status(&items, "stateless.photos", None),
            ItemStatus::Invalid
        );
        let electronic = Details::StatelessPersonCertificate { paper_form: false };
        let items = checklist(&case(&electronic, day, &applicant, &[], &[], None));
        assert!(item(&items, "stateless.photos", None).is_none());
    }

    #[test]
    fn foreign_language_identity_document_needs_a_notarized_translation() {
        let applicant = adult();
        let details = Details::KandasStatusAssignment {
            grounds: vec![KandasGround::EmployerInvitation],
            nationality_in_identity_document: false,
            consent_via_foreign_institution: true,
            family: vec![],
        };
        let day = d(2025, 9, 15);
        let mut untranslated = passport(d(2030, 1, 1));
        untranslated.translation = None;
        let docs = [untranslated.clone()];
        let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
        let it = item(&items, "kandas.identity_document", None).unwrap();
        assert_eq!(it.status, ItemStatus::Invalid);
        assert!(it.detail.contains("notarized translation"), "{}", it.detail);
        untranslated.translation = Some(Translation {
            language: "ru".into(),
            notarized: false,
        });
        let docs = [untranslated];
        let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
        assert_eq!(
            status(&items, "kandas.identity_document", None),
            ItemStatus::Invalid
        );
        let docs = [passport(d(2030, 1, 1))];
        let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
        assert_eq!(
            status(&items, "kandas.identity_document", None),
            ItemStatus::Satisfied
        );
        // Conditions of 5.2.
        required(&items, "kandas.nationality_proof");
        required(&items, "kandas.employer_invitation");
        required(&items, "kandas.prior_consent_decision");
        assert!(item(&items, "kandas.kinship_proof", None).is_none());
        assert!(item(&items, "kandas.study_certificate", None).is_none());
    }

    fn registration(
        by_representative: bool,
        owner_is_organisation: bool,
        family: Vec<FamilyMember>,
    ) -> Details {
        Details::ResidenceRegistration {
            kind: RegistrationKind::Permanent,
            region: crate::domain::regions::Region::Pavlodar,
            address: "Pavlodar, Lenin St 1".into(),
            until: None,
            by_representative,
            owner_is_organisation,
            family,
        }
    }

    #[test]
    fn registration_asks_identity_from_14_and_authority_for_children() {
        let applicant = adult();
        let day = d(2026, 6, 1);
        let fourteen = person(d(2012, 6, 1));
        let thirteen = person(d(2012, 6, 2));
        let details = registration(false, false, vec![child(&fourteen), child(&thirteen)]);
        let family = [fourteen.clone(), thirteen.clone()];
        let items = checklist(&case(&details, day, &applicant, &family, &[], None));
        let identity = "registration.identity_document";
        required(&items, identity);
        assert_eq!(
            status(&items, identity, Some(fourteen.person_id)),
            ItemStatus::Missing
        );
        assert!(item(&items, identity, Some(thirteen.person_id)).is_none());
        for kid in [&fourteen, &thirteen] {
            assert_eq!(
                status(
                    &items,
                    "registration.representative_authority",
                    Some(kid.person_id)
                ),
                ItemStatus::Missing
            );
        }
        required(&items, "registration.owner_identity_document");
        required(&items, "registration.owner_consent");
        assert!(item(&items, "registration.organisation_request", None).is_none());
        assert!(item(&items, "registration.power_of_attorney", None).is_none());

        // Copies are not accepted; originals and electronic documents are.
        let mut copy = passport(d(2030, 1, 1));
        copy.form = DocumentForm::Copy;
        let mut electronic = copy.clone();
        electronic.form = DocumentForm::Electronic;
        for (document, expected) in [
            (copy, ItemStatus::Invalid),
            (electronic, ItemStatus::Satisfied),
        ] {
            let docs = [document];
            let items = checklist(&case(&details, day, &applicant, &family, &docs, None));
            assert_eq!(status(&items, identity, None), expected);
        }

        // An authorised person with a power of attorney; an organisation's dwelling.
        let details = registration(true, true, vec![child(&thirteen)]);
        let family = [thirteen.clone()];
        let items = checklist(&case(&details, day, &applicant, &family, &[], None));
        let it = item(
            &items,
            "registration.representative_authority",
            Some(thirteen.person_id),
        )
        .unwrap();
        assert_eq!(it.status, ItemStatus::Waived);
        assert!(it.legal_basis.contains("SPEC 5.5"));
        required(&items, "registration.power_of_attorney");
        required(&items, "registration.organisation_request");
        assert!(item(&items, "registration.owner_consent", None).is_none());
    }

    #[test]
    fn stateless_certificate_accepts_one_of_the_listed_documents() {
        let day = d(2026, 6, 1);
        let details = Details::StatelessPersonCertificate { paper_form: false };
        let adult = adult();
        let expired = [passport(d(2020, 1, 1))];
        let items = checklist(&case(&details, day, &adult, &[], &expired, None));
        assert_eq!(
            status(&items, "stateless.identity_basis", None),
            ItemStatus::Satisfied
        );
        let military = [doc(T::MilitaryId)];
        let items = checklist(&case(&details, day, &adult, &[], &military, None));
        assert_eq!(
            status(&items, "stateless.identity_basis", None),
            ItemStatus::Satisfied
        );
        let birth = [doc(T::BirthCertificate)];
        let items = checklist(&case(&details, day, &adult, &[], &birth, None));
        assert_eq!(
            status(&items, "stateless.identity_basis", None),
            ItemStatus::Missing
        );
        let minor = person(d(2011, 1, 1));
        let items = checklist(&case(&details, day, &minor, &[], &birth, None));
        assert_eq!(
            status(&items, "stateless.identity_basis", None),
            ItemStatus::Satisfied
        );
    }

    fn every_details(family: &[FamilyMember]) -> Vec<Details> {
        vec![
            Details::IinAssignment {
                by_representative: true,
            },
            Details::KandasStatusAssignment {
                grounds: vec![
                    KandasGround::FamilyReunification,
                    KandasGround::EmployerInvitation,
                    KandasGround::HigherEducationStudent,
                ],
                nationality_in_identity_document: false,
                consent_via_foreign_institution: true,
                family: family.to_vec(),
            },
            Details::KandasStatusExtension,
            permit(PermitCategory::KandasAndFamily, family.to_vec()),
            permit_with(|d| {
                if let Details::PermanentResidencePermit {
                    without_identity_document,
                    family: f,
                    ..
                } = d
                {
                    *without_identity_document = true;
                    *f = family.to_vec();
                }
            }),
            Details::ResidencePermitCard { renewal: true },
            Details::StatelessPersonCertificate { paper_form: true },
            registration(false, false, family.to_vec()),
            registration(true, true, family.to_vec()),
            Details::SimplifiedCitizenship {
                category: CitizenshipCategory::Kandas,
                family: family.to_vec(),
            },
            Details::SimplifiedCitizenship {
                category: CitizenshipCategory::EthnicKazakhStudent,
                family: family.to_vec(),
            },
        ]
    }

    #[test]
    fn list_required_documents_reports_only_missing_waived_or_from_records() {
        let applicant = PersonRecords::new(Uuid::new_v4(), d(1980, 1, 1));
        let teen = PersonRecords::new(Uuid::new_v4(), d(2010, 9, 1));
        let baby = PersonRecords::new(Uuid::new_v4(), d(2024, 9, 1));
        let members = [child(&teen), child(&baby)];
        let family = [teen.clone(), baby.clone()];
        for mci in [None, Some(4_325)] {
            for details in every_details(&members) {
                let items = checklist(&case(
                    &details,
                    d(2026, 3, 2),
                    &applicant,
                    &family,
                    &[],
                    mci,
                ));
                assert!(!items.is_empty(), "{details:?}");
                for it in &items {
                    assert!(
                        matches!(
                            it.status,
                            ItemStatus::Missing
                                | ItemStatus::Waived
                                | ItemStatus::SatisfiedFromRecords
                        ),
                        "{details:?}: {it:?}"
                    );
                    assert!(!it.legal_basis.is_empty() && !it.description.is_empty());
                    let prefix = it.requirement.split('.').next().unwrap();
                    let expected = match details.procedure() {
                        Procedure::IinAssignment => "iin",
                        Procedure::KandasStatusAssignment => "kandas",
                        Procedure::KandasStatusExtension => "extension",
                        Procedure::PermanentResidencePermit => "permit",
                        Procedure::ResidencePermitCard => "card",
                        Procedure::StatelessPersonCertificate => "stateless",
                        Procedure::ResidenceRegistration => "registration",
                        Procedure::RegionalQuotaInclusion => "quota",
                        Procedure::SimplifiedCitizenship => "citizenship",
                    };
                    assert_eq!(prefix, expected);
                    assert!(
                        requirements(details.procedure())
                            .iter()
                            .any(|r| r.id == it.requirement),
                        "{} not in the catalogue",
                        it.requirement
                    );
                }
                // One item per requirement and holder.
                let mut keys: Vec<_> = items.iter().map(|i| (&i.requirement, i.holder)).collect();
                keys.sort();
                let before = keys.len();
                keys.dedup();
                assert_eq!(before, keys.len(), "{details:?}");
            }
        }
    }

    #[test]
    fn iin_assignment_is_delegated_unchanged() {
        let applicant = adult();
        let details = Details::IinAssignment {
            by_representative: false,
        };
        let docs = [passport(d(2030, 1, 1))];
        let day = d(2026, 3, 2);
        assert_eq!(
            checklist(&case(&details, day, &applicant, &[], &docs, None)),
            iin_assignment::checklist(false, &docs, day)
        );
        assert_eq!(
            applied(&case(&details, day, &applicant, &[], &docs, None)).len(),
            2
        );
    }

    #[test]
    fn catalogue_ids_are_unique_per_procedure_and_reuse_is_decided_per_document() {
        for procedure in Procedure::ALL {
            let reqs = requirements(procedure);
            let mut ids: Vec<_> = reqs.iter().map(|r| r.id).collect();
            ids.sort();
            ids.dedup();
            // The stateless identity basis has an under-16 variant under the same id.
            let variants = usize::from(procedure == Procedure::StatelessPersonCertificate);
            assert_eq!(ids.len() + variants, reqs.len(), "{procedure:?}");
            for r in reqs {
                assert!(!r.accepted.is_empty());
                let one_off = [
                    T::ApplicationForm,
                    T::StateDutyPayment,
                    T::Photo,
                    T::MedicalCertificate,
                    T::ChildConsent,
                    T::SolvencyProof,
                ];
                if one_off.contains(&r.accepted[0]) {
                    assert!(!r.reusable, "{}", r.id);
                }
                if matches!(
                    r.accepted[0],
                    T::BirthCertificate | T::NationalityProof | T::Biography
                ) {
                    assert!(r.reusable, "{}", r.id);
                }
            }
        }
    }
}
