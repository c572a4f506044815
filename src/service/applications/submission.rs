//! Submission checked at the door, its dry run, and the checklist for an applicant before
//! submitting (SPEC §5: incomplete is refused at the door, every problem listed).

use super::{RequiredFor, Submit, load_people, to_applicant};
use crate::domain::admission::{self, Assessment, People, QuotaFacts, Submission};
use crate::domain::call::Call;
use crate::domain::details::{Details, Relation};
use crate::domain::disclosure;
use crate::domain::documents::{ChecklistItem, ItemStatus};
use crate::domain::ids::{ApplicationId, PersonId};
use crate::domain::jurisdiction::{self, follows_permanent_registration};
use crate::domain::lifecycle;
use crate::domain::notification::steps;
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::{confirmation, mutation};
use crate::state::AppState;
use crate::store::{self, applications, persons, records};
use chrono::{Datelike, NaiveDate};
use prost::Message;
use uuid::Uuid;

/// Accepts a complete application, or refuses it listing every problem. `present` turns the
/// stored application into the answer, which a retry gets again.
pub async fn submit<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: Submit,
    present: impl Fn(&applications::ApplicationRow, NaiveDate) -> R,
) -> ApiResult<R> {
    let Submit {
        key,
        submission,
        region: named,
        confirmation,
    } = command;
    let scope = call.scope();
    scope.may_act_for(submission.applicant)?;
    // Where the application lies is known before anyone's records are read unless it follows
    // the applicant's permanent registration: refused there first, the refusal is the same
    // whether or not the applicant exists.
    if !follows_permanent_registration(submission.details.procedure())
        && let Ok(region) = jurisdiction::place_application(
            submission.details.region(),
            None,
            named,
            &call.caller.jurisdiction,
        )
    {
        scope.may_file(region, submission.applicant)?;
    }
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    // The applicant's row lock orders concurrent submissions for one person.
    store::persons::get_for_update(&mut tx, submission.applicant)
        .await?
        .ok_or_else(|| ApiError::not_found("applicant"))?;
    // An act the applicant did not confirm reads nothing of their file.
    let confirmed =
        confirmation::check(state, &mut tx, call, submission.applicant, &confirmation).await?;
    let today = state.clock.today();
    let (people, assessment) = assess_on_record(&mut tx, call, &submission, today).await?;
    let region = jurisdiction::place_application(
        submission.details.region(),
        follows_permanent_registration(submission.details.procedure())
            .then(|| people.applicant.permanent_registration_on(today))
            .flatten()
            .map(|registration| registration.region),
        named,
        &call.caller.jurisdiction,
    )
    .map_err(|_| {
        ApiError::field(
            "region",
            "required: this organisation acts in several regions; name the one the applicant lives or will settle in",
        )
    })?;
    scope.may_file(region, submission.applicant)?;
    if !assessment.complete() {
        // The refusal read everyone's records: each is a read of that person (the refusal's
        // own event names the applicant).
        drop(tx);
        state
            .audit
            .record_reads(call, evaluated(&people).skip(1))
            .await?;
        return Err(failed_precondition(
            Reason::ApplicationIncomplete,
            "the application cannot be accepted; every problem is listed in the details",
            violations(&assessment),
        ));
    }
    let procedure = submission.details.procedure();
    let deadline = lifecycle::legal_term(&submission.details)
        .map(|term| state.calendar.current().deadline(today, term));
    let id = Uuid::now_v7();
    let row = applications::insert(
        &mut tx,
        &applications::NewApplication {
            id,
            applicant_id: submission.applicant,
            submitted_by: &call.caller.client(),
            operator_id: &call.caller.operator_id,
            region,
            submission_date: today,
            deadline: deadline.as_ref().map(|d| d.date),
            deadline_provisional: deadline.as_ref().is_some_and(|d| d.provisional),
            pending_step: lifecycle::first_step(procedure),
            step_deadline: deadline.as_ref().map(|d| d.date),
            details: &submission.details,
            documents: &submission.documents,
            checklist: &assessment.checklist,
            assurance: confirmed.assurance,
        },
    )
    .await?;
    confirmation::record(&mut tx, call, key.request_id, id, None, &confirmed).await?;
    let members: Vec<(Uuid, Relation)> = submission
        .details
        .family()
        .iter()
        .map(|m| (m.person_id, m.relation))
        .collect();
    records::insert_members(&mut tx, id, &members).await?;
    // Accepted is a step of the applicant's file, told to the applicant alone (SPEC 5.8); a
    // refusal at the door above is not one and has returned before this.
    let accepted = steps::accepted(procedure, today, deadline);
    store::notifications::append(&mut tx, &to_applicant(&row, vec![accepted])).await?;
    let answer = present(&row, today);
    let name = ApplicationId::from(id).to_string();
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// An evaluation of persons' records at the door, and whose records it read: every one of
/// them is audited as a read of that person (SPEC 1.1, "every read of a file counts").
pub struct Evaluated<T> {
    pub answer: T,
    pub persons: Vec<String>,
}

/// The dry run: the same assessment as a submission, without submitting.
pub async fn check_documents(
    state: &AppState,
    call: &Call,
    submission: &Submission,
) -> ApiResult<Evaluated<Assessment>> {
    call.scope().may_act_for(submission.applicant)?;
    let mut conn = state.pool.acquire().await?;
    let (people, assessment) =
        assess_on_record(&mut conn, call, submission, state.clock.today()).await?;
    Ok(Evaluated {
        answer: assessment,
        persons: evaluated(&people).collect(),
    })
}

/// The checklist for an applicant before submitting: with no documents presented, what is
/// required, waived or already on record. Returns the labels of described family members.
pub async fn required_documents(
    state: &AppState,
    call: &Call,
    request: RequiredFor,
) -> ApiResult<Evaluated<(Vec<ChecklistItem>, Vec<(Uuid, String)>)>> {
    let today = state.clock.today();
    let mut conn = state.pool.acquire().await?;
    let (people, details, labels, unreadable, persons) = match request {
        RequiredFor::Registered { applicant, details } => {
            let applicant = applicant.uuid();
            call.scope().may_act_for(applicant)?;
            let people = load_people(&mut conn, applicant, &details).await?;
            let unreadable = out_of_reach(&mut conn, call, &people).await?;
            let persons = evaluated(&people).collect();
            (people, details, Vec::new(), unreadable, persons)
        }
        // Stand-ins described in the request: no one's records are read.
        RequiredFor::Described {
            people,
            details,
            labels,
        } => (*people, details, labels, Vec::new(), Vec::new()),
    };
    let submission = Submission {
        applicant: people.applicant.person_id,
        details,
        documents: Vec::new(),
    };
    // An MCI stored out of range is no MCI: the money checks say it is not set.
    let mci = store::quota::mci(&mut *conn, today.year())
        .await?
        .and_then(Result::ok);
    let assessment = disclosure::for_outsider(
        admission::assess(&people, &submission, call.caller.role, today, mci),
        submission.applicant,
        &unreadable,
    );
    Ok(Evaluated {
        answer: (assessment.checklist, labels),
        persons,
    })
}

/// Loads everyone's records and what quota eligibility needs, then asks the rules; what the
/// caller may not read of anyone's records is left out of the answer.
async fn assess_on_record(
    conn: &mut sqlx::PgConnection,
    call: &Call,
    submission: &Submission,
    today: NaiveDate,
) -> ApiResult<(People, Assessment)> {
    let people = load_people(conn, submission.applicant, &submission.details).await?;
    let mci = store::quota::mci(&mut *conn, today.year())
        .await?
        .and_then(Result::ok);
    let mut assessment = admission::assess(&people, submission, call.caller.role, today, mci);
    let facts = quota_facts(conn, &people, &submission.details).await?;
    assessment.unmet.extend(admission::quota_eligibility(
        &people,
        &submission.details,
        &facts,
        today,
    ));
    let unreadable = out_of_reach(conn, call, &people).await?;
    let assessment = disclosure::for_outsider(assessment, submission.applicant, &unreadable);
    Ok((people, assessment))
}

/// Everyone in `people` whose files the caller may not read.
async fn out_of_reach(
    conn: &mut sqlx::PgConnection,
    call: &Call,
    people: &People,
) -> ApiResult<Vec<Uuid>> {
    let (scope, client) = (call.scope(), call.caller.client());
    let mut unreadable = Vec::new();
    for person in people.everyone() {
        if !persons::in_scope(&mut *conn, person.person_id, &scope, &client).await? {
            unreadable.push(person.person_id);
        }
    }
    Ok(unreadable)
}

/// The persons whose records an evaluation read, the applicant first.
fn evaluated(people: &People) -> impl Iterator<Item = String> + '_ {
    people.everyone().map(|person| person.person.clone())
}

