//! On whose files a caller acts (SPEC 1.1). A role says what kind of act a caller may perform;
//! the scope here says on which persons and applications. Every read, list and decision is
//! held to the one scope [`Scope::of`] gives, so no use case decides it on its own.

use super::caller::Caller;
use super::organisation::Jurisdiction;
use super::procedure::Procedure;
use super::regions::Region;
use super::role::Role;
use uuid::Uuid;

/// How far an RPC reaches into personal files: the column of the scope table beside the role
/// table (`server::auth::reach`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// No personal data: IIN arithmetic, quotas, calendars, catalogues, administration.
    Public,
    /// Persons and applications, within the caller's jurisdiction.
    Files,
    /// Persons and applications, nationwide for `police` (a person moves between regions, and
    /// their offences and prerequisites follow them); within jurisdiction for everyone else.
    PoliceNationwide,
    /// Where quota decisions fall, without any person's data: the operator sees them all.
    Placements,
    /// The record events a registry subscribed to, in the regions of its jurisdiction.
    Subscription,
}

/// The files one call may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every file, including applications placed in no region.
    Everywhere,
    /// Files placed in these regions (never empty).
    Regions(Vec<Region>),
    /// An organisation's own work: persons it registered, applications it submitted. It files
    /// new applications for anyone, placed where `files_in` covers: a mission anywhere (the
    /// applicant settles where they choose), an intermediary only in its regions.
    OwnWork {
        client: String,
        files_in: Jurisdiction,
    },
    /// The portal's authenticated applicant: that person's own applications.
    Applicant(Uuid),
    /// No personal file at all.
    Nothing,
}

/// Where one application lies, as far as scope is concerned.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    pub region: Option<Region>,
    pub applicant: Uuid,
    /// The client URI that submitted it.
    pub submitted_by: &'a str,
}

/// A refusal: the file lies outside the caller's scope, or does not exist and the caller
/// could not have read it if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideJurisdiction(pub String);

impl OutsideJurisdiction {
    /// The one refusal of `name`, the same whether it lies elsewhere or nowhere.
    pub fn of(name: &str) -> Self {
        Self(format!(
            "{name} does not exist or is outside this organisation's jurisdiction"
        ))
    }
}

impl Scope {
    /// The scope of a call `reach`ing into files, by `caller`.
    pub fn of(caller: &Caller, reach: Reach) -> Scope {
        let office = || match &caller.jurisdiction {
            Jurisdiction::National => Scope::Everywhere,
            Jurisdiction::Regions(regions) => Scope::Regions(regions.clone()),
        };
        match (reach, caller.role) {
            (Reach::Public, _) => Scope::Everywhere,
            (Reach::Placements, Role::Admin) => Scope::Everywhere,
            (Reach::PoliceNationwide, Role::Police) => Scope::Everywhere,
            (Reach::Subscription, Role::Registry) => office(),
            (Reach::Subscription, _) => Scope::Nothing,
            (_, Role::Psc | Role::Police | Role::Commission | Role::EmploymentCenter) => office(),
            (_, Role::Portal) => match caller.applicant {
                Some(applicant) => Scope::Applicant(applicant),
                None => Scope::Nothing,
            },
            // Decision: a mission abroad files for any region an applicant settles in, so its
            // registered jurisdiction does not bound its filings.
            (_, Role::Mission) => Scope::OwnWork {
                client: caller.client(),
                files_in: Jurisdiction::National,
            },
            // Decision: an intermediary files like an office of its regions (the IIN
            // application lies in the office's region) but reads only what it filed: its
            // service agreement covers the applicants who signed its consent form, not the
            // region's files.
            (_, Role::Intermediary) => Scope::OwnWork {
                client: caller.client(),
                files_in: caller.jurisdiction.clone(),
            },
            (_, Role::Admin | Role::Registry) => Scope::Nothing,
        }
    }

