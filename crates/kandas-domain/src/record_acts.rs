//! What each act on a person's records tells the state registries: the event it writes in its
//! own transaction (`record_event`). Built here, from what the act decided, so that every use
//! case only collects events and each kind's facts and resource name follow one rule.
//!
//! Where a record lies (`NewEvent::region`): a registration where it is; any other record
//! where the application that issued it lies (SPEC 1.1), which may be nowhere for an
//! application a national office filed without naming a region; an annulment where the
//! annulling office's jurisdiction is judged; a correction where the person is permanently
//! registered that day, if anywhere.

use super::correction::Correctable;
use super::person::PersonDetails;
use super::record_event::{Facts, Identity, NewEvent, Subject};
use super::record_life::{Annulment, RegistrationEnd};
use super::records::RegistrationKind;
use super::regions::Region;
use chrono::NaiveDate;
use uuid::Uuid;

/// The person a record is of, as the registries know them: by IIN, empty for one who has none
/// yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub person_id: Uuid,
    pub iin: String,
}

impl Holder {
    pub fn new(person_id: Uuid, iin: Option<&str>) -> Holder {
        Holder {
            person_id,
            iin: iin.unwrap_or_default().to_string(),
        }
    }

    fn person(&self) -> String {
        format!("persons/{}", self.person_id)
    }

    fn event(&self, resource: String, region: Option<Region>, facts: Facts) -> NewEvent {
        NewEvent {
            resource,
            subject: Subject::Person {
                id: self.person_id,
                region,
            },
            facts,
        }
    }
}

/// A person's identity as the IIN registry keeps it.
pub fn identity(details: &PersonDetails) -> Identity {
    Identity {
        surname: details.surname.as_str().to_string(),
        given_name: details.given_name.as_str().to_string(),
        patronymic: details.patronymic_str().to_string(),
        birth_date: details.birth_date,
        sex: details.sex.as_str().to_string(),
        citizenship: details.citizenship_str().to_string(),
    }
}

/// The IIN just assigned to `holder`, with the identity it was assigned to.
pub fn iin_assigned(holder: &Holder, identity: Identity, region: Option<Region>) -> NewEvent {
    holder.event(
        holder.person(),
        region,
        Facts::IinAssigned {
            iin: holder.iin.clone(),
            identity,
        },
    )
}

fn kandas_status(holder: &Holder, certificate_number: &str) -> String {
    format!("{}/kandas-statuses/{certificate_number}", holder.person())
}

/// A kandas certificate granted, valid `from` through `until`.
pub fn kandas_status_granted(
    holder: &Holder,
    certificate_number: &str,
    (from, until): (NaiveDate, NaiveDate),
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        kandas_status(holder, certificate_number),
        region,
        Facts::KandasStatusGranted {
            iin: holder.iin.clone(),
            certificate_number: certificate_number.to_string(),
            valid_from: from,
            valid_until: until,
        },
    )
}

/// A kandas status extended: the same certificate, valid anew `from` through `until`.
pub fn kandas_status_extended(
    holder: &Holder,
    certificate_number: &str,
    (from, until): (NaiveDate, NaiveDate),
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        kandas_status(holder, certificate_number),
        region,
        Facts::KandasStatusExtended {
            iin: holder.iin.clone(),
            certificate_number: certificate_number.to_string(),
            valid_from: from,
            valid_until: until,
        },
    )
}

/// A kandas status annulled by the commission.
pub fn kandas_status_annulled(
    holder: &Holder,
    certificate_number: &str,
    annulment: &Annulment,
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        kandas_status(holder, certificate_number),
        region,
        Facts::KandasStatusAnnulled {
            iin: holder.iin.clone(),
            certificate_number: certificate_number.to_string(),
            annulled_on: annulment.from,
            ground: annulment.ground.as_str().to_string(),
            legal_basis: annulment.legal_basis.clone(),
        },
    )
}

fn permit(holder: &Holder, number: &str) -> String {
    format!("{}/permits/{number}", holder.person())
}

/// A permanent residence permit granted.
pub fn permit_granted(
    holder: &Holder,
    number: &str,
    granted_on: NaiveDate,
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        permit(holder, number),
        region,
        Facts::PermitGranted {
            iin: holder.iin.clone(),
            number: number.to_string(),
            granted_on,
        },
    )
}

/// A permit annulled by police; `cards` rest on it and are invalid from the same date, so a
/// registry that holds them learns it from this one event.
pub fn permit_annulled(
    holder: &Holder,
    number: &str,
    annulment: &Annulment,
    cards: &[String],
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        permit(holder, number),
        region,
        Facts::PermitAnnulled {
            iin: holder.iin.clone(),
            number: number.to_string(),
            annulled_on: annulment.from,
            ground: annulment.ground.as_str().to_string(),
            legal_basis: annulment.legal_basis.clone(),
            cards: cards.to_vec(),
        },
    )
}

