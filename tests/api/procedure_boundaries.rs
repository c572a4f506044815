//! The numbers of SPEC §3 and §5 at their exact boundaries, through gRPC: 180 days of passport
//! validity, the 12-month look-back after a refusal or an offence, the last day of a kandas
//! status, legal terms across holidays, the ages of 14, 16 and 18, the card's validity and its
//! 45-day renewal window, and the 3 working days of an arrival notification.

use crate::helpers::*;
use chrono::{Days, NaiveDate};
use kandas::pb;
use kandas::pb::application_details::Procedure as P;
use kandas::pb::checklist_item::Status;
use kandas::pb::permanent_residence_permit::Category;
use kandas::state::Clock;
use tonic::Code;

/// MCI of 2026 (SPEC §4); amounts computed with it also cover 2025 (3,932).
const MCI_2026: i64 = 4_325;

type PrerequisiteClient =
    pb::prerequisite_service_client::PrerequisiteServiceClient<tonic::transport::Channel>;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn proto(d: NaiveDate) -> pb::Date {
    use chrono::Datelike;
    date(d.year(), d.month(), d.day())
}

async fn app_on(today: NaiveDate) -> TestApp {
    spawn_app_with(|s| s.clock = Clock::pinned(today)).await
}

/// A second server on the same database, pinned to another date.
async fn later(app: &TestApp, today: NaiveDate) -> TestApp {
    spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(today)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Document builders.
// ---------------------------------------------------------------------------------------------

/// A document in Kazakh, original, with a number, held by the applicant.
fn doc(kind: pb::DocumentType) -> pb::Document {
    pb::Document {
        r#type: kind as i32,
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: format!("N-{}", kind as i32),
        ..Default::default()
    }
}

fn held_by(mut document: pb::Document, holder: &pb::Person) -> pb::Document {
    document.holder = holder.name.clone();
    document
}

fn notarized(kind: pb::DocumentType) -> pb::Document {
    pb::Document {
        notarized: true,
        ..doc(kind)
    }
}

/// The applicant's foreign passport (notarized Russian translation) expiring on `expiry`.
fn passport_until(expiry: NaiveDate) -> pb::Document {
    pb::Document {
        expiry_date: Some(proto(expiry)),
        ..passport()
    }
}

fn paid(kind: pb::DocumentType, mci: i64) -> pb::Document {
    pb::Document {
        amount_tenge: mci * MCI_2026,
        ..doc(kind)
    }
}

fn one_photo() -> pb::Document {
    pb::Document {
        photo: Some(pb::PhotoSpec {
            count: 1,
            width_mm: 35,
            height_mm: 45,
        }),
        ..doc(pb::DocumentType::Photo)
    }
}

/// Every document of SPEC 5.3 an adult applicant without exemptions presents, with the
/// passport expiring on `passport_expiry`.
fn permit_documents(passport_expiry: NaiveDate) -> Vec<pb::Document> {
    vec![
        doc(pb::DocumentType::ApplicationForm),
        passport_until(passport_expiry),
        doc(pb::DocumentType::DepartureConsent),
        doc(pb::DocumentType::Biography),
        paid(pb::DocumentType::SolvencyProof, 1_320),
        doc(pb::DocumentType::CriminalRecordCertificate),
        notarized(pb::DocumentType::HousingContract),
        doc(pb::DocumentType::MedicalCertificate),
        one_photo(),
        paid(pb::DocumentType::StateDutyPayment, 4),
    ]
}

fn permit_details(category: Category, family: Vec<pb::FamilyMember>) -> pb::ApplicationDetails {
    details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
        category: category as i32,
        family,
        ..Default::default()
    }))
}

fn card_details(renewal: bool) -> pb::ApplicationDetails {
    details(P::ResidencePermitCard(pb::ResidencePermitCard { renewal }))
}

fn card_documents(passport_expiry: NaiveDate) -> Vec<pb::Document> {
    vec![
        passport_until(passport_expiry),
        paid(pb::DocumentType::StateDutyPayment, 4),
    ]
}

fn kandas_details() -> pb::ApplicationDetails {
    details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
        grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
        nationality_in_identity_document: true,
        ..Default::default()
    }))
}

fn kandas_documents() -> Vec<pb::Document> {
    vec![
        doc(pb::DocumentType::ApplicationForm),
        doc(pb::DocumentType::Biography),
        passport_until(day(2032, 1, 1)),
    ]
}