/// What the store knows that quota eligibility needs, for everyone in `people`.
pub async fn quota_facts(
    conn: &mut sqlx::PgConnection,
    people: &People,
    details: &Details,
) -> ApiResult<QuotaFacts> {
    let Details::RegionalQuotaInclusion { region, year, .. } = details else {
        return Ok(QuotaFacts::default());
    };
    let quota_exists = store::quota::get(&mut *conn, *region, *year)
        .await?
        .is_some();
    let everyone: Vec<Uuid> = people.everyone().map(|p| p.person_id).collect();
    let already_included = store::quota::already_included(&mut *conn, &everyone).await?;
    Ok(QuotaFacts {
        quota_exists,
        already_included,
    })
}

/// Every problem of an assessment, as the refusal lists them: documents first, then
/// prerequisites.
fn violations(assessment: &Assessment) -> Vec<Violation> {
    let documents = assessment
        .checklist
        .iter()
        .filter(|i| i.is_problem())
        .map(|item| {
            let holder = item
                .holder
                .map(|id| PersonId::from(id).to_string())
                .unwrap_or_else(|| "applicant".into());
            let (kind, what) = if item.status == ItemStatus::Missing {
                ("DOCUMENT_MISSING", format!("missing: {}", item.description))
            } else {
                (
                    "DOCUMENT_INVALID",
                    format!("invalid: {}: {}", item.description, item.detail),
                )
            };
            Violation::new(
                kind,
                format!("{holder}: {}", item.requirement),
                format!("{what} ({})", item.legal_basis),
            )
        });
    let prerequisites = assessment.unmet.iter().map(|u| {
        // Where a check has an earliest date, its description already names it.
        let description = format!("{} ({})", u.check.description, u.check.legal_basis);
        Violation::new(u.check.code, u.person.clone(), description)
    });
    documents.chain(prerequisites).collect()
}
