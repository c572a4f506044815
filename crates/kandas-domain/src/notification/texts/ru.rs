//! Russian.

use super::{Annulled, Ended, Quota, Text, Tongue, channels, date, issued_kinds};
use crate::issuance::IssuedKind;
use crate::notification::IssuedNote;
use crate::procedure::Procedure;
use crate::record_life::{AnnullableKind, AnnulmentGround, EndReason};
use crate::records::RegistrationKind;
use crate::role::Role;
use crate::support::{RELOCATION_MCI_PER_PERSON, RENT_MONTHS};
use chrono::{Datelike, NaiveDate};

pub(super) struct Russian;

impl Tongue for Russian {
    fn procedure(procedure: Procedure) -> &'static str {
        match procedure {
            Procedure::IinAssignment => "Присвоение ИИН",
            Procedure::KandasStatusAssignment => "Присвоение статуса кандаса",
            Procedure::KandasStatusExtension => "Продление статуса кандаса",
            Procedure::PermanentResidencePermit => "Выдача разрешения на постоянное проживание",
            Procedure::ResidencePermitCard => "Выдача вида на жительство",
            Procedure::StatelessPersonCertificate => "Выдача удостоверения лица без гражданства",
            Procedure::ResidenceRegistration => "Регистрация по месту жительства",
            Procedure::RegionalQuotaInclusion => "Включение в региональную квоту",
            Procedure::SimplifiedCitizenship => "Приём в гражданство в упрощённом порядке",
        }
    }

    fn accepted(
        p: Procedure,
        on: NaiveDate,
        deadline: Option<NaiveDate>,
        provisional: bool,
    ) -> Text {
        let mut text = vec![format!(
            "Ваше заявление на услугу «{}», поданное {}, принято.",
            Self::procedure(p),
            date(on)
        )];
        match deadline {
            Some(deadline) => {
                text.push(format!(
                    "По закону решение должно быть принято не позднее {}.",
                    date(deadline)
                ));
                if provisional {
                    text.push(format!(
                        "Эта дата ещё может сдвинуться: официальные переносы выходных дней на {} \
                         год пока не опубликованы.",
                        deadline.year()
                    ));
                }
            }
            None => {
                text.push("Решение по этой услуге принимается на месте, в день обращения.".into())
            }
        }
        text.push("О решении вы получите уведомление.".into());
        Text::new("Заявление принято", text)
    }

    fn approved(p: Procedure, on: NaiveDate, iin: Option<&str>, issued: &[IssuedNote]) -> Text {
        let mut text = vec![format!(
            "{} ваше заявление на услугу «{}» одобрено.",
            date(on),
            Self::procedure(p)
        )];
        if let Some(iin) = iin {
            text.push(format!(
                "Ваш ИИН (индивидуальный идентификационный номер): {iin}."
            ));
        }
        if !issued.is_empty() {
            let notes: Vec<String> = issued.iter().map(issued_note).collect();
            text.push(format!("Выдано: {}.", notes.join("; ")));
        }
        text.extend(
            issued_kinds(issued)
                .into_iter()
                .filter_map(next_step)
                .map(String::from),
        );
        Text::new("Заявление одобрено", text)
    }

    fn refused(p: Procedure, on: NaiveDate, code: &str, reason: &str, until: NaiveDate) -> Text {
        let because = match reason.trim() {
            "" => format!("Код причины: {code}."),
            reason => format!("Причина: {reason} (код {code})."),
        };
        let text = vec![
            format!(
                "{} по вашему заявлению на услугу «{}» принято решение об отказе.",
                date(on),
                Self::procedure(p)
            ),
            because,
            appeal(p, until),
        ];
        Text::new("Отказ по заявлению", text)
    }

    fn certificate_ready(number: &str, valid_until: NaiveDate) -> Text {
        let text = vec![
            format!(
                "Ваше удостоверение кандаса{} готово; срок действия — по {} включительно.",
                numbered(number),
                date(valid_until)
            ),
            "Центр обслуживания населения распечатает его по вашему запросу.".into(),
        ];
        Text::new("Удостоверение кандаса готово", text)
    }

    fn quota_included(quota: Quota, places: i32, rent_mci: i32) -> Text {
        let mut text = vec![format!(
            "{} комиссия включила вас в региональную квоту на {} год (регион: {}). Мест: \
             {places} — для вас и членов семьи, указанных в заявлении.",
            date(quota.decided_on),
            quota.year,
            quota.region.name_ru()
        )];
        if rent_mci > 0 {
            text.push(format!(
                "Ежемесячная субсидия на аренду жилья и оплату коммунальных услуг: {rent_mci} МРП \
                 в течение {RENT_MONTHS} месяцев."
            ));
        }
        text.push(format!(
            "Центр занятости свяжется с вами по выплатам государственной поддержки, в том числе \
             единовременной субсидии на переезд — {RELOCATION_MCI_PER_PERSON} МРП на каждого \
             включённого человека."
        ));
        Text::new("Включение в региональную квоту", text)
    }

    fn quota_refused(quota: Quota, code: &str, appeal_until: Option<NaiveDate>) -> Text {
        let mut text = vec![format!(
            "{} комиссия отказала во включении вас в региональную квоту на {} год (регион: {}; \
             код причины: {code}).",
            date(quota.decided_on),
            quota.year,
            quota.region.name_ru()
        )];
        text.extend(appeal_until.map(|until| appeal(Procedure::RegionalQuotaInclusion, until)));
        Text::new("Отказ во включении в региональную квоту", text)
    }

    fn appeal_filed(filed_on: NaiveDate, decide_by: NaiveDate) -> Text {
        let text = vec![
            format!("Ваша жалоба на отказ подана {}.", date(filed_on)),
            format!(
                "Решение по ней должно быть принято не позднее {}; её рассмотрит другая \
                 организация, а не та, которая отказала.",
                date(decide_by)
            ),
            "О решении вы получите уведомление.".into(),
        ];
        Text::new("Жалоба подана", text)
    }

    fn appeal_decided(on: NaiveDate, upheld: bool, new_deadline: Option<NaiveDate>) -> Text {
        if upheld {
            let text = vec![format!(
                "{} ваша жалоба отклонена: отказ остаётся в силе, это решение окончательное.",
                date(on)
            )];
            return Text::new("Жалоба отклонена", text);
        }
        let mut text = vec![format!(
            "{} ваша жалоба удовлетворена: отказ отменён, ваше заявление снова на рассмотрении.",
            date(on)
        )];
        if let Some(deadline) = new_deadline {
            text.push(format!(
                "По закону новое решение должно быть принято не позднее {}.",
                date(deadline)
            ));
        }
        text.push("О решении вы получите уведомление.".into());
        Text::new("Жалоба удовлетворена", text)
    }

    fn record_annulled(a: Annulled<'_>) -> Text {
        let number = numbered(a.number);
        let from = date(a.from);
        let (title, what) = match a.record {
            Some(AnnullableKind::KandasStatus) => (
                "Статус кандаса аннулирован",
                format!(
                    "Ваш статус кандаса{} аннулирован: он недействителен с {from}.",
                    certificate(a.number)
                ),
            ),
            Some(AnnullableKind::Permit) => (
                "Разрешение на постоянное проживание аннулировано",
                format!(
                    "Ваше разрешение на постоянное проживание{number} аннулировано: оно \
                     недействительно с {from}."
                ),
            ),
            None => (
                "Документ аннулирован",
                format!("Ваш документ{number} аннулирован: он недействителен с {from}."),
            ),
        };
        let mut text = vec![what];
        let basis = a.legal_basis;
        match (a.ground.map(ground), basis.is_empty()) {
            (Some(g), false) => text.push(format!("Основание: {g} ({basis}).")),
            (Some(g), true) => text.push(format!("Основание: {g}.")),
            (None, false) => text.push(format!("Правовое основание: {basis}.")),
            (None, true) => {}
        }
        if !a.cards.is_empty() {
            text.push(format!(
                "Виды на жительство, выданные на его основании, также недействительны с {from}: \
                 № {}.",
                a.cards.join(", № ")
            ));
        }
        text.push("Вы можете обжаловать это решение или оспорить его в суде.".into());
        Text::new(title, text)
    }

    fn registration_ended(e: Ended) -> Text {
        let kind = match e.kind {
            Some(RegistrationKind::Permanent) => "постоянная регистрация",
            Some(RegistrationKind::Temporary) => "временная регистрация",
            Some(RegistrationKind::Refugee) => "регистрация беженца",
            None => "регистрация",
        };
        let mut text = vec![format!(
            "Ваша {kind} по месту жительства (регион: {}) прекращена; последний день регистрации \
             — {}.",
            e.region.name_ru(),
            date(e.last_day)
        )];
        let reason = e.reason.map(|r| match r {
            EndReason::MovedOut => "выезд с адреса",
            EndReason::LeftKazakhstan => "выезд из Казахстана",
            EndReason::OwnerConsentWithdrawn => "собственник жилья отозвал согласие",
            EndReason::CourtDecision => "решение суда",
        });
        text.extend(reason.map(|r| format!("Причина: {r}.")));
        if let Some(by) = e.register_again_by {
            text.push(format!(
                "Зарегистрируйтесь по новому адресу не позднее {}: владелец разрешения на \
                 постоянное проживание не может находиться без постоянной регистрации более 10 \
                 календарных дней.",
                date(by)
            ));
        }
        Text::new("Регистрация прекращена", text)
    }

    fn deadline_missed(p: Procedure, deadline: NaiveDate) -> Text {
        let text = vec![
            format!(
                "Государственный орган не принял решение по вашему заявлению на услугу «{}» в \
                 установленный законом срок (последний день — {}).",
                Self::procedure(p),
                date(deadline)
            ),
            "Заявление остаётся на рассмотрении.".into(),
            "Вы можете подать жалобу услугодателю или в уполномоченный орган.".into(),
        ];
        Text::new("Срок рассмотрения нарушен", text)
    }
}

