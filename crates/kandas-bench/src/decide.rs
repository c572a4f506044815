//! Decisions by each deciding role on its most common procedure: the psc on an IIN
//! assignment, the commission on a kandas status, the police on a permanent residence permit.

use kandas::pb;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use crate::load::{Answer, Measured, drive, take};
use crate::prepare::{
    approval, kandas_status_submitted, permit_submitted, prepare, registered, with_kandas_status,
};
use crate::target::Target;

/// Where the applications decided here are filed.
const REGION: &str = "KZ-75";

/// Who decides what, as the scenarios are named.
#[derive(Clone, Copy)]
pub(crate) enum Decider {
    /// IIN assignment of the stored (filled) applications: nothing to prepare.
    Psc,
    /// Kandas status of persons registered beforehand (two RPCs each).
    Commission,
    /// Permanent residence permit of kandas (five RPCs each).
    Police,
}

impl Decider {
    pub(crate) const ALL: [Decider; 3] = [Decider::Psc, Decider::Commission, Decider::Police];

    pub(crate) fn scenario(self) -> &'static str {
        match self {
            Decider::Psc => "decide_iin_psc",
            Decider::Commission => "decide_kandas_status_commission",
            Decider::Police => "decide_permit_police",
        }
    }

    fn role(self) -> &'static str {
        match self {
            Decider::Psc => "psc",
            Decider::Commission => "commission",
            Decider::Police => "police",
        }
    }
}

/// Approves up to `count` applications waiting for `decider`, on `c` clients at once, each
/// once. Their etags are not sent: the decision is on the application as it stands.
pub(crate) async fn run_decide(
    target: &Target,
    decider: Decider,
    c: usize,
    duration: Duration,
    count: usize,
) -> anyhow::Result<Measured> {
    let name = decider.scenario();
    println!("scenario {name}: preparing up to {count} applications");
    let started = Instant::now();
    let waiting: Vec<String> = match decider {
        Decider::Psc => {
            sqlx::query_scalar!(
                r#"SELECT 'applications/' || id AS "name!" FROM applications
                 WHERE procedure = 'iin_assignment' AND state = 'submitted'
                 ORDER BY id DESC LIMIT $1"#,
                count as i64
            )
            .fetch_all(&target.db)
            .await?
        }
        Decider::Commission => {
            prepare(target, c, count, |offices| async move {
                let person = registered(&offices).await?;
                Ok(kandas_status_submitted(&offices, &person, REGION)
                    .await?
                    .name)
            })
            .await?
        }
        Decider::Police => {
            prepare(target, c, count, |offices| async move {
                let person = with_kandas_status(&offices, REGION).await?;
                Ok(permit_submitted(&offices, &person, REGION).await?.name)
            })
            .await?
        }
    };
    // A long-running database has current statistics (autovacuum); this one just grew.
    sqlx::query!("ANALYZE").execute(&target.db).await?;
    println!(
        "  prepared {} in {:.1} s (not measured)",
        waiting.len(),
        started.elapsed().as_secs_f64()
    );
    let waiting = Arc::new(waiting);
    let clients = target.application_clients(decider.role(), c).await?;
    let next = Arc::new(AtomicUsize::new(0));
    drive(&target.watch, name, c, duration, move |w| {
        let mut client = clients[w].clone();
        let application = take(&waiting, &next);
        async move {
            let request = approval(pb::Application {
                name: application?,
                ..Default::default()
            });
            Some(
                client
                    .decide_application(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await
}