// ---------------------------------------------------------------------------------------------
// Calls.
// ---------------------------------------------------------------------------------------------

/// A person registered with the IIN they already hold.
async fn holder(app: &TestApp, iin: &str, ethnic_kazakh: bool, citizenship: &str) -> pb::Person {
    let mut persons = app.persons("psc").await;
    // Each holder is a different person: the IIN's serial tells them apart by name too.
    let mut p = person(&numbered("Holder ", &iin[7..11]));
    p.iin = iin.into();
    p.ethnic_kazakh = ethnic_kazakh;
    p.citizenship = citizenship.into();
    register(&mut persons, p).await
}

/// A person without an IIN born on `birth`.
async fn born(app: &TestApp, surname: &str, birth: NaiveDate) -> pb::Person {
    let mut persons = app.persons("psc").await;
    let mut p = person(surname);
    p.birth_date = Some(proto(birth));
    register(&mut persons, p).await
}

fn child(p: &pb::Person) -> pb::FamilyMember {
    pb::FamilyMember {
        person: p.name.clone(),
        relation: pb::Relation::Child as i32,
    }
}

async fn submit(
    app: &TestApp,
    role: &str,
    applicant: &pb::Person,
    details: pb::ApplicationDetails,
    documents: Vec<pb::Document>,
) -> Result<pb::Application, tonic::Status> {
    app.applications(role)
        .await
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: applicant.name.clone(),
            documents,
            details: Some(details),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner())
}

async fn check(
    app: &TestApp,
    applicant: &pb::Person,
    details: pb::ApplicationDetails,
    documents: Vec<pb::Document>,
) -> pb::CheckDocumentsResponse {
    app.applications("psc")
        .await
        .check_documents(pb::CheckDocumentsRequest {
            applicant: applicant.name.clone(),
            documents,
            details: Some(details),
        })
        .await
        .expect("check documents")
        .into_inner()
}

async fn approve_as(app: &TestApp, role: &str, application: &pb::Application) -> pb::Application {
    app.applications(role)
        .await
        .decide_application(approve(&application.name, &application.etag))
        .await
        .expect("approve")
        .into_inner()
}

async fn prerequisites(
    app: &TestApp,
    person: &pb::Person,
    procedure: pb::Procedure,
    as_of: Option<NaiveDate>,
) -> pb::CheckPrerequisitesResponse {
    PrerequisiteClient::new(app.channel("police").await)
        .check_prerequisites(pb::CheckPrerequisitesRequest {
            person: person.name.clone(),
            procedure: procedure as i32,
            as_of: as_of.map(proto),
            ..Default::default()
        })
        .await
        .expect("check prerequisites")
        .into_inner()
}

fn prerequisite<'r>(
    response: &'r pb::CheckPrerequisitesResponse,
    code: &str,
) -> &'r pb::Prerequisite {
    response
        .prerequisites
        .iter()
        .find(|p| p.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", response.prerequisites))
}

/// Grants a kandas status today (psc submits, the commission approves).
async fn grant_kandas_status(app: &TestApp, applicant: &pb::Person) -> pb::Application {
    let submitted = submit(app, "psc", applicant, kandas_details(), kandas_documents())
        .await
        .expect("kandas status application accepted");
    approve_as(app, "commission", &submitted).await
}

fn unmet_codes(response: &pb::CheckDocumentsResponse) -> Vec<&str> {
    response
        .unmet_prerequisites
        .iter()
        .map(|u| u.code.as_str())
        .collect()
}

/// The PreconditionFailure violations of a refused submission.
fn violations(status: &tonic::Status) -> Vec<tonic_types::PreconditionViolation> {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    error_details(status)
        .precondition_failure()
        .expect("a PreconditionFailure")
        .violations
        .clone()
}

fn violation_types(status: &tonic::Status) -> Vec<String> {
    violations(status).into_iter().map(|v| v.r#type).collect()
}

fn item<'a>(
    checklist: &'a [pb::ChecklistItem],
    requirement: &str,
    holder: &pb::Person,
) -> Option<&'a pb::ChecklistItem> {
    checklist
        .iter()
        .find(|i| i.requirement == requirement && i.holder == holder.name)
}