fn channel(role: Role) -> Option<&'static str> {
    match role {
        Role::Psc => Some("Центр обслуживания населения"),
        Role::Portal => Some("онлайн-портал (eGov или Enbek Migration)"),
        Role::Intermediary => Some("организация-посредник (например, AIFC Expat Centre)"),
        Role::Mission => Some("загранучреждение Казахстана (посольство или консульство)"),
        Role::Police => Some("миграционная служба полиции"),
        Role::EmploymentCenter => Some("центр занятости населения"),
        Role::Commission | Role::Admin | Role::Registry => None,
    }
}

/// The right to appeal a refusal of `p`, to its last day.
fn appeal(p: Procedure, until: NaiveDate) -> String {
    format!(
        "Вы можете обжаловать решение в течение 3 месяцев со дня его принятия, до {} \
         включительно, через любой канал, принимающий заявления на эту услугу: {}.",
        date(until),
        channels(p, channel, "или")
    )
}

fn ground(ground: AnnulmentGround) -> &'static str {
    match ground {
        AnnulmentGround::FalseDocuments => "подложные документы",
        AnnulmentGround::AdministrativeViolation => "административное правонарушение",
        AnnulmentGround::DepartureAbroad => "выезд на постоянное жительство за границу",
        AnnulmentGround::CourtDecision => "решение суда",
    }
}

