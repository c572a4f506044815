//! Every legal basis a prerequisite answers names an act, not an internal reference.

use super::*;
use crate::admission::{self, People, QuotaFacts};
use crate::assert_basis_names_an_act;
use crate::details::Details;
use crate::regions::Region;
use std::collections::HashSet;

/// Every query: each procedure with each variant it may ask for.
fn every_query() -> Vec<PrerequisiteQuery> {
    let mut out = Vec::new();
    for procedure in Procedure::ALL {
        for permit_category in [
            None,
            Some(PermitCategory::KandasAndFamily),
            Some(PermitCategory::OtherForeigner),
        ] {
            for citizenship_category in [
                None,
                Some(CitizenshipCategory::Kandas),
                Some(CitizenshipCategory::RepressionVictimDescendant),
                Some(CitizenshipCategory::EthnicKazakhStudent),
            ] {
                for registration_kind in [
                    None,
                    Some(RegistrationKind::Permanent),
                    Some(RegistrationKind::Temporary),
                    Some(RegistrationKind::Refugee),
                ] {
                    for card_renewal in [false, true] {
                        out.push(PrerequisiteQuery {
                            procedure,
                            permit_category,
                            citizenship_category,
                            registration_kind,
                            card_renewal,
                        });
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_prerequisite_basis_names_an_act_not_an_internal_reference() {
    let mut seen = HashSet::new();
    let mut bare = PersonRecords::new(Uuid::nil(), d(1990, 1, 1));
    bare.citizenship = "KAZ".into();
    for records in [person(), settled_kandas(), bare] {
        for passport in [None, super::passport(d(2030, 1, 1))] {
            for query in every_query() {
                for c in check(&query, &records, passport.clone(), as_of()) {
                    assert_basis_names_an_act(c.code.as_str(), c.legal_basis);
                    seen.insert(c.code);
                }
            }
        }
    }

    // What quota eligibility adds, judged where the year's quotas are held.
    let applicant = settled_kandas();
    let people = People {
        applicant: applicant.clone(),
        family: Vec::new(),
    };
    let details = Details::RegionalQuotaInclusion {
        region: Region::Abai,
        year: 2026,
        family: Vec::new(),
    };
    let facts = QuotaFacts {
        quota_exists: false,
        already_included: vec![(applicant.person_id, Uuid::nil())],
    };
    for unmet in admission::quota_eligibility(&people, &details, &facts, as_of()) {
        assert_basis_names_an_act(unmet.check.code.as_str(), unmet.check.legal_basis);
        seen.insert(unmet.check.code);
    }

    for code in PrerequisiteCode::ALL {
        assert!(seen.contains(&code), "{code} was never checked");
    }
}
