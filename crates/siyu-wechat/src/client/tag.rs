//! User tags (WECHAT.md 2.4).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::core::CallOpts;
use super::{Ack, WechatClient};
use crate::error::{Result, WechatError};

/// Maximum openids per batch (un)tagging call.
const BATCH_MAX: usize = 50;
/// Maximum tag name length in bytes.
const NAME_MAX: usize = 30;

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag id (0, 1, 2 are reserved).
    pub id: i64,
    /// Name (≤ 30 bytes).
    pub name: String,
    /// Number of users (only in `tags/get`).
    #[serde(default)]
    pub count: u64,
}

#[derive(Deserialize)]
struct TagEnvelope {
    tag: Tag,
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
struct IdList {
    #[serde(default)]
    tagid_list: Vec<i64>,
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(WechatError::InvalidRequest("tag name must be 1..=30 bytes"));
    }
    Ok(())
}

impl WechatClient {
    /// `POST /cgi-bin/tags/create`.
    pub async fn create_tag(&self, name: &str) -> Result<Tag> {
        check_name(name)?;
        let body = json!({"tag": {"name": name}});
        let resp: TagEnvelope = self
            .post("/cgi-bin/tags/create", &body, CallOpts::ONCE)
            .await?;
        Ok(resp.tag)
    }

    /// `GET /cgi-bin/tags/get`.
    pub async fn get_tags(&self) -> Result<Vec<Tag>> {
        let resp: TagList = self.get("/cgi-bin/tags/get", &[]).await?;
        Ok(resp.tags)
    }

    /// `POST /cgi-bin/tags/update`.
    pub async fn update_tag(&self, id: i64, name: &str) -> Result<()> {
        check_name(name)?;
        let body = json!({"tag": {"id": id, "name": name}});
        let _: Ack = self
            .post("/cgi-bin/tags/update", &body, CallOpts::IDEMPOTENT)
            .await?;
        Ok(())
    }

    /// `POST /cgi-bin/tags/delete`.
    pub async fn delete_tag(&self, id: i64) -> Result<()> {
        let body = json!({"tag": {"id": id}});
        let _: Ack = self
            .post("/cgi-bin/tags/delete", &body, CallOpts::IDEMPOTENT)
            .await?;
        Ok(())
    }

    /// `POST /cgi-bin/tags/members/batchtagging`, split into calls of 50.
    pub async fn batch_tag(&self, openids: &[String], tag_id: i64) -> Result<()> {
        self.batch("/cgi-bin/tags/members/batchtagging", openids, tag_id)
            .await
    }

    /// `POST /cgi-bin/tags/members/batchuntagging`, split into calls of 50.
    pub async fn batch_untag(&self, openids: &[String], tag_id: i64) -> Result<()> {
        self.batch("/cgi-bin/tags/members/batchuntagging", openids, tag_id)
            .await
    }

    /// `POST /cgi-bin/tags/getidlist`: the tag ids of one user.
    pub async fn user_tags(&self, openid: &str) -> Result<Vec<i64>> {
        let body = json!({"openid": openid});
        let resp: IdList = self
            .post("/cgi-bin/tags/getidlist", &body, CallOpts::IDEMPOTENT)
            .await?;
        Ok(resp.tagid_list)
    }

    async fn batch(&self, path: &str, openids: &[String], tag_id: i64) -> Result<()> {
        for chunk in openids.chunks(BATCH_MAX) {
            let body = json!({"openid_list": chunk, "tagid": tag_id});
            let _: Ack = self.post(path, &body, CallOpts::IDEMPOTENT).await?;
        }
        Ok(())
    }
}