fn item_status(checklist: &[pb::ChecklistItem], requirement: &str, holder: &pb::Person) -> Status {
    let found = item(checklist, requirement, holder)
        .unwrap_or_else(|| panic!("no {requirement} for {}: {checklist:#?}", holder.name));
    Status::try_from(found.status).unwrap()
}

fn only_issued(application: &pb::Application) -> pb::IssuedRecord {
    let decision = application.decision.clone().expect("decided");
    assert_eq!(decision.issued.len(), 1, "{:?}", decision.issued);
    decision.issued[0].clone()
}

// ---------------------------------------------------------------------------------------------
// 1. Passport valid more than 180 days (SPEC 5.3).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn permit_passport_valid_exactly_180_days_is_refused_181_accepted() {
    let today = default_today();
    let app = app_on(today).await;
    let applicant = holder(&app, "871008401427", false, "TUR").await;
    let permit = || permit_details(Category::OtherForeigner, vec![]);

    let expiry_180 = today + Days::new(180);
    assert_eq!(expiry_180, day(2026, 11, 28));
    let dry = check(&app, &applicant, permit(), permit_documents(expiry_180)).await;
    assert!(!dry.complete);
    assert_eq!(unmet_codes(&dry), vec!["PASSPORT_VALID_180_DAYS"]);
    assert_eq!(dry.unmet_prerequisites[0].person, applicant.name);
    assert!(
        dry.checklist
            .iter()
            .all(|i| i.status != Status::Missing as i32 && i.status != Status::Invalid as i32),
        "only the prerequisite fails: {:#?}",
        dry.checklist
    );
    let refused = submit(
        &app,
        "psc",
        &applicant,
        permit(),
        permit_documents(expiry_180),
    )
    .await
    .unwrap_err();
    assert_eq!(violation_types(&refused), vec!["PASSPORT_VALID_180_DAYS"]);
    assert_eq!(violations(&refused)[0].subject, applicant.name);

    let expiry_181 = today + Days::new(181);
    assert_eq!(expiry_181, day(2026, 11, 29));
    let dry = check(&app, &applicant, permit(), permit_documents(expiry_181)).await;
    assert!(dry.complete, "{:#?}", dry.unmet_prerequisites);
    assert!(dry.unmet_prerequisites.is_empty());
    let accepted = submit(
        &app,
        "psc",
        &applicant,
        permit(),
        permit_documents(expiry_181),
    )
    .await
    .expect("181 days of validity is more than 180");
    assert_eq!(accepted.state, pb::application::State::Submitted as i32);
}

// ---------------------------------------------------------------------------------------------
// 2. No refused permit within the 12 months before submission (SPEC 5.3).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_permit_refusal_bars_through_the_same_date_a_year_later() {
    let refused_on = day(2025, 3, 10);
    let app = app_on(refused_on).await;
    let applicant = holder(&app, "871008401427", false, "TUR").await;
    let permit = || permit_details(Category::OtherForeigner, vec![]);
    let documents = || permit_documents(day(2030, 1, 1));

    let submitted = submit(&app, "psc", &applicant, permit(), documents())
        .await
        .unwrap();
    let refused = app
        .applications("police")
        .await
        .decide_application(refuse(
            &submitted.name,
            &submitted.etag,
            "FALSE_INFORMATION",
            "the housing contract could not be confirmed",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.state, pb::application::State::Refused as i32);
    assert_eq!(
        refused.decision.unwrap().decision_date,
        Some(proto(refused_on))
    );

    // SPEC 3: refused 2025-03-10, barred through 2026-03-10, accepted from 2026-03-11.
    let first_accepted = day(2026, 3, 11);
    for barred_on in [day(2026, 3, 9), day(2026, 3, 10)] {
        let barred = later(&app, barred_on).await;
        let dry = check(&barred, &applicant, permit(), documents()).await;
        assert!(!dry.complete, "{barred_on}");
        assert_eq!(unmet_codes(&dry), vec!["NO_REFUSAL_12_MONTHS"]);
        assert_eq!(
            dry.unmet_prerequisites[0].earliest_date,
            Some(proto(first_accepted))
        );
        assert_eq!(dry.unmet_prerequisites[0].evidence, submitted.name);
        let blocked = submit(&barred, "psc", &applicant, permit(), documents())
            .await
            .unwrap_err();
        let found = violations(&blocked);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].r#type, "NO_REFUSAL_12_MONTHS");
        assert!(
            found[0].description.contains("2026-03-11"),
            "names the first date a new application is accepted: {}",
            found[0].description
        );
    }

    // The day after the bar's last day: the refusal no longer counts.
    let exactly = later(&app, first_accepted).await;
    let dry = check(&exactly, &applicant, permit(), documents()).await;
    assert!(dry.complete, "{:#?}", dry.unmet_prerequisites);
    let accepted = submit(&exactly, "psc", &applicant, permit(), documents())
        .await
        .expect("a refusal no longer bars from the day after its last day");
    assert_eq!(accepted.submission_date, Some(proto(first_accepted)));
}