/// A residence permit card issued, valid through `valid_until`.
pub fn card_issued(
    holder: &Holder,
    number: &str,
    issued_on: NaiveDate,
    valid_until: NaiveDate,
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        format!("{}/cards/{number}", holder.person()),
        region,
        Facts::CardIssued {
            iin: holder.iin.clone(),
            number: number.to_string(),
            issued_on,
            valid_until,
        },
    )
}

/// A stateless person's certificate issued.
pub fn stateless_certificate_issued(
    holder: &Holder,
    number: &str,
    issued_on: NaiveDate,
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        format!("{}/stateless-certificates/{number}", holder.person()),
        region,
        Facts::StatelessCertificateIssued {
            iin: holder.iin.clone(),
            number: number.to_string(),
            issued_on,
        },
    )
}

/// A registration made. A new permanent one closes the person's earlier permanent one on the
/// day before (`store::records::insert_registration`); the Population Registration Point reads
/// that from this event, as the person's records list does, so it is no event of its own.
pub fn registration_made(
    holder: &Holder,
    registration: Uuid,
    kind: RegistrationKind,
    region: Region,
    registered_on: NaiveDate,
    until: Option<NaiveDate>,
) -> NewEvent {
    holder.event(
        format!("{}/registrations/{registration}", holder.person()),
        Some(region),
        Facts::RegistrationMade {
            iin: holder.iin.clone(),
            registration_kind: kind.as_str().to_string(),
            region: region.code().to_string(),
            registered_on,
            until,
        },
    )
}

/// A registration ended by police, registered through `end.last_day`.
pub fn registration_ended(
    holder: &Holder,
    registration: Uuid,
    kind: RegistrationKind,
    region: Region,
    end: RegistrationEnd,
) -> NewEvent {
    holder.event(
        format!("{}/registrations/{registration}", holder.person()),
        Some(region),
        Facts::RegistrationEnded {
            iin: holder.iin.clone(),
            registration_kind: kind.as_str().to_string(),
            region: region.code().to_string(),
            last_day: end.last_day,
            reason: end.reason.as_str().to_string(),
        },
    )
}

/// Citizenship of Kazakhstan granted.
pub fn citizenship_granted(
    holder: &Holder,
    granted_on: NaiveDate,
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        format!("{}/citizenship", holder.person()),
        region,
        Facts::CitizenshipGranted {
            iin: holder.iin.clone(),
            granted_on,
        },
    )
}

/// A person corrected to `corrected`, their `revision` as the versions list numbers it; the
/// fields in the order the update mask named them.
pub fn person_corrected(
    holder: &Holder,
    revision: i32,
    changed: &[Correctable],
    corrected: &PersonDetails,
    region: Option<Region>,
) -> NewEvent {
    holder.event(
        holder.person(),
        region,
        Facts::PersonCorrected {
            iin: holder.iin.clone(),
            revision,
            changed: changed.iter().map(|f| f.path().to_string()).collect(),
            identity: identity(corrected),
        },
    )
}

