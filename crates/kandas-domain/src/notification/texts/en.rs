//! English.

use super::{Annulled, Ended, Quota, Text, Tongue, channels, date, issued_kinds};
use crate::issuance::IssuedKind;
use crate::notification::IssuedNote;
use crate::procedure::Procedure;
use crate::record_life::{AnnullableKind, EndReason};
use crate::records::RegistrationKind;
use crate::role::Role;
use crate::support::{RELOCATION_MCI_PER_PERSON, RENT_MONTHS};
use chrono::{Datelike, NaiveDate};

pub(super) struct English;

impl Tongue for English {
    fn procedure(procedure: Procedure) -> &'static str {
        match procedure {
            Procedure::IinAssignment => "IIN assignment",
            Procedure::KandasStatusAssignment => "Kandas status assignment",
            Procedure::KandasStatusExtension => "Kandas status extension",
            Procedure::PermanentResidencePermit => "Permanent residence permit",
            Procedure::ResidencePermitCard => "Residence permit card",
            Procedure::StatelessPersonCertificate => "Stateless person certificate",
            Procedure::ResidenceRegistration => "Registration at the place of residence",
            Procedure::RegionalQuotaInclusion => "Inclusion in the regional quota",
            Procedure::SimplifiedCitizenship => "Admission to citizenship in a simplified manner",
        }
    }

    fn accepted(
        p: Procedure,
        on: NaiveDate,
        deadline: Option<NaiveDate>,
        provisional: bool,
    ) -> Text {
        let mut text = vec![format!(
            "Your application for “{}”, submitted on {}, was accepted.",
            Self::procedure(p),
            date(on)
        )];
        match deadline {
            Some(deadline) => {
                text.push(format!(
                    "By law, the decision is due by {}.",
                    date(deadline)
                ));
                if provisional {
                    text.push(format!(
                        "This date may still move: the official transfers of days off for {} \
                         are not yet published.",
                        deadline.year()
                    ));
                }
            }
            None => text.push("This service is decided on the spot, with no waiting term.".into()),
        }
        text.push("You will be notified of the decision.".into());
        Text::new("Application accepted", text)
    }

    fn approved(p: Procedure, on: NaiveDate, iin: Option<&str>, issued: &[IssuedNote]) -> Text {
        let mut text = vec![format!(
            "On {} your application for “{}” was approved.",
            date(on),
            Self::procedure(p)
        )];
        if let Some(iin) = iin {
            text.push(format!(
                "Your IIN (individual identification number) is {iin}."
            ));
        }
        if !issued.is_empty() {
            let notes: Vec<String> = issued.iter().map(issued_note).collect();
            text.push(format!("Issued: {}.", notes.join("; ")));
        }
        text.extend(
            issued_kinds(issued)
                .into_iter()
                .filter_map(next_step)
                .map(String::from),
        );
        Text::new("Application approved", text)
    }

    fn refused(p: Procedure, on: NaiveDate, code: &str, reason: &str, until: NaiveDate) -> Text {
        let because = match reason.trim() {
            "" => format!("Reason code: {code}."),
            reason => format!("Reason: {reason} (code {code})."),
        };
        let text = vec![
            format!(
                "On {} your application for “{}” was refused.",
                date(on),
                Self::procedure(p)
            ),
            because,
            appeal(p, until),
        ];
        Text::new("Application refused", text)
    }

    fn certificate_ready(number: &str, valid_until: NaiveDate) -> Text {
        let text = vec![
            format!(
                "Your kandas certificate{}, valid through {}, is ready.",
                numbered(number),
                date(valid_until)
            ),
            "A Public Service Center prints it on your request.".into(),
        ];
        Text::new("Kandas certificate ready", text)
    }

    fn quota_included(quota: Quota, places: i32, rent_mci: i32) -> Text {
        let places = match places {
            1 => "1 place".to_owned(),
            n => format!("{n} places"),
        };
        let mut text = vec![format!(
            "On {} the commission included you in the regional quota of {} for {}: {places}, \
             for you and the family members in your application.",
            date(quota.decided_on),
            quota.region.name(),
            quota.year
        )];
        if rent_mci > 0 {
            text.push(format!(
                "Monthly subsidy for housing rent and utilities: {rent_mci} MCI for \
                 {RENT_MONTHS} months."
            ));
        }
        text.push(format!(
            "The employment center will contact you about the state support payments, \
             including a one-time relocation subsidy of {RELOCATION_MCI_PER_PERSON} MCI per \
             person included."
        ));
        Text::new("Included in the regional quota", text)
    }

    fn quota_refused(quota: Quota, code: &str, appeal_until: Option<NaiveDate>) -> Text {
        let mut text = vec![format!(
            "On {} the commission refused to include you in the regional quota of {} for {} \
             (reason code {code}).",
            date(quota.decided_on),
            quota.region.name(),
            quota.year
        )];
        text.extend(appeal_until.map(|until| appeal(Procedure::RegionalQuotaInclusion, until)));
        Text::new("Not included in the regional quota", text)
    }

    fn appeal_filed(filed_on: NaiveDate, decide_by: NaiveDate) -> Text {
        let text = vec![
            format!(
                "Your appeal against the refusal was filed on {}.",
                date(filed_on)
            ),
            format!(
                "It is to be decided by {}, by an organisation other than the one that refused.",
                date(decide_by)
            ),
            "You will be notified of the decision.".into(),
        ];
        Text::new("Appeal filed", text)
    }

    fn appeal_decided(on: NaiveDate, upheld: bool, new_deadline: Option<NaiveDate>) -> Text {
        if upheld {
            let text = vec![format!(
                "On {} your appeal was dismissed: the refusal stands, and this decision is final.",
                date(on)
            )];
            return Text::new("Appeal dismissed", text);
        }
        let mut text = vec![format!(
            "On {} your appeal was granted: the refusal is set aside and your application is \
             under consideration again.",
            date(on)
        )];
        if let Some(deadline) = new_deadline {
            text.push(format!(
                "By law, the new decision is due by {}.",
                date(deadline)
            ));
        }
        text.push("You will be notified of the decision.".into());
        Text::new("Appeal granted", text)
    }

    fn record_annulled(a: Annulled<'_>) -> Text {
        let number = numbered(a.number);
        let (title, what) = match a.record {
            Some(AnnullableKind::KandasStatus) if !number.is_empty() => (
                "Kandas status annulled",
                format!("Your kandas status (certificate{number})"),
            ),
            Some(AnnullableKind::KandasStatus) => {
                ("Kandas status annulled", "Your kandas status".to_owned())
            }
            Some(AnnullableKind::Permit) => (
                "Permanent residence permit annulled",
                format!("Your permanent residence permit{number}"),
            ),
            None => ("Document annulled", format!("Your document{number}")),
        };
        let mut text = vec![format!(
            "{what} is annulled: it is not valid from {}.",
            date(a.from)
        )];
        let basis = a.legal_basis;
        match (a.ground, basis.is_empty()) {
            (Some(g), false) => text.push(format!("Ground: {} ({basis}).", g.words())),
            (Some(g), true) => text.push(format!("Ground: {}.", g.words())),
            (None, false) => text.push(format!("Legal basis: {basis}.")),
            (None, true) => {}
        }
        if !a.cards.is_empty() {
            text.push(format!(
                "The residence permit cards issued on it are not valid from the same date \
                 either: No. {}.",
                a.cards.join(", No. ")
            ));
        }
        text.push("You may contest this decision by an appeal or in court.".into());
        Text::new(title, text)
    }

    fn registration_ended(e: Ended) -> Text {
        let kind = match e.kind {
            Some(RegistrationKind::Permanent) => "permanent registration",
            Some(RegistrationKind::Temporary) => "temporary registration",
            Some(RegistrationKind::Refugee) => "registration as a refugee",
            None => "registration",
        };
        let mut text = vec![format!(
            "Your {kind} in {} has ended; the last day registered was {}.",
            e.region.name(),
            date(e.last_day)
        )];
        let reason = e.reason.map(|r| match r {
            EndReason::MovedOut => "you moved out of the address",
            EndReason::LeftKazakhstan => "you left Kazakhstan",
            EndReason::OwnerConsentWithdrawn => "the owner of the dwelling withdrew consent",
            EndReason::CourtDecision => "a court decision",
        });
        text.extend(reason.map(|r| format!("Reason: {r}.")));
        if let Some(by) = e.register_again_by {
            text.push(format!(
                "Register at a new address by {} inclusive: a holder of a permanent residence \
                 permit may not stay without a permanent registration for more than 10 calendar \
                 days.",
                date(by)
            ));
        }
        Text::new("Registration ended", text)
    }

    fn deadline_missed(p: Procedure, deadline: NaiveDate) -> Text {
        let text = vec![
            format!(
                "The state body has not decided your application for “{}” within the legal \
                 term, which ended on {}.",
                Self::procedure(p),
                date(deadline)
            ),
            "Your application remains under consideration.".into(),
            "You may complain to the service provider or to the authorised body.".into(),
        ];
        Text::new("Decision deadline missed", text)
    }
}

