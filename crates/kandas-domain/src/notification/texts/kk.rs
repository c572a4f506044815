//! Kazakh, the state language (Cyrillic script).

use super::{Annulled, Ended, Quota, Text, Tongue, channels, date, issued_kinds};
use crate::issuance::IssuedKind;
use crate::notification::IssuedNote;
use crate::procedure::Procedure;
use crate::record_life::{AnnullableKind, AnnulmentGround, EndReason};
use crate::records::RegistrationKind;
use crate::regions::Region;
use crate::role::Role;
use crate::support::{RELOCATION_MCI_PER_PERSON, RENT_MONTHS};
use chrono::{Datelike, NaiveDate};

pub(super) struct Kazakh;

impl Tongue for Kazakh {
    fn procedure(procedure: Procedure) -> &'static str {
        match procedure {
            Procedure::IinAssignment => "ЖСН беру",
            Procedure::KandasStatusAssignment => "Қандас мәртебесін беру",
            Procedure::KandasStatusExtension => "Қандас мәртебесін ұзарту",
            Procedure::PermanentResidencePermit => "Тұрақты тұруға рұқсат беру",
            Procedure::ResidencePermitCard => "Ықтиярхат беру",
            Procedure::StatelessPersonCertificate => "Азаматтығы жоқ адамның куәлігін беру",
            Procedure::ResidenceRegistration => "Тұрғылықты жері бойынша тіркеу",
            Procedure::RegionalQuotaInclusion => "Өңірлік квотаға енгізу",
            Procedure::SimplifiedCitizenship => "Азаматтыққа оңайлатылған тәртіппен қабылдау",
        }
    }

    fn accepted(
        p: Procedure,
        on: NaiveDate,
        deadline: Option<NaiveDate>,
        provisional: bool,
    ) -> Text {
        let mut text = vec![format!(
            "«{}» қызметі бойынша {} берген өтінішіңіз қабылданды.",
            Self::procedure(p),
            date(on)
        )];
        match deadline {
            Some(deadline) => {
                text.push(format!(
                    "Заң бойынша шешім {} кешіктірілмей қабылдануға тиіс.",
                    date(deadline)
                ));
                if provisional {
                    text.push(format!(
                        "Бұл күн әлі өзгеруі мүмкін: {} жылғы демалыс күндерін ауыстыру ресми \
                         түрде әлі жарияланған жоқ.",
                        deadline.year()
                    ));
                }
            }
            None => text
                .push("Бұл қызмет бойынша шешім өтініш берілген күні орнында қабылданады.".into()),
        }
        text.push("Шешім туралы сізге хабарлама жіберіледі.".into());
        Text::new("Өтініш қабылданды", text)
    }

    fn approved(p: Procedure, on: NaiveDate, iin: Option<&str>, issued: &[IssuedNote]) -> Text {
        let mut text = vec![format!(
            "«{}» қызметі бойынша өтінішіңіз {} мақұлданды.",
            Self::procedure(p),
            date(on)
        )];
        if let Some(iin) = iin {
            text.push(format!(
                "Сізге берілген ЖСН (жеке сәйкестендіру нөмірі): {iin}."
            ));
        }
        if !issued.is_empty() {
            let notes: Vec<String> = issued.iter().map(issued_note).collect();
            text.push(format!("Берілді: {}.", notes.join("; ")));
        }
        text.extend(
            issued_kinds(issued)
                .into_iter()
                .filter_map(next_step)
                .map(String::from),
        );
        Text::new("Өтініш мақұлданды", text)
    }

    fn refused(p: Procedure, on: NaiveDate, code: &str, reason: &str, until: NaiveDate) -> Text {
        let because = match reason.trim() {
            "" => format!("Себеп коды: {code}."),
            reason => format!("Себебі: {reason} (коды {code})."),
        };
        let text = vec![
            format!(
                "«{}» қызметі бойынша өтінішіңізді қанағаттандырудан {} бас тартылды.",
                Self::procedure(p),
                date(on)
            ),
            because,
            appeal(p, until),
        ];
        Text::new("Өтініш бойынша бас тартылды", text)
    }

    fn certificate_ready(number: &str, valid_until: NaiveDate) -> Text {
        let text = vec![
            format!(
                "{}қандас куәлігіңіз дайын, ол {} қоса алғанда жарамды.",
                numbered(number),
                date(valid_until)
            ),
            "Оны сіздің сұрауыңыз бойынша Халыққа қызмет көрсету орталығы басып шығарады.".into(),
        ];
        Text::new("Қандас куәлігі дайын", text)
    }

    fn quota_included(quota: Quota, places: i32, rent_mci: i32) -> Text {
        let mut text = vec![format!(
            "{} комиссия сізді {} {} жылға арналған өңірлік квотасына енгізді: {places} орын — \
             өзіңізге және өтініштегі отбасы мүшелеріңізге.",
            date(quota.decided_on),
            genitive(quota.region),
            quota.year
        )];
        if rent_mci > 0 {
            text.push(format!(
                "Тұрғын үйді жалдау және коммуналдық қызметтерге ақы төлеу үшін ай сайынғы \
                 субсидия: {rent_mci} АЕК, {RENT_MONTHS} ай бойы."
            ));
        }
        text.push(format!(
            "Мемлекеттік қолдау төлемдері бойынша, оның ішінде енгізілген әр адамға \
             {RELOCATION_MCI_PER_PERSON} АЕК мөлшеріндегі көшуге арналған біржолғы субсидия \
             бойынша сізбен жұмыспен қамту орталығы хабарласады."
        ));
        Text::new("Өңірлік квотаға енгізілдіңіз", text)
    }

    fn quota_refused(quota: Quota, code: &str, appeal_until: Option<NaiveDate>) -> Text {
        let mut text = vec![format!(
            "{} комиссия сізді {} {} жылға арналған өңірлік квотасына енгізуден бас тартты \
             (себеп коды: {code}).",
            date(quota.decided_on),
            genitive(quota.region),
            quota.year
        )];
        text.extend(appeal_until.map(|until| appeal(Procedure::RegionalQuotaInclusion, until)));
        Text::new("Өңірлік квотаға енгізуден бас тартылды", text)
    }

    fn appeal_filed(filed_on: NaiveDate, decide_by: NaiveDate) -> Text {
        let text = vec![
            format!(
                "Бас тарту туралы шешімге шағымыңыз {} берілді.",
                date(filed_on)
            ),
            format!(
                "Ол {} кешіктірілмей қаралуға тиіс; оны бас тартқан ұйым емес, басқа ұйым қарайды.",
                date(decide_by)
            ),
            "Шешім туралы сізге хабарлама жіберіледі.".into(),
        ];
        Text::new("Шағым берілді", text)
    }

    fn appeal_decided(on: NaiveDate, upheld: bool, new_deadline: Option<NaiveDate>) -> Text {
        if upheld {
            let text = vec![format!(
                "{} шағымыңыз қанағаттандырылмады: бас тарту туралы шешім күшінде қалды, бұл \
                 шешім түпкілікті.",
                date(on)
            )];
            return Text::new("Шағым қанағаттандырылмады", text);
        }
        let mut text = vec![format!(
            "{} шағымыңыз қанағаттандырылды: бас тарту туралы шешімнің күші жойылды, өтінішіңіз \
             қайтадан қаралуда.",
            date(on)
        )];
        if let Some(deadline) = new_deadline {
            text.push(format!(
                "Заң бойынша жаңа шешім {} кешіктірілмей қабылдануға тиіс.",
                date(deadline)
            ));
        }
        text.push("Шешім туралы сізге хабарлама жіберіледі.".into());
        Text::new("Шағым қанағаттандырылды", text)
    }

    fn record_annulled(a: Annulled<'_>) -> Text {
        let number = numbered(a.number);
        let from = date(a.from);
        let (title, what) = match a.record {
            Some(AnnullableKind::KandasStatus) => (
                "Қандас мәртебесінің күші жойылды",
                format!(
                    "Сіздің қандас мәртебеңіздің{} күші жойылды: ол {from} бастап жарамсыз.",
                    certificate(a.number)
                ),
            ),
            Some(AnnullableKind::Permit) => (
                "Тұрақты тұруға рұқсаттың күші жойылды",
                format!(
                    "Сіздің {number}тұрақты тұруға рұқсатыңыздың күші жойылды: ол {from} бастап \
                     жарамсыз."
                ),
            ),
            None => (
                "Құжаттың күші жойылды",
                format!("Сіздің {number}құжатыңыздың күші жойылды: ол {from} бастап жарамсыз."),
            ),
        };
        let mut text = vec![what];
        let basis = a.legal_basis;
        match (a.ground.map(ground), basis.is_empty()) {
            (Some(g), false) => text.push(format!("Негізі: {g} ({basis}).")),
            (Some(g), true) => text.push(format!("Негізі: {g}.")),
            (None, false) => text.push(format!("Құқықтық негізі: {basis}.")),
            (None, true) => {}
        }
        if !a.cards.is_empty() {
            text.push(format!(
                "Осы рұқсат негізінде берілген ықтиярхаттар да {from} бастап жарамсыз: № {}.",
                a.cards.join(", № ")
            ));
        }
        text.push("Бұл шешімге шағымдана немесе оны сотта дауласа аласыз.".into());
        Text::new(title, text)
    }

    fn registration_ended(e: Ended) -> Text {
        let kind = match e.kind {
            Some(RegistrationKind::Permanent) => "тұрақты тіркеуіңіз",
            Some(RegistrationKind::Temporary) => "уақытша тіркеуіңіз",
            Some(RegistrationKind::Refugee) => "босқын ретінде тіркеуіңіз",
            None => "тіркеуіңіз",
        };
        let mut text = vec![format!(
            "{} тұрғылықты жері бойынша {kind} тоқтатылды; тіркеуде болған соңғы күніңіз — {}.",
            locative(e.region),
            date(e.last_day)
        )];
        let reason = e.reason.map(|r| match r {
            EndReason::MovedOut => "мекенжайдан көшіп кету",
            EndReason::LeftKazakhstan => "Қазақстаннан кету",
            EndReason::OwnerConsentWithdrawn => "тұрғын үй иесінің келісімін кері қайтарып алуы",
            EndReason::CourtDecision => "сот шешімі",
        });
        text.extend(reason.map(|r| format!("Себебі: {r}.")));
        if let Some(by) = e.register_again_by {
            text.push(format!(
                "Жаңа мекенжай бойынша {} қоса алғанда тіркеліңіз: тұрақты тұруға рұқсаты бар \
                 адам тұрақты тіркеусіз күнтізбелік 10 күннен артық тұра алмайды.",
                date(by)
            ));
        }
        Text::new("Тіркеу тоқтатылды", text)
    }

    fn deadline_missed(p: Procedure, deadline: NaiveDate) -> Text {
        let text = vec![
            format!(
                "Мемлекеттік орган «{}» қызметі бойынша өтінішіңізге заңда белгіленген мерзімде \
                 (соңғы күні — {}) шешім қабылдамады.",
                Self::procedure(p),
                date(deadline)
            ),
            "Өтінішіңіз қаралуда қала береді.".into(),
            "Сіз көрсетілетін қызметті берушіге немесе уәкілетті органға шағым бере аласыз.".into(),
        ];
        Text::new("Шешім мерзімі өтіп кетті", text)
    }
}