    /// Whether an existing application is within scope.
    pub fn covers(&self, placement: Placement<'_>) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Regions(regions) => placement.region.is_some_and(|r| regions.contains(&r)),
            Scope::OwnWork { client, .. } => placement.submitted_by == client,
            Scope::Applicant(applicant) => placement.applicant == *applicant,
            Scope::Nothing => false,
        }
    }

    /// Refuses an application outside scope, naming it as the caller did. The refusal is the
    /// one a missing file gets ([`Scope::missing`]) and never says where the file lies: a
    /// caller must learn neither that it exists nor its region (SPEC 1.1, AIP-211).
    pub fn check(&self, placement: Placement<'_>, name: &str) -> Result<(), OutsideJurisdiction> {
        if self.covers(placement) {
            return Ok(());
        }
        Err(OutsideJurisdiction::of(name))
    }

    /// What a caller is told of a file it names that does not exist: `None` when this scope
    /// would read it wherever it lay (the caller may learn it is missing), else the same
    /// refusal as a file outside its scope.
    pub fn missing(&self, name: &str) -> Option<OutsideJurisdiction> {
        match self {
            Scope::Everywhere => None,
            _ => Some(OutsideJurisdiction::of(name)),
        }
    }

    /// Whether the caller may act for `applicant` at all: the portal only for its own, an
    /// office for anyone who walks in.
    pub fn may_act_for(&self, applicant: Uuid) -> Result<(), OutsideJurisdiction> {
        match self {
            Scope::Applicant(own) if *own != applicant => Err(OutsideJurisdiction(format!(
                "persons/{applicant} is not the applicant signed in to the portal"
            ))),
            Scope::Nothing => Err(OutsideJurisdiction(
                "this organisation does not act on personal files".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Whether an office may file a new application placed in `region` for `applicant`. An
    /// office may file for anyone who walks in (the application brings them into its
    /// jurisdiction), but only in its own regions; the portal only for its applicant.
    pub fn may_file(
        &self,
        region: Option<Region>,
        applicant: Uuid,
    ) -> Result<(), OutsideJurisdiction> {
        let placement = Placement {
            region,
            applicant,
            submitted_by: "",
        };
        let may = match self {
            Scope::Everywhere => true,
            Scope::OwnWork { files_in, .. } => match files_in {
                Jurisdiction::National => true,
                Jurisdiction::Regions(regions) => region.is_some_and(|r| regions.contains(&r)),
            },
            Scope::Regions(_) | Scope::Applicant(_) | Scope::Nothing => self.covers(placement),
        };
        if may {
            Ok(())
        } else {
            // The region may come from the applicant's records: the refusal does not name it.
            Err(OutsideJurisdiction(
                "the application would lie outside this organisation's jurisdiction".into(),
            ))
        }
    }

    /// The regions whose placed items (quota decisions, record events) a feed shows: `None`
    /// for every region, and none at all for a scope that reads no office's files.
    pub fn regions_listed(&self) -> Option<Vec<Region>> {
        match self {
            Scope::Everywhere => None,
            Scope::Regions(regions) => Some(regions.clone()),
            Scope::OwnWork { .. } | Scope::Applicant(_) | Scope::Nothing => Some(Vec::new()),
        }
    }

    /// The regions of a regional office, for filtering lists.
    pub fn regions(&self) -> Option<&[Region]> {
        match self {
            Scope::Regions(regions) => Some(regions),
            _ => None,
        }
    }
}

/// Whether a role reads anyone's personal files at all. The operator sees where quota
/// decisions fall and a registry what it subscribed to, but neither is told whose files a
/// placement concerns through a feed meant for offices.
pub fn reads_personal_files(role: Role) -> bool {
    !matches!(role, Role::Admin | Role::Registry)
}

/// Whether an application of `procedure` lies where the applicant is permanently registered,
/// when the service holds that registration: the card, the stateless person certificate and
/// citizenship follow where the person lives.
pub fn follows_permanent_registration(procedure: Procedure) -> bool {
    matches!(
        procedure,
        Procedure::ResidencePermitCard
            | Procedure::StatelessPersonCertificate
            | Procedure::SimplifiedCitizenship
    )
}

/// Where a new application lies (SPEC 1.1): what the application itself says (the quota
/// region, the address to register at), else the applicant's permanent registration the
/// service holds (the card, the stateless certificate and citizenship follow where the person
/// lives), else the region the submitter names (where the applicant will settle, the housing
/// contract, the office), else the office's own region when it has exactly one.
///
/// **Decision:** a national organisation that names no region where none can be derived files
/// an unplaced application, which only national organisations see; a regional office with more
/// than one region must name it.
pub fn place_application(
    said_in_details: Option<Region>,
    permanent_registration: Option<Region>,
    named: Option<Region>,
    office: &Jurisdiction,
) -> Result<Option<Region>, RegionMissing> {
    if let Some(region) = said_in_details.or(permanent_registration).or(named) {
        return Ok(Some(region));
    }
    match office {
        Jurisdiction::National => Ok(None),
        Jurisdiction::Regions(regions) => match regions.as_slice() {
            [only] => Ok(Some(*only)),
            _ => Err(RegionMissing),
        },
    }
}

/// A regional office of several regions filed an application without saying in which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionMissing;

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, jurisdiction: Jurisdiction) -> Caller {
        Caller {
            role,
            organisation: "office-1".into(),
            operator_id: String::new(),
            jurisdiction,
            applicant: None,
        }
    }

    fn placed(region: Option<Region>) -> Placement<'static> {
        Placement {
            region,
            applicant: Uuid::nil(),
            submitted_by: "urn:kandas:psc:elsewhere",
        }
    }

    const ALMATY: Region = Region::Almaty;
    const ASTANA: Region = Region::Astana;

    #[test]
    fn a_regional_office_covers_its_regions_only() {
        let scope = Scope::of(
            &caller(Role::Psc, Jurisdiction::Regions(vec![ALMATY])),
            Reach::Files,
        );
        assert!(scope.covers(placed(Some(ALMATY))));
        assert!(!scope.covers(placed(Some(ASTANA))));
        assert!(!scope.covers(placed(None)));
    }

    #[test]
    fn a_national_office_covers_unplaced_applications_too() {
        let scope = Scope::of(
            &caller(Role::Commission, Jurisdiction::National),
            Reach::Files,
        );
        assert!(scope.covers(placed(None)));
    }

    #[test]
    fn police_checks_prerequisites_nationwide_but_reads_files_in_its_regions() {
        let police = caller(Role::Police, Jurisdiction::Regions(vec![ALMATY]));
        assert_eq!(
            Scope::of(&police, Reach::PoliceNationwide),
            Scope::Everywhere
        );
        assert!(!Scope::of(&police, Reach::Files).covers(placed(Some(ASTANA))));
        let psc = caller(Role::Psc, Jurisdiction::Regions(vec![ALMATY]));
        assert!(!Scope::of(&psc, Reach::PoliceNationwide).covers(placed(Some(ASTANA))));
    }

    #[test]
    fn a_mission_covers_what_it_submitted() {
        let mission = caller(Role::Mission, Jurisdiction::National);
        let scope = Scope::of(&mission, Reach::Files);
        let own = Placement {
            submitted_by: "urn:kandas:mission:office-1",
            ..placed(Some(ASTANA))
        };
        assert!(scope.covers(own));
        assert!(!scope.covers(placed(Some(ASTANA))));
    }

    #[test]
    fn a_mission_files_for_any_region() {
        let mission = caller(Role::Mission, Jurisdiction::Regions(vec![ALMATY]));
        let scope = Scope::of(&mission, Reach::Files);
        assert!(scope.may_file(Some(ASTANA), Uuid::nil()).is_ok());
        assert!(scope.may_file(None, Uuid::nil()).is_ok());
    }

    #[test]
    fn an_intermediary_reads_what_it_filed_and_files_only_in_its_regions() {
        let intermediary = caller(Role::Intermediary, Jurisdiction::Regions(vec![ALMATY]));
        let scope = Scope::of(&intermediary, Reach::Files);
        let own = Placement {
            submitted_by: "urn:kandas:intermediary:office-1",
            ..placed(Some(ALMATY))
        };
        assert!(scope.covers(own));
        // A file of its own region that another organisation filed is not its own.
        assert!(!scope.covers(placed(Some(ALMATY))));
        let name = "applications/0190e1d2-0000-7000-8000-000000000001";
        assert_eq!(scope.missing(name), Some(OutsideJurisdiction::of(name)));
        // It files for anyone who signed its consent form, in its regions only.
        assert!(scope.may_act_for(Uuid::now_v7()).is_ok());
        assert!(scope.may_file(Some(ALMATY), Uuid::now_v7()).is_ok());
        let refused = scope.may_file(Some(ASTANA), Uuid::now_v7()).unwrap_err();
        assert!(!refused.0.contains("KZ-"), "{}", refused.0);
        assert!(scope.may_file(None, Uuid::now_v7()).is_err());
        // A national intermediary files in every region, and still reads only its own work.
        let national = Scope::of(
            &caller(Role::Intermediary, Jurisdiction::National),
            Reach::Files,
        );
        assert!(national.may_file(Some(ASTANA), Uuid::nil()).is_ok());
        assert!(!national.covers(placed(Some(ASTANA))));
        assert_eq!(national.regions_listed(), Some(Vec::new()));
    }

    #[test]
    fn the_portal_covers_its_applicant_and_nothing_without_one() {
        let mut portal = caller(Role::Portal, Jurisdiction::National);
        assert_eq!(Scope::of(&portal, Reach::Files), Scope::Nothing);
        let me = Uuid::now_v7();
        portal.applicant = Some(me);
        let scope = Scope::of(&portal, Reach::Files);
        assert!(scope.covers(Placement {
            applicant: me,
            ..placed(None)
        }));
        assert!(!scope.covers(placed(None)));
        assert!(scope.may_file(None, me).is_ok());
        assert!(scope.may_file(None, Uuid::now_v7()).is_err());
    }

    #[test]
    fn admin_reads_no_files_but_sees_where_quota_decisions_fall() {
        let admin = caller(Role::Admin, Jurisdiction::National);
        assert_eq!(Scope::of(&admin, Reach::Files), Scope::Nothing);
        assert_eq!(Scope::of(&admin, Reach::Placements), Scope::Everywhere);
    }

    #[test]
    fn a_missing_file_is_told_apart_only_by_a_scope_that_would_read_it_anywhere() {
        let regional = Scope::of(
            &caller(Role::Psc, Jurisdiction::Regions(vec![ALMATY])),
            Reach::Files,
        );
        let name = "applications/0190e1d2-0000-7000-8000-000000000001";
        let elsewhere = regional.check(placed(Some(ASTANA)), name).unwrap_err();
        assert_eq!(regional.missing(name), Some(elsewhere.clone()));
        assert!(!elsewhere.0.contains("KZ-"), "{}", elsewhere.0);
        let national = Scope::of(&caller(Role::Psc, Jurisdiction::National), Reach::Files);
        assert_eq!(national.missing(name), None);
        for scope in [
            Scope::OwnWork {
                client: "urn:kandas:mission:m".into(),
                files_in: Jurisdiction::National,
            },
            Scope::Applicant(Uuid::now_v7()),
            Scope::Nothing,
        ] {
            assert_eq!(scope.missing(name), Some(OutsideJurisdiction::of(name)));
            assert_eq!(
                scope.check(placed(Some(ASTANA)), name),
                Err(OutsideJurisdiction::of(name))
            );
        }
    }

    #[test]
    fn a_regional_office_files_only_in_its_regions() {
        let scope = Scope::of(
            &caller(Role::Psc, Jurisdiction::Regions(vec![ALMATY])),
            Reach::Files,
        );
        assert!(scope.may_file(Some(ALMATY), Uuid::nil()).is_ok());
        let refused = scope.may_file(Some(ASTANA), Uuid::nil()).unwrap_err();
        // Where the application would lie may come from the applicant's records elsewhere.
        assert!(!refused.0.contains("KZ-71"), "{}", refused.0);
    }

    #[test]
    fn the_region_comes_from_the_details_then_records_then_the_request_then_the_office() {
        let one = Jurisdiction::Regions(vec![ALMATY]);
        let two = Jurisdiction::Regions(vec![ALMATY, ASTANA]);
        let national = Jurisdiction::National;
        assert_eq!(
            place_application(Some(ASTANA), Some(ALMATY), Some(ALMATY), &one),
            Ok(Some(ASTANA))
        );
        assert_eq!(
            place_application(None, Some(ASTANA), Some(ALMATY), &one),
            Ok(Some(ASTANA))
        );
        assert_eq!(
            place_application(None, None, Some(ASTANA), &one),
            Ok(Some(ASTANA))
        );
        assert_eq!(place_application(None, None, None, &one), Ok(Some(ALMATY)));
        assert_eq!(
            place_application(None, None, None, &two),
            Err(RegionMissing)
        );
        assert_eq!(place_application(None, None, None, &national), Ok(None));
    }
}
