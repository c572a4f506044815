//! Services whose RPCs later work fills in. Every RPC answers UNIMPLEMENTED until then
//! (the generated default methods), but permission is still checked first by the auth layer.

use crate::pb::{
    admin_service_server::AdminService, quota_service_server::QuotaService,
    support_service_server::SupportService,
};

#[derive(Debug, Default, Clone, Copy)]
pub struct NotYetServed;

impl QuotaService for NotYetServed {}
impl SupportService for NotYetServed {}
impl AdminService for NotYetServed {}
