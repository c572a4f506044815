//! Lists: an office's overdue work, and a portal applicant's own applications.

use kandas::pb;
use std::time::Duration;
use tonic::metadata::MetadataValue;

use crate::load::{Answer, Measured, drive, pick};
use crate::scenarios::stored;
use crate::target::Target;

/// The first page of the undecided applications past their deadline that a Public Service
/// Center decides (IIN assignments among them), as the regional office of Almaty city
/// (`psc-office`, jurisdiction KZ-75) opens its work queue; a target without that identity
/// is asked as the national `psc`.
pub(crate) async fn run_list_overdue(
    target: &Target,
    c: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let office = if target.has("psc-office") {
        "psc-office"
    } else {
        "psc"
    };
    println!("scenario list_overdue (ListApplications, overdue work of {office})");
    let clients = target.application_clients(office, c).await?;
    drive(&target.watch, "list_overdue", c, duration, move |w| {
        let mut client = clients[w].clone();
        async move {
            let request = pb::ListApplicationsRequest {
                overdue_only: true,
                decided_by_role: "psc".into(),
                page_size: 50,
                ..Default::default()
            };
            Some(
                client
                    .list_applications(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await
}

/// A portal applicant's own applications: ListApplications with no filter, for a random
/// stored applicant named in `x-kandas-applicant`.
pub(crate) async fn run_list_own(
    target: &Target,
    c: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let applicants = stored(&target.db, true).await?;
    println!("scenario list_own (ListApplications, a portal applicant's own)");
    let clients = target.application_clients("portal", c).await?;
    drive(&target.watch, "list_own", c, duration, move |w| {
        let mut client = clients[w].clone();
        let applicant = applicants[pick(applicants.len())].clone();
        async move {
            let mut request = tonic::Request::new(pb::ListApplicationsRequest::default());
            let value = MetadataValue::try_from(applicant).expect("a resource name is ASCII");
            request
                .metadata_mut()
                .insert(kandas::server::auth::APPLICANT_HEADER, value);
            Some(
                client
                    .list_applications(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await
}
