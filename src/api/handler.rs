//! The one path a handler takes: open the call (who calls, for which applicant, about what),
//! run its body, then audit and answer. A handler names its RPC, whose constant says whether
//! it reads or changes, and writes only what is its own: parse, call the use case, convert.

use super::subjects::Subject;
use crate::audit::Entry;
use crate::domain::call::Call;
use crate::domain::caller::{ApplicantClaim, Caller};
use crate::domain::jurisdiction::Reach;
use crate::error::{ApiError, ApiResult, Reason};
use crate::service::applications::Evaluated;
use crate::service::persons;
use crate::state::AppState;
use tonic::{Request, Response, Status};

/// Where the success of an RPC is audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audited {
    /// A read of personal data: recorded at the door before the answer leaves.
    AtTheDoor,
    /// A change: its use case records it in the transaction that stores it, so the door
    /// records only a refusal.
    WithTheChange,
}

/// An RPC as its handler serves it: its path, and whether it reads or changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rpc {
    pub path: &'static str,
    audited: Audited,
}

impl Rpc {
    pub const fn read(path: &'static str) -> Rpc {
        Rpc {
            path,
            audited: Audited::AtTheDoor,
        }
    }

    pub const fn change(path: &'static str) -> Rpc {
        Rpc {
            path,
            audited: Audited::WithTheChange,
        }
    }
}

/// Serves `rpc`: opens the call about what the request names, runs `body` and answers, with
/// the audit event the RPC owes.
pub async fn handle<Req: Subject, Res>(
    state: &AppState,
    request: Request<Req>,
    rpc: Rpc,
    body: impl AsyncFnOnce(&Call, Req) -> ApiResult<Res>,
) -> Result<Response<Res>, Status> {
    let (call, req) = open(state, request, rpc).await?;
    let result = body(&call, req).await;
    respond(state, &call, rpc, result).await
}

/// Serves a list of personal data: besides the event of the call, one audit event per person
/// the answer shows (so "who read person X" finds every list that showed them), all stored
/// before the answer leaves.
pub async fn handle_listing<Req: Subject, Res>(
    state: &AppState,
    request: Request<Req>,
    rpc: Rpc,
    persons: impl Fn(&Res) -> Vec<String>,
    body: impl AsyncFnOnce(&Call, Req) -> ApiResult<Res>,
) -> Result<Response<Res>, Status> {
    let (call, req) = open(state, request, rpc).await?;
    let result = body(&call, req).await;
    respond_listing(state, &call, rpc, persons, result).await
}

/// Serves an evaluation of persons' records at the door (a dry run, a checklist): one audit
/// event per person whose records it read, as a list has.
pub async fn handle_evaluated<Req: Subject, Res>(
    state: &AppState,
    request: Request<Req>,
    rpc: Rpc,
    body: impl AsyncFnOnce(&Call, Req) -> ApiResult<Evaluated<Res>>,
) -> Result<Response<Res>, Status> {
    let (call, req) = open(state, request, rpc).await?;
    let (result, persons) = match body(&call, req).await {
        Ok(evaluated) => (Ok(evaluated.answer), evaluated.persons),
        Err(error) => (Err(error), Vec::new()),
    };
    respond_listing(state, &call, rpc, |_| persons.clone(), result).await
}

/// The call of `rpc` about what the request names, and the request.
pub async fn open<Req: Subject>(
    state: &AppState,
    request: Request<Req>,
    rpc: Rpc,
) -> Result<(Call, Req), Status> {
    let call = call_of(state, &request, rpc).await?;
    let req = request.into_inner();
    let call = call.about(&req.subject()).with_request_id(req.request_id());
    Ok((call, req))
}

/// The call of `rpc` before its subject is known: the caller the auth layer verified and put
/// on the request, bound to the portal's applicant when the portal named one by IIN. A
/// handler whose subject is known only from its answer starts here.
pub async fn call_of<T>(state: &AppState, request: &Request<T>, rpc: Rpc) -> Result<Call, Status> {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| {
            Status::from(ApiError::Unauthenticated {
                reason: Reason::ClientIdentityMissing,
                message: "no verified client identity".into(),
            })
        })?;
    let reach = request
        .extensions()
        .get::<Reach>()
        .copied()
        .unwrap_or(Reach::Files);
    let mut call = Call::new(rpc.path, caller).reaching(reach);
    let applicant = match request.extensions().get::<ApplicantClaim>() {
        None => return Ok(call),
        Some(ApplicantClaim::Person(id)) => Ok(*id),
        Some(ApplicantClaim::Iin(iin)) => persons::holder_of(state, iin).await,
    };
    match applicant {
        Ok(id) => {
            call.caller.applicant = Some(id);
            Ok(call)
        }
        Err(refused) => {
            let call = call.about("persons:by-iin");
            respond(state, &call, rpc, Err::<(), _>(refused))
                .await
                .map(|_| call)
        }
    }
}

/// Answers a list of personal data, audited as [`handle_listing`] says.
async fn respond_listing<T>(
    state: &AppState,
    call: &Call,
    rpc: Rpc,
    persons: impl Fn(&T) -> Vec<String>,
    result: ApiResult<T>,
) -> Result<Response<T>, Status> {
    let Ok(answer) = &result else {
        return respond(state, call, rpc, result).await;
    };
    if let Err(error) = state.audit.record_reads(call, persons(answer)).await {
        let refused = ApiError::from(error);
        return respond(state, call, rpc, Err::<T, _>(refused)).await;
    }
    respond(state, call, rpc, result).await
}

/// Answers `call`: audits a read of personal data or a refusal, and maps the error.
pub async fn respond<T>(
    state: &AppState,
    call: &Call,
    rpc: Rpc,
    result: ApiResult<T>,
) -> Result<Response<T>, Status> {
    let outcome = match &result {
        Ok(_) if rpc.audited == Audited::WithTheChange => None,
        Ok(_) => Some("OK".to_string()),
        Err(error) => Some(format!("{:?}", error.code())),
    };
    if let Some(outcome) = outcome {
        let entry = Entry::of(call, &outcome);
        if let Err(error) = state.audit.record(&entry).await {
            if result.is_ok() {
                // A read of personal data that cannot be audited is not served. The attempt
                // is still worth a record if the log takes one (the failure may have been in
                // the commit it shared, not in the log itself).
                let refused = ApiError::from(error);
                let outcome = format!("{:?}", refused.code());
                if let Err(error) = state.audit.record(&Entry::of(call, &outcome)).await {
                    tracing::warn!(%error, rpc = call.rpc, "could not audit a refused read");
                }
                return Err(refused.into());
            }
            tracing::warn!(%error, rpc = call.rpc, "could not audit a failed call");
        }
    }
    result.map(Response::new).map_err(Status::from)
}