/// "Павлодар облысының": every Kazakh region name ends in the possessive "-ы" of "облысы" or
/// "қаласы" (tested in `regions`), which takes "-ның".
fn genitive(region: Region) -> String {
    format!("{}ның", region.name_kk())
}

/// "Павлодар облысындағы", after the same possessive "-ы".
fn locative(region: Region) -> String {
    format!("{}ндағы", region.name_kk())
}

fn channel(role: Role) -> Option<&'static str> {
    match role {
        Role::Psc => Some("Халыққа қызмет көрсету орталығы"),
        Role::Portal => Some("онлайн-портал (eGov немесе Enbek Migration)"),
        Role::Intermediary => Some("делдал ұйым (мысалы, AIFC Expat Centre)"),
        Role::Mission => Some("Қазақстанның шетелдегі мекемесі (елшілік немесе консулдық)"),
        Role::Police => Some("полицияның көші-қон қызметі"),
        Role::EmploymentCenter => Some("халықты жұмыспен қамту орталығы"),
        Role::Commission | Role::Admin | Role::Registry => None,
    }
}

/// The right to appeal a refusal of `p`, to its last day.
fn appeal(p: Procedure, until: NaiveDate) -> String {
    format!(
        "Бұл шешімге ол қабылданған күннен бастап 3 ай ішінде, {} қоса алғанда, осы қызмет \
         бойынша өтініш қабылдайтын кез келген арна арқылы шағым бере аласыз: {}.",
        date(until),
        channels(p, channel, "немесе")
    )
}

