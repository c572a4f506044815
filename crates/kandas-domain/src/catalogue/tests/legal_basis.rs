//! Every legal basis the catalogue answers names an act, not an internal reference.

use super::*;
use crate::assert_basis_names_an_act;
use std::collections::BTreeSet;

#[test]
fn every_requirement_of_every_procedure_names_an_act_not_an_internal_reference() {
    let mut seen = 0;
    for procedure in Procedure::ALL {
        for r in requirements(procedure) {
            assert_basis_names_an_act(r.id, r.legal_basis);
            seen += 1;
        }
    }
    assert!(seen > 40, "only {seen} requirements walked");
}

/// Cases that between them reach every exemption of the catalogue.
fn waiving_cases(family: &[FamilyMember]) -> Vec<Details> {
    let mut out = every_details(family);
    for flag in 0..5 {
        out.push(permit_with(|d| {
            if let Details::PermanentResidencePermit {
                refugee_or_asylum,
                ethnic_kazakh_from_prc,
                former_compatriot,
                treaty_simplified_citizenship,
                without_identity_document,
                ..
            } = d
            {
                *[
                    refugee_or_asylum,
                    ethnic_kazakh_from_prc,
                    former_compatriot,
                    treaty_simplified_citizenship,
                    without_identity_document,
                ][flag] = true;
            }
        }));
    }
    out.push(Details::IinAssignment {
        by_representative: false,
    });
    out
}

#[test]
fn every_exemption_and_checklist_item_names_an_act_not_an_internal_reference() {
    let day = d(2026, 3, 2);
    let mut kandas = adult();
    kandas.ethnic_kazakh = true;
    kandas.citizenship = "CHN".into();
    kandas.kandas_statuses.push(kandas_record(
        "applications/k1",
        d(2025, 9, 1),
        d(2026, 9, 1),
    ));
    let teen = person(d(2010, 9, 1));
    let baby = person(d(2024, 9, 1));
    let members = [child(&teen), child(&baby)];
    let family = [teen.clone(), baby.clone()];
    // A passport in a state language waives the IIN translation.
    let documents = [doc(T::IdentityDocument)];
    let mut waived = BTreeSet::new();
    for applicant in [adult(), kandas] {
        for details in waiving_cases(&members) {
            for docs in [&[][..], &documents[..]] {
                let items = checklist(&case(&details, day, &applicant, &family, docs, Some(4_325)));
                for it in &items {
                    assert_basis_names_an_act(&it.requirement, &it.legal_basis);
                    if it.status == ItemStatus::Waived {
                        waived.insert(it.requirement.clone());
                    }
                }
            }
        }
    }
    // The walk reached every exemption the catalogue grants.
    for id in [
        "iin.identity_document_translation",
        "permit.identity_document",
        "permit.departure_consent",
        "permit.solvency",
        "permit.criminal_record",
        "permit.state_duty",
        "registration.representative_authority",
        "citizenship.state_duty",
    ] {
        assert!(waived.contains(id), "{id} never waived; waived: {waived:?}");
    }
}
