//! The stable codes of the prerequisites: callers and clients match on their strings, so
//! [`PrerequisiteCode::as_str`] never changes for an existing code.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrerequisiteCode {
    IinAssigned,
    IinNotYetAssigned,
    NotACitizen,
    NoValidKandasStatus,
    KandasStatusValid,
    PassportValid180Days,
    PassportValid,
    NoOffence12Months,
    NoRefusal12Months,
    NoPermitYet,
    PermitGranted,
    CardRenewalWindow,
    Stateless,
    PermanentRegistrationActive,
    CardHeld,
    NoOpenApplication,
    RegistrationLapse,
    // Quota eligibility beyond what the records can tell (SPEC 6): judged where the year's
    // quotas are held, reported with the same codes as every other prerequisite.
    QuotaRegionOfYear,
    RegisteredInQuotaRegion,
    NotIncludedBefore,
}

impl PrerequisiteCode {
    pub const ALL: [PrerequisiteCode; 20] = [
        PrerequisiteCode::IinAssigned,
        PrerequisiteCode::IinNotYetAssigned,
        PrerequisiteCode::NotACitizen,
        PrerequisiteCode::NoValidKandasStatus,
        PrerequisiteCode::KandasStatusValid,
        PrerequisiteCode::PassportValid180Days,
        PrerequisiteCode::PassportValid,
        PrerequisiteCode::NoOffence12Months,
        PrerequisiteCode::NoRefusal12Months,
        PrerequisiteCode::NoPermitYet,
        PrerequisiteCode::PermitGranted,
        PrerequisiteCode::CardRenewalWindow,
        PrerequisiteCode::Stateless,
        PrerequisiteCode::PermanentRegistrationActive,
        PrerequisiteCode::CardHeld,
        PrerequisiteCode::NoOpenApplication,
        PrerequisiteCode::RegistrationLapse,
        PrerequisiteCode::QuotaRegionOfYear,
        PrerequisiteCode::RegisteredInQuotaRegion,
        PrerequisiteCode::NotIncludedBefore,
    ];

    /// The UPPER_SNAKE_CASE string clients see, e.g. `PASSPORT_VALID_180_DAYS`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrerequisiteCode::IinAssigned => "IIN_ASSIGNED",
            PrerequisiteCode::IinNotYetAssigned => "IIN_NOT_YET_ASSIGNED",
            PrerequisiteCode::NotACitizen => "NOT_A_CITIZEN",
            PrerequisiteCode::NoValidKandasStatus => "NO_VALID_KANDAS_STATUS",
            PrerequisiteCode::KandasStatusValid => "KANDAS_STATUS_VALID",
            PrerequisiteCode::PassportValid180Days => "PASSPORT_VALID_180_DAYS",
            PrerequisiteCode::PassportValid => "PASSPORT_VALID",
            PrerequisiteCode::NoOffence12Months => "NO_OFFENCE_12_MONTHS",
            PrerequisiteCode::NoRefusal12Months => "NO_REFUSAL_12_MONTHS",
            PrerequisiteCode::NoPermitYet => "NO_PERMIT_YET",
            PrerequisiteCode::PermitGranted => "PERMIT_GRANTED",
            PrerequisiteCode::CardRenewalWindow => "CARD_RENEWAL_WINDOW",
            PrerequisiteCode::Stateless => "STATELESS",
            PrerequisiteCode::PermanentRegistrationActive => "PERMANENT_REGISTRATION_ACTIVE",
            PrerequisiteCode::CardHeld => "CARD_HELD",
            PrerequisiteCode::NoOpenApplication => "NO_OPEN_APPLICATION",
            PrerequisiteCode::RegistrationLapse => "REGISTRATION_LAPSE",
            PrerequisiteCode::QuotaRegionOfYear => "QUOTA_REGION_OF_YEAR",
            PrerequisiteCode::RegisteredInQuotaRegion => "REGISTERED_IN_QUOTA_REGION",
            PrerequisiteCode::NotIncludedBefore => "NOT_INCLUDED_BEFORE",
        }
    }
}

impl PrerequisiteCode {
    /// The rule in words, with no date, number or record of anyone's: what a caller that may
    /// not read a person's files is told of a check on them (SPEC 1.1).
    pub fn rule(self) -> &'static str {
        match self {
            PrerequisiteCode::IinAssigned => "an IIN is assigned",
            PrerequisiteCode::IinNotYetAssigned => "no IIN is assigned yet",
            PrerequisiteCode::NotACitizen => "not a citizen of Kazakhstan",
            PrerequisiteCode::NoValidKandasStatus => {
                "no kandas status valid on the submission date"
            }
            PrerequisiteCode::KandasStatusValid => "a kandas status valid on the submission date",
            PrerequisiteCode::PassportValid180Days => {
                "a passport valid more than 180 calendar days after the submission date"
            }
            PrerequisiteCode::PassportValid => "a passport valid on the submission date",
            PrerequisiteCode::NoOffence12Months => {
                "no administrative offence in migration, tax or labour law within the 12 months \
                 before submission"
            }
            PrerequisiteCode::NoRefusal12Months => {
                "no permanent residence application refused within the 12 months before \
                 submission"
            }
            PrerequisiteCode::NoPermitYet => "no permanent residence permit held",
            PrerequisiteCode::PermitGranted => "a permanent residence permit granted",
            PrerequisiteCode::CardRenewalWindow => {
                "a card is renewed from 45 days before it expires"
            }
            PrerequisiteCode::Stateless => "stateless",
            PrerequisiteCode::PermanentRegistrationActive => "an active permanent registration",
            PrerequisiteCode::CardHeld => "a residence permit card held",
            PrerequisiteCode::NoOpenApplication => "no undecided application of the same procedure",
            PrerequisiteCode::RegistrationLapse => {
                "a permit holder is permanently registered within 10 calendar days"
            }
            PrerequisiteCode::QuotaRegionOfYear => "the region has a quota in the year asked",
            PrerequisiteCode::RegisteredInQuotaRegion => {
                "permanently registered in the quota region"
            }
            PrerequisiteCode::NotIncludedBefore => "not included in a regional quota before",
        }
    }
}

impl fmt::Display for PrerequisiteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<PrerequisiteCode> for String {
    fn from(code: PrerequisiteCode) -> String {
        code.as_str().to_string()
    }
}