// ---------------------------------------------------------------------------------------------
// 3. A kandas status is valid 1 year from the decision, through its last day (SPEC 5.2, 5.3).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_kandas_status_is_valid_through_its_last_day_and_not_after() {
    let decided_on = day(2025, 6, 2);
    let app = app_on(decided_on).await;
    let applicant = holder(&app, "760212350620", true, "CHN").await;
    let granted = grant_kandas_status(&app, &applicant).await;
    let issued = only_issued(&granted);
    assert_eq!(
        issued.kind,
        pb::issued_record::Kind::KandasCertificate as i32
    );
    assert_eq!(issued.valid_from, Some(proto(decided_on)));
    let last_day = day(2026, 6, 2);
    assert_eq!(issued.valid_until, Some(proto(last_day)), "D + 1 year");

    // The prerequisite as the police see it on the last day and the day after.
    let on_last_day = prerequisites(
        &app,
        &applicant,
        pb::Procedure::PermanentResidencePermit,
        Some(last_day),
    )
    .await;
    let valid = prerequisite(&on_last_day, "KANDAS_STATUS_VALID");
    assert!(valid.satisfied, "{}", valid.description);
    assert_eq!(valid.evidence, granted.name);
    let day_after = prerequisites(
        &app,
        &applicant,
        pb::Procedure::PermanentResidencePermit,
        Some(day(2026, 6, 3)),
    )
    .await;
    assert!(!prerequisite(&day_after, "KANDAS_STATUS_VALID").satisfied);

    // And at the door, with the submission date being that day.
    let permit = || permit_details(Category::KandasAndFamily, vec![]);
    let documents = || permit_documents(day(2032, 1, 1));
    let on_last_day = later(&app, last_day).await;
    let dry = check(&on_last_day, &applicant, permit(), documents()).await;
    assert!(dry.complete, "{:#?}", dry.unmet_prerequisites);
    let day_after = later(&app, day(2026, 6, 3)).await;
    let dry = check(&day_after, &applicant, permit(), documents()).await;
    assert!(!dry.complete);
    assert_eq!(unmet_codes(&dry), vec!["KANDAS_STATUS_VALID"]);
    let refused = submit(&day_after, "psc", &applicant, permit(), documents())
        .await
        .unwrap_err();
    assert_eq!(violation_types(&refused), vec!["KANDAS_STATUS_VALID"]);
}

// ---------------------------------------------------------------------------------------------
// 4–5. Legal terms across holidays (SPEC 3, SPEC 5 table).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn kandas_status_deadline_is_35_working_days_across_nauryz() {
    // Monday 2 March 2026: 35 working days would be Monday 20 April without holidays; 9 March
    // (8 March was a Sunday) and 23–25 March (Nauryz with the carried-over 21st and 22nd) are
    // off, so four more working days: Friday 24 April.
    let app = app_on(day(2026, 3, 2)).await;
    let applicant = holder(&app, "760212350620", true, "CHN").await;
    let submitted = submit(
        &app,
        "psc",
        &applicant,
        kandas_details(),
        kandas_documents(),
    )
    .await
    .unwrap();
    assert_eq!(submitted.submission_date, Some(date(2026, 3, 2)));
    assert_eq!(submitted.deadline, Some(date(2026, 4, 24)));
    assert!(!submitted.deadline_provisional);
}

