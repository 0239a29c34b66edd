//! AWS STS (awsQuery, model 2011-06-15): GetCallerIdentity, which the aws
//! backend calls when it is configured. The caller is the account the
//! access key id selects.

use super::errors::ApiError;
use super::http::{Query, Request, Response};
use super::operations::OPERATIONS;
use super::routes::Service;
use super::Ctx;

pub fn handle(ctx: &Ctx, request: &Request) -> Result<Response, ApiError> {
    // The action travels in the form body (POST) or the query (GET).
    let form = Query::parse(&String::from_utf8_lossy(&request.body));
    let action = form
        .get("Action")
        .or_else(|| request.query.get("Action"))
        .unwrap_or_default()
        .to_string();
    match action.as_str() {
        "GetCallerIdentity" => {
            let account = &ctx.account;
            Ok(Response::new(200).body(
                "text/xml",
                format!(
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:root</Arn><UserId>{account}</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                    ctx.request_id
                ),
            ))
        }
        "" => Err(ApiError::missing(Service::Sts, "Action")),
        known
            if OPERATIONS
                .iter()
                .any(|op| op.service == Service::Sts && op.name == known) =>
        {
            Err(ApiError::not_emulated(Service::Sts, known))
        }
        unknown => Err(ApiError::new(
            Service::Sts,
            400,
            "InvalidAction",
            format!("{unknown:?} is not an STS action"),
        )),
    }
}