/// " (удостоверение № 123)", naming a kandas status by its certificate.
fn certificate(number: &str) -> String {
    if number.is_empty() {
        String::new()
    } else {
        format!(" (удостоверение № {number})")
    }
}

fn numbered(number: &str) -> String {
    if number.is_empty() {
        String::new()
    } else {
        format!(" № {number}")
    }
}

fn issued_note(note: &IssuedNote) -> String {
    let mut words = issued_name(note.kind).to_owned() + &numbered(&note.number);
    if let Some(until) = note.valid_until {
        words += &format!(" (срок действия — по {} включительно)", date(until));
    }
    words
}

fn issued_name(kind: IssuedKind) -> &'static str {
    match kind {
        IssuedKind::KandasCertificate => "удостоверение кандаса",
        IssuedKind::KandasExtension => "продление статуса кандаса",
        IssuedKind::PermanentResidencePermit => "разрешение на постоянное проживание",
        IssuedKind::ResidencePermitCard => "вид на жительство",
        IssuedKind::StatelessPersonCertificate => "удостоверение лица без гражданства",
        IssuedKind::Registration => "регистрация по месту жительства",
        IssuedKind::Citizenship => "гражданство Республики Казахстан",
        IssuedKind::QuotaInclusion => "включение в региональную квоту",
    }
}

fn next_step(kind: IssuedKind) -> Option<&'static str> {
    match kind {
        IssuedKind::KandasCertificate => Some(
            "Удостоверение кандаса распечатает Центр обслуживания населения по вашему запросу. \
             Пока статус кандаса действителен, вы можете подать заявление на разрешение на \
             постоянное проживание.",
        ),
        IssuedKind::PermanentResidencePermit => Some(
            "Теперь вы можете подать в Центр обслуживания населения заявление на вид на \
             жительство.",
        ),
        IssuedKind::ResidencePermitCard => {
            Some("Получите вид на жительство в Центре обслуживания населения.")
        }
        IssuedKind::QuotaInclusion => {
            Some("Центр занятости свяжется с вами по выплатам государственной поддержки.")
        }
        IssuedKind::KandasExtension
        | IssuedKind::StatelessPersonCertificate
        | IssuedKind::Registration
        | IssuedKind::Citizenship => None,
    }
}