#[tokio::test]
async fn permit_deadlines_of_45_and_60_calendar_days_move_off_days_off() {
    // Checked against crates/kandas-domain/src/calendar.rs (Term::CalendarDays: start + N, then the next
    // working day on or after it; days off of 2026 as in SPEC 3):
    // - 45 days from Thursday 22 January 2026 = Sunday 8 March; Monday 9 March is the
    //   carried-over 8 March, so the deadline is Tuesday 10 March;
    // - 60 days = Monday 23 March, Nauryz; 23, 24, 25 March are off → Thursday 26 March.
    let submitted_on = day(2026, 1, 22);
    assert_eq!(submitted_on + Days::new(45), day(2026, 3, 8));
    assert_eq!(submitted_on + Days::new(60), day(2026, 3, 23));
    let app = app_on(submitted_on).await;

    let foreigner = holder(&app, "871008401427", false, "TUR").await;
    let other = submit(
        &app,
        "psc",
        &foreigner,
        permit_details(Category::OtherForeigner, vec![]),
        permit_documents(day(2030, 1, 1)),
    )
    .await
    .unwrap();
    assert_eq!(other.deadline, Some(date(2026, 3, 10)));
    assert!(!other.deadline_provisional);

    let kandas = holder(&app, "760212350620", true, "CHN").await;
    grant_kandas_status(&app, &kandas).await;
    let family = submit(
        &app,
        "psc",
        &kandas,
        permit_details(Category::KandasAndFamily, vec![]),
        permit_documents(day(2030, 1, 1)),
    )
    .await
    .unwrap();
    assert_eq!(family.deadline, Some(date(2026, 3, 26)));
    assert!(!family.deadline_provisional);
}

// ---------------------------------------------------------------------------------------------
// 6. Ages on the submission date: under 16, 14 to 18 (SPEC 5, 5.3).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn permit_children_documents_follow_ages_16_14_and_18_to_the_day() {
    let today = default_today();
    assert_eq!(today, day(2026, 6, 1));
    let app = app_on(today).await;
    let applicant = holder(&app, "871008401427", false, "TUR").await;
    let sixteen = born(&app, "Sixteen", day(2010, 6, 1)).await;
    let almost_sixteen = born(&app, "AlmostSixteen", day(2010, 6, 2)).await;
    let fourteen = born(&app, "Fourteen", day(2012, 6, 1)).await;
    let almost_fourteen = born(&app, "AlmostFourteen", day(2012, 6, 2)).await;
    let eighteen = born(&app, "Eighteen", day(2008, 6, 1)).await;
    let children = [
        &sixteen,
        &almost_sixteen,
        &fourteen,
        &almost_fourteen,
        &eighteen,
    ];
    let permit = || {
        permit_details(
            Category::OtherForeigner,
            children.iter().map(|c| child(c)).collect(),
        )
    };

    let dry = check(
        &app,
        &applicant,
        permit(),
        permit_documents(day(2030, 1, 1)),
    )
    .await;
    let list = &dry.checklist;
    let birth = "permit.birth_certificate";
    let consent = "permit.child_consent";

    // Birth certificate for each child under 16.
    assert!(
        item(list, birth, &sixteen).is_none(),
        "exactly 16: no birth certificate"
    );
    assert_eq!(item_status(list, birth, &almost_sixteen), Status::Missing);
    assert_eq!(item_status(list, birth, &fourteen), Status::Missing);
    assert_eq!(item_status(list, birth, &almost_fourteen), Status::Missing);
    assert!(item(list, birth, &eighteen).is_none());
    // From 16 a child is identified by their own passport instead.
    assert_eq!(
        item_status(list, "permit.identity_document", &sixteen),
        Status::Missing
    );
    assert!(item(list, "permit.identity_document", &almost_sixteen).is_none());

    // Notarized consent of each child aged 14 to 18 (14 ≤ age < 18).
    assert_eq!(item_status(list, consent, &fourteen), Status::Missing);
    assert!(
        item(list, consent, &almost_fourteen).is_none(),
        "one day short of 14: no consent"
    );
    assert_eq!(item_status(list, consent, &sixteen), Status::Missing);
    assert_eq!(item_status(list, consent, &almost_sixteen), Status::Missing);
    assert!(
        item(list, consent, &eighteen).is_none(),
        "exactly 18: no consent"
    );

    // Presenting them satisfies exactly those items.
    let mut documents = permit_documents(day(2030, 1, 1));
    documents.push(held_by(
        doc(pb::DocumentType::BirthCertificate),
        &almost_sixteen,
    ));
    documents.push(held_by(
        notarized(pb::DocumentType::ChildConsent),
        &fourteen,
    ));
    let dry = check(&app, &applicant, permit(), documents).await;
    let list = &dry.checklist;
    assert_eq!(item_status(list, birth, &almost_sixteen), Status::Satisfied);
    assert_eq!(item_status(list, consent, &fourteen), Status::Satisfied);
    assert_eq!(item_status(list, birth, &fourteen), Status::Missing);
}

