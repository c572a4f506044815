//! An application's life: its state, the step it waits for, the moves between them, and the
//! legal term of each step (SPEC §5 table and §6). Every term of the law is written here once.

use super::calendar::Term;
use super::details::{Details, PermitCategory};
use super::procedure::Procedure;
use chrono::NaiveDate;
use std::fmt;

/// Where an application stands. `Submitted` is the only open state; the others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Submitted,
    Approved,
    Refused,
    Withdrawn,
}

/// What an application waits for next, each with its own deadline (SPEC §6 gives quota
/// inclusion three; every other procedure has one, the decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The employment center forwards the list to the commission.
    Forward,
    /// The deciding office decides.
    Decide,
    /// The applicant is told of a quota decision.
    Notify,
    /// Nothing is pending.
    Done,
}

/// 3 working days to forward a quota list to the commission (SPEC §6).
pub const QUOTA_FORWARD_TERM: Term = Term::WorkingDays(3);
/// 10 working days for the commission to decide once the list arrives (SPEC §6).
pub const QUOTA_DECIDE_TERM: Term = Term::WorkingDays(10);
/// 5 calendar days to tell the applicant of a quota decision (SPEC §6).
pub const QUOTA_NOTIFY_TERM: Term = Term::CalendarDays(5);

/// The legal term for the decision, counted from the submission date (SPEC §5 table); `None`
/// where the decision is taken on the spot. For quota inclusion it is the first step's term.
pub fn legal_term(details: &Details) -> Option<Term> {
    match details {
        Details::IinAssignment { .. } => Some(Term::WorkingDays(3)),
        Details::KandasStatusAssignment { .. } | Details::KandasStatusExtension => {
            Some(Term::WorkingDays(35))
        }
        Details::PermanentResidencePermit { category, .. } => Some(match category {
            // 60 calendar days for ethnic Kazakhs and their families, 45 otherwise.
            PermitCategory::KandasAndFamily => Term::CalendarDays(60),
            PermitCategory::OtherForeigner => Term::CalendarDays(45),
        }),
        Details::ResidencePermitCard { .. } | Details::StatelessPersonCertificate { .. } => {
            Some(Term::WorkingDays(17))
        }
        Details::ResidenceRegistration { .. } => None,
        Details::RegionalQuotaInclusion { .. } => Some(QUOTA_FORWARD_TERM),
        Details::SimplifiedCitizenship { .. } => Some(Term::Months(3)),
    }
}

/// The step a new application waits for: quota inclusion starts with the employment center
/// forwarding it (SPEC §6); everything else waits for its decision.
pub fn first_step(procedure: Procedure) -> Step {
    if procedure == Procedure::RegionalQuotaInclusion {
        Step::Forward
    } else {
        Step::Decide
    }
}

/// The step after a decision: a quota applicant must be told; everything else is done.
pub fn step_after_decision(procedure: Procedure) -> Step {
    if procedure == Procedure::RegionalQuotaInclusion {
        Step::Notify
    } else {
        Step::Done
    }
}

/// Why a move is not possible now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The application is already decided or withdrawn.
    Final(State),
    /// A quota application must be forwarded before the commission decides it.
    NotForwarded,
    /// The application waits for another step than the one asked for.
    WrongStep(Step),
}

impl State {
    pub const ALL: [State; 4] = [
        State::Submitted,
        State::Approved,
        State::Refused,
        State::Withdrawn,
    ];

    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Approved => "approved",
            State::Refused => "refused",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn is_open(self) -> bool {
        self == State::Submitted
    }