/// Retention erased the documents of `application`, filed by `applicant`.
pub fn documents_erased(
    applicant: &Holder,
    application: Uuid,
    erased_on: NaiveDate,
    region: Option<Region>,
) -> NewEvent {
    let application = format!("applications/{application}");
    applicant.event(
        application.clone(),
        region,
        Facts::DocumentsErased {
            iin: applicant.iin.clone(),
            application,
            erased_on,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::country::CountryCode;
    use crate::iin::Sex;
    use crate::person_name::PersonName;
    use crate::record_event::EventKind;
    use crate::record_life::{AnnulmentGround, EndReason};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn holder() -> Holder {
        Holder::new(
            Uuid::parse_str("0190a3b4-0000-7000-8000-000000000001").unwrap(),
            Some("871008401427"),
        )
    }

    const PERSON: &str = "persons/0190a3b4-0000-7000-8000-000000000001";

    fn name(value: &str) -> PersonName {
        PersonName::parse(value).unwrap()
    }

    fn details() -> PersonDetails {
        PersonDetails {
            surname: name("Abenov"),
            given_name: name("Aidos"),
            patronymic: Some(name("Serikuly")),
            birth_date: d(1987, 10, 8),
            sex: Sex::Male,
            citizenship: CountryCode::parse("CHN").ok(),
            ethnic_kazakh: true,
        }
    }

    fn annulment() -> Annulment {
        Annulment {
            from: d(2026, 3, 9),
            ground: AnnulmentGround::CourtDecision,
            legal_basis: "decision of the Pavlodar city court of 2026-03-06".into(),
        }
    }

    /// Every constructor, once: the facts must name their kind and carry the holder's IIN.
    fn one_of_each() -> Vec<NewEvent> {
        let h = holder();
        let validity = (d(2026, 1, 19), d(2027, 1, 19));
        let registration = Uuid::parse_str("0190a3b4-0000-7000-8000-0000000000aa").unwrap();
        let end = RegistrationEnd {
            last_day: d(2026, 3, 2),
            reason: EndReason::MovedOut,
        };
        let pavlodar = Some(Region::Pavlodar);
        vec![
            iin_assigned(&h, identity(&details()), None),
            kandas_status_granted(&h, "KC-2026-000001", validity, pavlodar),
            kandas_status_extended(&h, "KC-2026-000001", validity, pavlodar),
            kandas_status_annulled(&h, "KC-2026-000001", &annulment(), pavlodar),
            permit_granted(&h, "PRP-2026-000001", d(2026, 2, 2), pavlodar),
            permit_annulled(&h, "PRP-2026-000001", &annulment(), &[], pavlodar),
            card_issued(
                &h,
                "RPC-2026-000001",
                d(2026, 2, 16),
                d(2031, 8, 31),
                pavlodar,
            ),
            registration_made(
                &h,
                registration,
                RegistrationKind::Permanent,
                Region::Pavlodar,
                d(2026, 2, 9),
                None,
            ),
            registration_ended(
                &h,
                registration,
                RegistrationKind::Permanent,
                Region::Pavlodar,
                end,
            ),
            stateless_certificate_issued(&h, "SPC-2026-000001", d(2026, 2, 16), pavlodar),
            citizenship_granted(&h, d(2026, 3, 2), pavlodar),
            person_corrected(&h, 2, &[Correctable::Patronymic], &details(), pavlodar),
            documents_erased(&h, registration, d(2027, 1, 20), pavlodar),
        ]
    }

    #[test]
    fn there_is_one_constructor_for_every_kind() {
        let kinds: Vec<EventKind> = one_of_each().iter().map(|e| e.facts.kind()).collect();
        assert_eq!(kinds, EventKind::PERSONAL.to_vec());
    }

    #[test]
    fn every_event_carries_the_holders_iin_and_person() {
        for event in one_of_each() {
            let json = serde_json::to_value(&event.facts).unwrap();
            assert_eq!(json["iin"], "871008401427", "{json}");
            assert_eq!(event.subject.person_id(), Some(holder().person_id));
            assert!(
                event.resource.starts_with(PERSON)
                    || event.facts.kind() == EventKind::DocumentsErased,
                "{}",
                event.resource
            );
        }
    }

    #[test]
    fn a_person_without_an_iin_is_named_by_an_empty_one() {
        let h = Holder::new(holder().person_id, None);
        let event = citizenship_granted(&h, d(2026, 3, 2), None);
        assert_eq!(
            event.facts,
            Facts::CitizenshipGranted {
                iin: String::new(),
                granted_on: d(2026, 3, 2)
            }
        );
    }

    #[test]
    fn the_iin_registry_receives_the_identity_as_stored() {
        let event = iin_assigned(&holder(), identity(&details()), Some(Region::Almaty));
        assert_eq!(event.resource, PERSON);
        assert_eq!(event.subject.region(), Some(Region::Almaty));
        assert_eq!(
            event.facts,
            Facts::IinAssigned {
                iin: "871008401427".into(),
                identity: Identity {
                    surname: "Abenov".into(),
                    given_name: "Aidos".into(),
                    patronymic: "Serikuly".into(),
                    birth_date: d(1987, 10, 8),
                    sex: "male".into(),
                    citizenship: "CHN".into(),
                },
            }
        );
        let stateless = PersonDetails {
            citizenship: None,
            sex: Sex::Female,
            ..details()
        };
        let identity = identity(&stateless);
        assert_eq!(
            (identity.sex.as_str(), identity.citizenship.as_str()),
            ("female", "")
        );
    }

    #[test]
    fn records_are_named_as_the_api_names_them() {
        let names: Vec<String> = one_of_each().into_iter().map(|e| e.resource).collect();
        let under = |tail: &str| format!("{PERSON}{tail}");
        assert_eq!(
            names,
            vec![
                under(""),
                under("/kandas-statuses/KC-2026-000001"),
                under("/kandas-statuses/KC-2026-000001"),
                under("/kandas-statuses/KC-2026-000001"),
                under("/permits/PRP-2026-000001"),
                under("/permits/PRP-2026-000001"),
                under("/cards/RPC-2026-000001"),
                under("/registrations/0190a3b4-0000-7000-8000-0000000000aa"),
                under("/registrations/0190a3b4-0000-7000-8000-0000000000aa"),
                under("/stateless-certificates/SPC-2026-000001"),
                under("/citizenship"),
                under(""),
                "applications/0190a3b4-0000-7000-8000-0000000000aa".to_string(),
            ]
        );
    }

    #[test]
    fn a_registration_lies_in_its_own_region_with_its_dates() {
        let registration = Uuid::nil();
        let made = registration_made(
            &holder(),
            registration,
            RegistrationKind::Temporary,
            Region::Almaty,
            d(2026, 6, 1),
            Some(d(2026, 11, 30)),
        );
        assert_eq!(made.subject.region(), Some(Region::Almaty));
        assert_eq!(
            made.facts,
            Facts::RegistrationMade {
                iin: "871008401427".into(),
                registration_kind: "temporary".into(),
                region: "KZ-75".into(),
                registered_on: d(2026, 6, 1),
                until: Some(d(2026, 11, 30)),
            }
        );
        let ended = registration_ended(
            &holder(),
            registration,
            RegistrationKind::Temporary,
            Region::Almaty,
            RegistrationEnd {
                last_day: d(2026, 8, 31),
                reason: EndReason::OwnerConsentWithdrawn,
            },
        );
        assert_eq!(
            ended.resource, made.resource,
            "the ending names what it ends"
        );
        assert_eq!(
            ended.facts,
            Facts::RegistrationEnded {
                iin: "871008401427".into(),
                registration_kind: "temporary".into(),
                region: "KZ-75".into(),
                last_day: d(2026, 8, 31),
                reason: "owner_consent_withdrawn".into(),
            }
        );
    }

    #[test]
    fn an_annulled_permit_names_the_cards_that_fall_with_it() {
        let cards = vec!["RPC-2026-000001".to_string(), "RPC-2026-000007".to_string()];
        let event = permit_annulled(
            &holder(),
            "PRP-2026-000001",
            &annulment(),
            &cards,
            Some(Region::Pavlodar),
        );
        assert_eq!(
            event.facts,
            Facts::PermitAnnulled {
                iin: "871008401427".into(),
                number: "PRP-2026-000001".into(),
                annulled_on: d(2026, 3, 9),
                ground: "court_decision".into(),
                legal_basis: "decision of the Pavlodar city court of 2026-03-06".into(),
                cards,
            }
        );
    }

    #[test]
    fn an_extension_names_the_status_it_extends() {
        let validity = (d(2027, 1, 10), d(2028, 1, 10));
        let granted = kandas_status_granted(&holder(), "KC-2026-000001", validity, None);
        let extended = kandas_status_extended(&holder(), "KC-2026-000001", validity, None);
        assert_eq!(granted.resource, extended.resource);
        assert_eq!(
            extended.facts,
            Facts::KandasStatusExtended {
                iin: "871008401427".into(),
                certificate_number: "KC-2026-000001".into(),
                valid_from: d(2027, 1, 10),
                valid_until: d(2028, 1, 10),
            }
        );
    }

    #[test]
    fn a_correction_names_the_fields_it_changed_and_the_identity_it_made() {
        let corrected = PersonDetails {
            surname: name("Abenuly"),
            birth_date: d(1987, 10, 9),
            ..details()
        };
        let event = person_corrected(
            &holder(),
            3,
            &[Correctable::BirthDate, Correctable::Surname],
            &corrected,
            None,
        );
        let Facts::PersonCorrected {
            iin,
            revision,
            changed,
            identity,
        } = event.facts
        else {
            panic!("{:?}", event.facts);
        };
        assert_eq!(iin, "871008401427", "the IIN never changes");
        assert_eq!(revision, 3);
        assert_eq!(changed, vec!["birth_date", "surname"]);
        assert_eq!(identity.surname, "Abenuly");
        assert_eq!(identity.birth_date, d(1987, 10, 9));
        assert_eq!(event.subject.region(), None);
    }

    #[test]
    fn erased_documents_are_the_applicants_and_name_the_application() {
        let application = Uuid::parse_str("0190a3b4-0000-7000-8000-0000000000bb").unwrap();
        let event = documents_erased(
            &holder(),
            application,
            d(2026, 5, 21),
            Some(Region::Pavlodar),
        );
        assert_eq!(
            event.resource,
            "applications/0190a3b4-0000-7000-8000-0000000000bb"
        );
        assert_eq!(event.subject.person_id(), Some(holder().person_id));
        assert_eq!(
            event.facts,
            Facts::DocumentsErased {
                iin: "871008401427".into(),
                application: event.resource.clone(),
                erased_on: d(2026, 5, 21),
            }
        );
    }
}
