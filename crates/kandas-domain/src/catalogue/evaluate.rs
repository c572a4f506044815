//! How the catalogue applies to one case: which requirements each holder is asked for, waived
//! by an exemption or met from records before the documents presented now are looked at.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Case, card, citizenship, extension, kandas, permit, registration, stateless};
use crate::details::{CitizenshipCategory, Details, KandasGround, PermitCategory};
use crate::documents::{
    Applicability, Applied, CheckContext, Requirement, Whom, iin_assignment, problems_on,
};
use crate::records::{PersonRecords, age_on};

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
            return iin_assignment::applied(*by_representative, case.filed_by, language);
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
                        // SPEC 5.5; seed 002.
                        format!(
                            "{}: the legal representative's authority or an authorised \
                             person's notarized power of attorney",
                            registration::RULES
                        ),
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
                // SPEC 5.3; seed 000.
                format!(
                    "{RULES}: a person without identity documents presents a certificate of \
                     absence or termination of another citizenship"
                ),
            )
        })
    });
    b.add(&BIRTH_CERTIFICATE);

    let departure = if *refugee_or_asylum {
        Some(waived(
            "refugee or asylum holder in Kazakhstan",
            // SPEC 5.3; seed 000.
            format!("{RULES}: refugees and persons granted asylum need no departure consent"),
        ))
    } else if from_prc {
        Some(waived(
            "ethnic Kazakh from the People's Republic of China",
            // SPEC 5.3; seed 000.
            format!(
                "{RULES}: ethnic Kazakhs from the People's Republic of China need no departure \
                 consent"
            ),
        ))
    } else {
        None
    };
    b.add_unless(&DEPARTURE_CONSENT, |_| departure.clone());
    b.add(&BIOGRAPHY);

    // SPEC 5.3; seed 000 (the exception is in the permit's list of documents).
    const SOLVENCY_BASIS: &str = "Solvency under Government Decree of 26 November 2003 \
        No. 1185 is not asked of ethnic Kazakhs, former compatriots, persons entitled to \
        simplified citizenship by treaty, and their family members";
    let ethnic_member = case
        .family
        .iter()
        .find(|(_, records)| records.ethnic_kazakh)
        .map(|(_, records)| records.person.clone());
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
        ethnic_member.map(|member| {
            waived(
                format!("family member of an ethnic Kazakh in this application ({member})"),
                SOLVENCY_BASIS,
            )
        })
    };
    b.add_unless(&SOLVENCY, |_| solvency.clone());

    let criminal = from_prc.then(|| {
        waived(
            "ethnic Kazakh citizen of the People's Republic of China",
            // SPEC 5.3; seed 000.
            format!(
                "{RULES}: ethnic Kazakh citizens of the People's Republic of China need no \
                 criminal record certificate"
            ),
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
    // SPEC 5.3 waives it for kandas; seed 000 names art. 619 for citizenship only.
    const PERMIT_DUTY_BASIS: &str = "Tax Code art. 619: kandas are exempt from the state duty \
        (applied to the permit by decision of the service operator)";
    let duty = if kandas_category {
        Some(waived(
            "kandas: category ethnic Kazakhs and their family members",
            PERMIT_DUTY_BASIS,
        ))
    } else {
        // A waiver names no record: the status itself is a check of its own, shown only to
        // those who may read the file.
        applicant.kandas_status_on(case.submission_date).map(|_| {
            waived(
                "kandas: status valid on the submission date",
                PERMIT_DUTY_BASIS,
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
    // SPEC 5.6; seed 000.
    const DUTY_BASIS: &str = "Tax Code art. 619: kandas are exempted from paying state duty for \
        all notarial actions related to the acquisition of citizenship";
    let duty = if category == CitizenshipCategory::Kandas {
        Some(waived("kandas: category (a)", DUTY_BASIS))
    } else {
        status.map(|_| waived("kandas: status valid on the submission date", DUTY_BASIS))
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