    /// A decided or withdrawn application is final.
    pub fn ensure_open(self) -> Result<(), Refusal> {
        if self.is_open() {
            Ok(())
        } else {
            Err(Refusal::Final(self))
        }
    }
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Forward, Step::Decide, Step::Notify, Step::Done];

    /// Stable name used in storage and shown to callers.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Forward => "forward",
            Step::Decide => "decide",
            Step::Notify => "notify",
            Step::Done => "done",
        }
    }

    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn is_pending(self) -> bool {
        self != Step::Done
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// May the deciding office decide an application in `state` waiting for `step`?
pub fn may_decide(state: State, step: Step) -> Result<(), Refusal> {
    state.ensure_open()?;
    if step == Step::Forward {
        return Err(Refusal::NotForwarded);
    }
    Ok(())
}

/// May a submitter withdraw it?
pub fn may_withdraw(state: State) -> Result<(), Refusal> {
    state.ensure_open()
}

/// May the employment center forward it to the commission?
pub fn may_forward(state: State, step: Step) -> Result<(), Refusal> {
    state.ensure_open()?;
    if step == Step::Forward {
        Ok(())
    } else {
        Err(Refusal::WrongStep(step))
    }
}

/// May the applicant's notification of a quota decision be recorded?
pub fn may_record_notified(step: Step) -> Result<(), Refusal> {
    if step == Step::Notify {
        Ok(())
    } else {
        Err(Refusal::WrongStep(step))
    }
}

/// May the applicant be recorded as told of a decision of `decided_on` on `on`?
///
/// Decision: nobody is told of a decision before it is made, and a notice is recorded once it
/// was given, so `on` lies from the decision date through `today`, both inclusive.
pub fn may_be_notified_on(on: NaiveDate, decided_on: NaiveDate, today: NaiveDate) -> bool {
    (decided_on..=today).contains(&on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_applicant_is_told_from_the_decision_date_through_today() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 6, day).unwrap();
        let (decided, today) = (d(10), d(15));
        assert!(
            !may_be_notified_on(d(9), decided, today),
            "the day before the decision"
        );
        assert!(
            may_be_notified_on(d(10), decided, today),
            "the decision's day"
        );
        assert!(
            may_be_notified_on(d(11), decided, today),
            "the day after the decision"
        );
        assert!(may_be_notified_on(d(15), decided, today), "today");
        assert!(!may_be_notified_on(d(16), decided, today), "tomorrow");
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("open"), None);
        assert_eq!(Step::parse(""), None);
    }

    #[test]
    fn terms_follow_the_spec_table() {
        let permit = |category| Details::PermanentResidencePermit {
            category,
            refugee_or_asylum: false,
            ethnic_kazakh_from_prc: false,
            former_compatriot: false,
            treaty_simplified_citizenship: false,
            without_identity_document: false,
            family: vec![],
        };
        assert_eq!(
            legal_term(&Details::IinAssignment {
                by_representative: false
            }),
            Some(Term::WorkingDays(3))
        );
        assert_eq!(
            legal_term(&Details::KandasStatusExtension),
            Some(Term::WorkingDays(35))
        );
        assert_eq!(
            legal_term(&permit(PermitCategory::KandasAndFamily)),
            Some(Term::CalendarDays(60))
        );
        assert_eq!(
            legal_term(&permit(PermitCategory::OtherForeigner)),
            Some(Term::CalendarDays(45))
        );
        assert_eq!(
            legal_term(&Details::ResidencePermitCard { renewal: false }),
            Some(Term::WorkingDays(17))
        );
        assert_eq!(QUOTA_DECIDE_TERM, Term::WorkingDays(10));
        assert_eq!(QUOTA_NOTIFY_TERM, Term::CalendarDays(5));
    }

    #[test]
    fn quota_inclusion_moves_forward_decide_notify_done() {
        let quota = Procedure::RegionalQuotaInclusion;
        assert_eq!(first_step(quota), Step::Forward);
        assert_eq!(
            may_decide(State::Submitted, Step::Forward),
            Err(Refusal::NotForwarded)
        );
        assert_eq!(may_forward(State::Submitted, Step::Forward), Ok(()));
        assert_eq!(may_decide(State::Submitted, Step::Decide), Ok(()));
        assert_eq!(step_after_decision(quota), Step::Notify);
        assert_eq!(may_record_notified(Step::Notify), Ok(()));
        assert_eq!(
            may_record_notified(Step::Done),
            Err(Refusal::WrongStep(Step::Done))
        );
    }

    #[test]
    fn a_final_application_moves_no_more() {
        for state in [State::Approved, State::Refused, State::Withdrawn] {
            assert_eq!(may_decide(state, Step::Decide), Err(Refusal::Final(state)));
            assert_eq!(may_withdraw(state), Err(Refusal::Final(state)));
        }
        assert_eq!(first_step(Procedure::IinAssignment), Step::Decide);
        assert_eq!(step_after_decision(Procedure::IinAssignment), Step::Done);
    }
}
