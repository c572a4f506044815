//! The typed details of each procedure and its family, both ways.

use super::*;

pub(super) fn relation_from_proto(value: i32) -> Option<Relation> {
    match pb::Relation::try_from(value).ok()? {
        pb::Relation::Spouse => Some(Relation::Spouse),
        pb::Relation::Child => Some(Relation::Child),
        pb::Relation::Parent => Some(Relation::Parent),
        pb::Relation::OtherRelative => Some(Relation::Other),
        pb::Relation::Unspecified => None,
    }
}

pub fn relation_to_proto(relation: Relation) -> pb::Relation {
    match relation {
        Relation::Spouse => pb::Relation::Spouse,
        Relation::Child => pb::Relation::Child,
        Relation::Parent => pb::Relation::Parent,
        Relation::Other => pb::Relation::OtherRelative,
    }
}

pub(super) const MAX_FAMILY: usize = 20;

pub(super) fn family_from_proto(
    path: &str,
    family: &[pb::FamilyMember],
    fields: &mut Fields,
) -> Vec<FamilyMember> {
    if family.len() > MAX_FAMILY {
        fields.push(FieldError::new(
            path,
            format!("at most {MAX_FAMILY} family members"),
        ));
        return Vec::new();
    }
    let mut members: Vec<FamilyMember> = Vec::new();
    for (i, member) in family.iter().enumerate() {
        let person = fields
            .check(parse_name::<PersonId>(
                &format!("{path}[{i}].person"),
                &member.person,
            ))
            .map(PersonId::uuid);
        let relation = relation_from_proto(member.relation);
        if relation.is_none() {
            fields.push(FieldError::new(
                format!("{path}[{i}].relation"),
                "required: SPOUSE, CHILD, PARENT or OTHER_RELATIVE",
            ));
        }
        if let Some(id) = person
            && members.iter().any(|m| m.person_id == id)
        {
            fields.push(FieldError::new(
                format!("{path}[{i}].person"),
                "listed twice",
            ));
            continue;
        }
        if let (Some(person_id), Some(relation)) = (person, relation) {
            members.push(FamilyMember {
                person_id,
                relation,
            });
        }
    }
    members
}

pub(super) fn family_to_proto(family: &[FamilyMember]) -> Vec<pb::FamilyMember> {
    family
        .iter()
        .map(|m| pb::FamilyMember {
            person: PersonId::from(m.person_id).to_string(),
            relation: relation_to_proto(m.relation) as i32,
        })
        .collect()
}

pub(super) fn ground_from_proto(value: i32) -> Option<KandasGround> {
    use pb::kandas_status_assignment::Ground;
    match Ground::try_from(value).ok()? {
        Ground::QuotaRegionResettlement => Some(KandasGround::QuotaRegionResettlement),
        Ground::DevelopmentPotentialSettlement => {
            Some(KandasGround::DevelopmentPotentialSettlement)
        }
        Ground::FamilyReunification => Some(KandasGround::FamilyReunification),
        Ground::EmployerInvitation => Some(KandasGround::EmployerInvitation),
        Ground::HigherEducationStudent => Some(KandasGround::HigherEducationStudent),
        Ground::Unspecified => None,
    }
}

pub(super) fn ground_to_proto(ground: KandasGround) -> pb::kandas_status_assignment::Ground {
    use pb::kandas_status_assignment::Ground;
    match ground {
        KandasGround::QuotaRegionResettlement => Ground::QuotaRegionResettlement,
        KandasGround::DevelopmentPotentialSettlement => Ground::DevelopmentPotentialSettlement,
        KandasGround::FamilyReunification => Ground::FamilyReunification,
        KandasGround::EmployerInvitation => Ground::EmployerInvitation,
        KandasGround::HigherEducationStudent => Ground::HigherEducationStudent,
    }
}

pub fn registration_kind_to_proto(kind: RegistrationKind) -> pb::residence_registration::Kind {
    use pb::residence_registration::Kind;
    match kind {
        RegistrationKind::Permanent => Kind::Permanent,
        RegistrationKind::Temporary => Kind::Temporary,
        RegistrationKind::Refugee => Kind::Refugee,
    }
}

pub(super) const MAX_ADDRESS: usize = 500;