fn channel(role: Role) -> Option<&'static str> {
    match role {
        Role::Psc => Some("a Public Service Center"),
        Role::Portal => Some("the online portal (eGov or Enbek Migration)"),
        Role::Intermediary => Some("an intermediary organisation such as the AIFC Expat Centre"),
        Role::Mission => Some("a foreign institution of Kazakhstan (embassy or consulate)"),
        Role::Police => Some("the migration service of the police"),
        Role::EmploymentCenter => Some("an employment center"),
        Role::Commission | Role::Admin | Role::Registry => None,
    }
}

/// The right to appeal a refusal of `p`, to its last day.
fn appeal(p: Procedure, until: NaiveDate) -> String {
    format!(
        "You may appeal within 3 months of the decision, until {} inclusive, through any \
         channel that accepts applications for this service: {}.",
        date(until),
        channels(p, channel, "or")
    )
}

fn numbered(number: &str) -> String {
    if number.is_empty() {
        String::new()
    } else {
        format!(" No. {number}")
    }
}

fn issued_note(note: &IssuedNote) -> String {
    let mut words = issued_name(note.kind).to_owned() + &numbered(&note.number);
    if let Some(until) = note.valid_until {
        words += &format!(" (valid through {})", date(until));
    }
    words
}

fn issued_name(kind: IssuedKind) -> &'static str {
    match kind {
        IssuedKind::KandasCertificate => "kandas certificate",
        IssuedKind::KandasExtension => "extension of the kandas status",
        IssuedKind::PermanentResidencePermit => "permanent residence permit",
        IssuedKind::ResidencePermitCard => "residence permit card",
        IssuedKind::StatelessPersonCertificate => "stateless person certificate",
        IssuedKind::Registration => "registration at the place of residence",
        IssuedKind::Citizenship => "citizenship of the Republic of Kazakhstan",
        IssuedKind::QuotaInclusion => "inclusion in the regional quota",
    }
}

fn next_step(kind: IssuedKind) -> Option<&'static str> {
    match kind {
        IssuedKind::KandasCertificate => Some(
            "A Public Service Center prints the kandas certificate on your request. While your \
             kandas status is valid, you may apply for a permanent residence permit.",
        ),
        IssuedKind::PermanentResidencePermit => {
            Some("You may now apply for a residence permit card at a Public Service Center.")
        }
        IssuedKind::ResidencePermitCard => Some("Collect your card at a Public Service Center."),
        IssuedKind::QuotaInclusion => {
            Some("The employment center will contact you about the state support payments.")
        }
        IssuedKind::KandasExtension
        | IssuedKind::StatelessPersonCertificate
        | IssuedKind::Registration
        | IssuedKind::Citizenship => None,
    }
}