fn ground(ground: AnnulmentGround) -> &'static str {
    match ground {
        AnnulmentGround::FalseDocuments => "жалған құжаттар",
        AnnulmentGround::AdministrativeViolation => "әкімшілік құқық бұзушылық",
        AnnulmentGround::DepartureAbroad => "шетелге тұрақты тұруға кету",
        AnnulmentGround::CourtDecision => "сот шешімі",
    }
}

/// " (№ 123 куәлік)", naming a kandas status by its certificate.
fn certificate(number: &str) -> String {
    if number.is_empty() {
        String::new()
    } else {
        format!(" (№ {number} куәлік)")
    }
}

/// "№ 123 " before the noun, as Kazakh puts it; nothing when there is no number.
fn numbered(number: &str) -> String {
    if number.is_empty() {
        String::new()
    } else {
        format!("№ {number} ")
    }
}

fn issued_note(note: &IssuedNote) -> String {
    let mut words = numbered(&note.number) + issued_name(note.kind);
    if let Some(until) = note.valid_until {
        words += &format!(" ({} қоса алғанда жарамды)", date(until));
    }
    words
}

fn issued_name(kind: IssuedKind) -> &'static str {
    match kind {
        IssuedKind::KandasCertificate => "қандас куәлігі",
        IssuedKind::KandasExtension => "қандас мәртебесін ұзарту туралы шешім",
        IssuedKind::PermanentResidencePermit => "тұрақты тұруға рұқсат",
        IssuedKind::ResidencePermitCard => "ықтиярхат",
        IssuedKind::StatelessPersonCertificate => "азаматтығы жоқ адамның куәлігі",
        IssuedKind::Registration => "тұрғылықты жері бойынша тіркеу",
        IssuedKind::Citizenship => "Қазақстан Республикасының азаматтығы",
        IssuedKind::QuotaInclusion => "өңірлік квотаға енгізу туралы шешім",
    }
}

fn next_step(kind: IssuedKind) -> Option<&'static str> {
    match kind {
        IssuedKind::KandasCertificate => Some(
            "Қандас куәлігін сіздің сұрауыңыз бойынша Халыққа қызмет көрсету орталығы басып \
             шығарады. Қандас мәртебеңіз жарамды кезде тұрақты тұруға рұқсат алуға өтініш бере \
             аласыз.",
        ),
        IssuedKind::PermanentResidencePermit => {
            Some("Енді Халыққа қызмет көрсету орталығына ықтиярхат алуға өтініш бере аласыз.")
        }
        IssuedKind::ResidencePermitCard => {
            Some("Ықтиярхатыңызды Халыққа қызмет көрсету орталығынан алыңыз.")
        }
        IssuedKind::QuotaInclusion => {
            Some("Мемлекеттік қолдау төлемдері бойынша сізбен жұмыспен қамту орталығы хабарласады.")
        }
        IssuedKind::KandasExtension
        | IssuedKind::StatelessPersonCertificate
        | IssuedKind::Registration
        | IssuedKind::Citizenship => None,
    }
}