/// Parses the typed details of a procedure; `path` is the field's name in the request.
pub fn details_from_proto(
    path: &str,
    details: Option<&pb::ApplicationDetails>,
) -> Result<Details, Vec<FieldError>> {
    use pb::application_details::Procedure as P;
    let Some(procedure) = details.and_then(|d| d.procedure.as_ref()) else {
        return Err(vec![FieldError::new(
            path,
            "required: the typed details of one procedure (e.g. iin_assignment)",
        )]);
    };
    let mut collected = Fields::new();
    let fields = &mut collected;
    let details = match procedure {
        P::IinAssignment(d) => Details::IinAssignment {
            by_representative: d.by_representative,
        },
        P::KandasStatusAssignment(d) => {
            let mut grounds = Vec::new();
            for (i, g) in d.grounds.iter().enumerate() {
                match ground_from_proto(*g) {
                    Some(g) if !grounds.contains(&g) => grounds.push(g),
                    Some(_) => fields.push(FieldError::new(
                        format!("{path}.kandas_status_assignment.grounds[{i}]"),
                        "listed twice",
                    )),
                    None => fields.push(FieldError::new(
                        format!("{path}.kandas_status_assignment.grounds[{i}]"),
                        "not a Ground",
                    )),
                }
            }
            if d.grounds.is_empty() {
                fields.push(FieldError::new(
                    format!("{path}.kandas_status_assignment.grounds"),
                    "at least one ground for kandas status is required",
                ));
            }
            Details::KandasStatusAssignment {
                grounds,
                nationality_in_identity_document: d.nationality_in_identity_document,
                consent_via_foreign_institution: d.consent_via_foreign_institution,
                family: family_from_proto(
                    &format!("{path}.kandas_status_assignment.family"),
                    &d.family,
                    fields,
                ),
            }
        }
        P::KandasStatusExtension(_) => Details::KandasStatusExtension,
        P::PermanentResidencePermit(d) => {
            use pb::permanent_residence_permit::Category;
            let category = match Category::try_from(d.category) {
                Ok(Category::KandasAndFamily) => Some(PermitCategory::KandasAndFamily),
                Ok(Category::OtherForeigner) => Some(PermitCategory::OtherForeigner),
                _ => {
                    fields.push(FieldError::new(
                        format!("{path}.permanent_residence_permit.category"),
                        "required: KANDAS_AND_FAMILY or OTHER_FOREIGNER",
                    ));
                    None
                }
            };
            Details::PermanentResidencePermit {
                category: category.unwrap_or(PermitCategory::OtherForeigner),
                refugee_or_asylum: d.refugee_or_asylum,
                ethnic_kazakh_from_prc: d.ethnic_kazakh_from_prc,
                former_compatriot: d.former_compatriot,
                treaty_simplified_citizenship: d.treaty_simplified_citizenship,
                without_identity_document: d.without_identity_document,
                family: family_from_proto(
                    &format!("{path}.permanent_residence_permit.family"),
                    &d.family,
                    fields,
                ),
            }
        }
        P::ResidencePermitCard(d) => Details::ResidencePermitCard { renewal: d.renewal },
        P::StatelessPersonCertificate(d) => Details::StatelessPersonCertificate {
            paper_form: d.paper_form,
        },
        P::ResidenceRegistration(d) => {
            use pb::residence_registration::Kind;
            let field = |f: &str| format!("{path}.residence_registration.{f}");
            let kind = match Kind::try_from(d.kind) {
                Ok(Kind::Permanent) => Some(RegistrationKind::Permanent),
                Ok(Kind::Temporary) => Some(RegistrationKind::Temporary),
                Ok(Kind::Refugee) => Some(RegistrationKind::Refugee),
                _ => {
                    fields.push(FieldError::new(
                        field("kind"),
                        "required: PERMANENT, TEMPORARY or REFUGEE",
                    ));
                    None
                }
            };
            let region = fields.check(parse_region(&field("region"), &d.region));
            let address = d.address.trim();
            if address.is_empty()
                || address.chars().count() > MAX_ADDRESS
                || address.chars().any(char::is_control)
            {
                fields.push(FieldError::new(
                    field("address"),
                    format!("required: at most {MAX_ADDRESS} characters, no control characters"),
                ));
            }
            let until = fields
                .check(date_from_proto(&field("until"), d.until.as_ref()))
                .flatten();
            match (kind, until) {
                (Some(RegistrationKind::Temporary), None) => fields.push(FieldError::new(
                    field("until"),
                    "required for a temporary registration",
                )),
                (Some(RegistrationKind::Permanent), Some(_)) => fields.push(FieldError::new(
                    field("until"),
                    "a permanent registration has no end date",
                )),
                _ => {}
            }
            Details::ResidenceRegistration {
                kind: kind.unwrap_or(RegistrationKind::Permanent),
                // A placeholder only where the error above already refuses the request.
                region: region.unwrap_or(Region::Astana),
                address: address.to_string(),
                until,
                by_representative: d.by_representative,
                owner_is_organisation: d.owner_is_organisation,
                family: family_from_proto(&field("family"), &d.family, fields),
            }
        }
        P::SimplifiedCitizenship(d) => {
            use pb::simplified_citizenship::Category;
            let category = match Category::try_from(d.category) {
                Ok(Category::Kandas) => Some(CitizenshipCategory::Kandas),
                Ok(Category::RepressionVictimDescendant) => {
                    Some(CitizenshipCategory::RepressionVictimDescendant)
                }
                Ok(Category::EthnicKazakhStudent) => Some(CitizenshipCategory::EthnicKazakhStudent),
                _ => {
                    fields.push(FieldError::new(
                        format!("{path}.simplified_citizenship.category"),
                        "required: KANDAS, REPRESSION_VICTIM_DESCENDANT or ETHNIC_KAZAKH_STUDENT",
                    ));
                    None
                }
            };
            Details::SimplifiedCitizenship {
                category: category.unwrap_or(CitizenshipCategory::Kandas),
                family: family_from_proto(
                    &format!("{path}.simplified_citizenship.family"),
                    &d.family,
                    fields,
                ),
            }
        }
        P::RegionalQuotaInclusion(d) => {
            let field = |f: &str| format!("{path}.regional_quota_inclusion.{f}");
            let region = fields.check(parse_region(&field("region"), &d.region));
            if !(2000..=2200).contains(&d.year) {
                fields.push(FieldError::new(
                    field("year"),
                    "required: the quota year, e.g. 2026",
                ));
            }
            Details::RegionalQuotaInclusion {
                region: region.unwrap_or(Region::Astana),
                year: d.year,
                family: family_from_proto(&field("family"), &d.family, fields),
            }
        }
    };
    collected.into_result(details)
}