// ---------------------------------------------------------------------------------------------
// 7. Residence permit card: valid ≤ 10 years and never past the passport; renewal from 45
//    days before expiry (SPEC 5 table, 5.4).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn card_validity_is_capped_by_the_passport_and_renewal_opens_45_days_before() {
    let decided_on = day(2025, 6, 2);
    let app = app_on(decided_on).await;
    let applicant = holder(&app, "871008401427", false, "TUR").await;
    // This passport is valid 470 days on the permit's submission date (more than 180).
    let passport_expiry = day(2026, 9, 15);
    let permit = submit(
        &app,
        "psc",
        &applicant,
        permit_details(Category::OtherForeigner, vec![]),
        permit_documents(passport_expiry),
    )
    .await
    .unwrap();
    approve_as(&app, "police", &permit).await;

    let card = submit(
        &app,
        "psc",
        &applicant,
        card_details(false),
        card_documents(passport_expiry),
    )
    .await
    .unwrap();
    let issued = only_issued(&approve_as(&app, "psc", &card).await);
    assert_eq!(
        issued.kind,
        pb::issued_record::Kind::ResidencePermitCard as i32
    );
    assert_eq!(issued.valid_from, Some(proto(decided_on)));
    // Decision + 10 years is 2035-06-02; the passport expires first.
    assert_eq!(issued.valid_until, Some(proto(passport_expiry)));

    // Renewal: 2026-09-15 − 45 days = 2026-08-01; 46 days before is 2026-07-31.
    let opens = day(2026, 8, 1);
    assert_eq!(passport_expiry - Days::new(45), opens);
    let new_passport = day(2040, 1, 1);
    let too_early = later(&app, day(2026, 7, 31)).await;
    let dry = check(
        &too_early,
        &applicant,
        card_details(true),
        card_documents(new_passport),
    )
    .await;
    assert!(!dry.complete);
    assert_eq!(unmet_codes(&dry), vec!["CARD_RENEWAL_WINDOW"]);
    assert_eq!(dry.unmet_prerequisites[0].earliest_date, Some(proto(opens)));
    let refused = submit(
        &too_early,
        "psc",
        &applicant,
        card_details(true),
        card_documents(new_passport),
    )
    .await
    .unwrap_err();
    assert_eq!(violation_types(&refused), vec!["CARD_RENEWAL_WINDOW"]);

    let on_time = later(&app, opens).await;
    let renewal = submit(
        &on_time,
        "psc",
        &applicant,
        card_details(true),
        card_documents(new_passport),
    )
    .await
    .expect("renewal is accepted from 45 days before expiry");
    // The new passport outlives decision + 10 years: the card stops at 10 years.
    let renewed = only_issued(&approve_as(&on_time, "psc", &renewal).await);
    assert_eq!(renewed.valid_from, Some(proto(opens)));
    assert_eq!(renewed.valid_until, Some(date(2036, 8, 1)));
}

// ---------------------------------------------------------------------------------------------
// 8. A host's arrival notification is due within 3 working days of entry (SPEC 5.5).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn arrival_notification_on_the_third_working_day_is_on_time_the_fourth_is_late() {
    let app = app_on(day(2026, 6, 15)).await;
    let foreigner = born(&app, "Guest", day(1990, 4, 4)).await;
    let mut persons = app.persons("psc").await;
    // Entry Thursday 4 June 2026: Friday 5 (1), weekend, Monday 8 (2), Tuesday 9 (3).
    let entry = day(2026, 6, 4);
    let mut notify = async |notified_on: NaiveDate| {
        persons
            .record_arrival_notification(pb::RecordArrivalNotificationRequest {
                request_id: request_id(),
                person: foreigner.name.clone(),
                entry_date: Some(proto(entry)),
                notified_on: Some(proto(notified_on)),
                host: "Hotel Astana LLP".into(),
            })
            .await
            .expect("record the notification")
            .into_inner()
    };
    let weekend = notify(day(2026, 6, 7)).await;
    assert!(!weekend.late);
    let third = notify(day(2026, 6, 9)).await;
    assert_eq!(third.due_date, Some(date(2026, 6, 9)));
    assert!(!third.late, "the 3rd working day is on time");
    let fourth = notify(day(2026, 6, 10)).await;
    assert_eq!(fourth.due_date, Some(date(2026, 6, 9)));
    assert!(fourth.late, "the 4th working day is late");
    assert_eq!(fourth.notified_on, Some(date(2026, 6, 10)));
}