pub fn details_to_proto(details: &Details) -> pb::ApplicationDetails {
    use pb::application_details::Procedure as P;
    let procedure = match details {
        Details::IinAssignment { by_representative } => P::IinAssignment(pb::IinAssignment {
            by_representative: *by_representative,
        }),
        Details::KandasStatusAssignment {
            grounds,
            nationality_in_identity_document,
            consent_via_foreign_institution,
            family,
        } => P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: grounds.iter().map(|g| ground_to_proto(*g) as i32).collect(),
            nationality_in_identity_document: *nationality_in_identity_document,
            consent_via_foreign_institution: *consent_via_foreign_institution,
            family: family_to_proto(family),
        }),
        Details::KandasStatusExtension => P::KandasStatusExtension(pb::KandasStatusExtension {}),
        Details::PermanentResidencePermit {
            category,
            refugee_or_asylum,
            ethnic_kazakh_from_prc,
            former_compatriot,
            treaty_simplified_citizenship,
            without_identity_document,
            family,
        } => P::PermanentResidencePermit(pb::PermanentResidencePermit {
            category: match category {
                PermitCategory::KandasAndFamily => {
                    pb::permanent_residence_permit::Category::KandasAndFamily
                }
                PermitCategory::OtherForeigner => {
                    pb::permanent_residence_permit::Category::OtherForeigner
                }
            } as i32,
            refugee_or_asylum: *refugee_or_asylum,
            ethnic_kazakh_from_prc: *ethnic_kazakh_from_prc,
            former_compatriot: *former_compatriot,
            treaty_simplified_citizenship: *treaty_simplified_citizenship,
            without_identity_document: *without_identity_document,
            family: family_to_proto(family),
        }),
        Details::ResidencePermitCard { renewal } => {
            P::ResidencePermitCard(pb::ResidencePermitCard { renewal: *renewal })
        }
        Details::StatelessPersonCertificate { paper_form } => {
            P::StatelessPersonCertificate(pb::StatelessPersonCertificate {
                paper_form: *paper_form,
            })
        }
        Details::ResidenceRegistration {
            kind,
            region,
            address,
            until,
            by_representative,
            owner_is_organisation,
            family,
        } => P::ResidenceRegistration(pb::ResidenceRegistration {
            kind: registration_kind_to_proto(*kind) as i32,
            region: region.to_string(),
            address: address.clone(),
            until: until.map(date_to_proto),
            by_representative: *by_representative,
            owner_is_organisation: *owner_is_organisation,
            family: family_to_proto(family),
        }),
        Details::SimplifiedCitizenship { category, family } => {
            P::SimplifiedCitizenship(pb::SimplifiedCitizenship {
                category: match category {
                    CitizenshipCategory::Kandas => pb::simplified_citizenship::Category::Kandas,
                    CitizenshipCategory::RepressionVictimDescendant => {
                        pb::simplified_citizenship::Category::RepressionVictimDescendant
                    }
                    CitizenshipCategory::EthnicKazakhStudent => {
                        pb::simplified_citizenship::Category::EthnicKazakhStudent
                    }
                } as i32,
                family: family_to_proto(family),
            })
        }
        Details::RegionalQuotaInclusion {
            region,
            year,
            family,
        } => P::RegionalQuotaInclusion(pb::RegionalQuotaInclusion {
            region: region.to_string(),
            year: *year,
            family: family_to_proto(family),
        }),
    };
    pb::ApplicationDetails {
        procedure: Some(procedure),
    }
}