// ---------------------------------------------------------------------------------------------
// 9. No offence in migration, tax or labour law within 12 months (SPEC 5.3).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_migration_offence_11_months_ago_blocks_the_permit_an_other_law_offence_does_not() {
    let today = default_today();
    let app = app_on(today).await;
    let offender = holder(&app, "871008401427", false, "TUR").await;
    let bystander = holder(&app, "760212350620", false, "TUR").await;
    let eleven_months_ago = day(2025, 7, 1);
    let mut police = PrerequisiteClient::new(app.channel("police").await);
    let mut record = async |person: &pb::Person, field: pb::record_offence_request::Field| {
        police
            .record_offence(pb::RecordOffenceRequest {
                request_id: request_id(),
                person: person.name.clone(),
                field: field as i32,
                offence_date: Some(proto(eleven_months_ago)),
                description: "stay without registration".into(),
            })
            .await
            .expect("record offence")
            .into_inner()
    };
    let migration = record(&offender, pb::record_offence_request::Field::Migration).await;
    record(&bystander, pb::record_offence_request::Field::Other).await;

    let seen = prerequisites(
        &app,
        &offender,
        pb::Procedure::PermanentResidencePermit,
        None,
    )
    .await;
    let offence = prerequisite(&seen, "NO_OFFENCE_12_MONTHS");
    assert!(!offence.satisfied, "{}", offence.description);
    assert!(offence.blocking);
    assert_eq!(offence.evidence, migration.name);
    assert!(!seen.all_satisfied);

    let seen = prerequisites(
        &app,
        &bystander,
        pb::Procedure::PermanentResidencePermit,
        None,
    )
    .await;
    let offence = prerequisite(&seen, "NO_OFFENCE_12_MONTHS");
    assert!(offence.satisfied, "{}", offence.description);

    // The same at the door.
    let permit = || permit_details(Category::OtherForeigner, vec![]);
    let documents = || permit_documents(day(2030, 1, 1));
    let dry = check(&app, &offender, permit(), documents()).await;
    assert_eq!(unmet_codes(&dry), vec!["NO_OFFENCE_12_MONTHS"]);
    let dry = check(&app, &bystander, permit(), documents()).await;
    assert!(dry.complete, "{:#?}", dry.unmet_prerequisites);
}

#[tokio::test]
async fn an_offence_bars_through_the_same_date_a_year_later_and_not_the_day_after() {
    let app = app_on(default_today()).await;
    let offender = holder(&app, "871008401427", false, "TUR").await;
    let mut police = PrerequisiteClient::new(app.channel("police").await);
    let offence = police
        .record_offence(pb::RecordOffenceRequest {
            request_id: request_id(),
            person: offender.name.clone(),
            field: pb::record_offence_request::Field::Tax as i32,
            offence_date: Some(proto(day(2025, 3, 10))),
            description: "unpaid state duty".into(),
        })
        .await
        .expect("record offence")
        .into_inner();

    // SPEC 3: an offence of 2025-03-10 bars through 2026-03-10.
    for (as_of, bars) in [
        (day(2026, 3, 9), true),
        (day(2026, 3, 10), true),
        (day(2026, 3, 11), false),
    ] {
        let seen = prerequisites(
            &app,
            &offender,
            pb::Procedure::PermanentResidencePermit,
            Some(as_of),
        )
        .await;
        let check = prerequisite(&seen, "NO_OFFENCE_12_MONTHS");
        assert_eq!(check.satisfied, !bars, "{as_of}: {}", check.description);
        if bars {
            assert_eq!(check.evidence, offence.name);
            assert_eq!(check.earliest_date, Some(proto(day(2026, 3, 11))));
        }
    }
}
