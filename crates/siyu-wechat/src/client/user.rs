//! Users: info, batch info and follower paging (WECHAT.md 2.3).

use serde::Deserialize;
use serde_json::json;

use super::core::CallOpts;
use super::WechatClient;
use crate::error::Result;

/// Maximum openids per `user/info/batchget` call.
const BATCH_MAX: usize = 100;

/// `user/info` (no nickname/avatar since 2021-12-27). Absent fields are defaulted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UserInfo {
    /// 1 if the user follows the account; with 0 little else is returned.
    pub subscribe: i32,
    /// OpenID.
    pub openid: String,
    /// Client language (`zh_CN`, …).
    pub language: Option<String>,
    /// Last follow time (unix seconds).
    pub subscribe_time: Option<i64>,
    /// UnionID (only when bound to an Open Platform account).
    pub unionid: Option<String>,
    /// Remark set by the account.
    pub remark: Option<String>,
    /// Legacy group id.
    pub groupid: Option<i64>,
    /// Tag ids.
    pub tagid_list: Vec<i64>,
    /// Follow channel, e.g. `ADD_SCENE_QR_CODE`.
    pub subscribe_scene: Option<String>,
    /// Numeric QR scene of the follow.
    pub qr_scene: Option<i64>,
    /// String QR scene of the follow.
    pub qr_scene_str: Option<String>,
}

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    user_info_list: Vec<UserInfo>,
}

#[derive(Deserialize, Default)]
struct OpenIds {
    #[serde(default)]
    openid: Vec<String>,
}

#[derive(Deserialize)]
struct RawPage {
    #[serde(default)]
    total: u64,
    #[serde(default)]
    count: u64,
    #[serde(default)]
    data: Option<OpenIds>,
    #[serde(default)]
    next_openid: Option<String>,
}

/// One page of `user/get` or `user/tag/get`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowerPage {
    /// Total followers (`user/get` only; 0 for tag member pages).
    pub total: u64,
    /// OpenIDs in this page (≤ 10,000).
    pub openids: Vec<String>,
    /// Cursor for the next page; `None` when this was the last page.
    pub next_openid: Option<String>,
}

impl From<RawPage> for FollowerPage {
    fn from(raw: RawPage) -> Self {
        let openids = raw.data.unwrap_or_default().openid;
        // The last page has count 0 and no data but may still carry next_openid.
        let next_openid = raw
            .next_openid
            .filter(|n| !n.is_empty() && raw.count > 0 && !openids.is_empty());
        FollowerPage {
            total: raw.total,
            openids,
            next_openid,
        }
    }
}

/// Iterates all follower pages: `while let Some(ids) = pager.next_page().await? { … }`.
#[derive(Debug)]
pub struct FollowerPager {
    client: WechatClient,
    next: Option<String>,
    done: bool,
}

impl FollowerPager {
    /// The next page of OpenIDs, or `None` when exhausted.
    pub async fn next_page(&mut self) -> Result<Option<Vec<String>>> {
        if self.done {
            return Ok(None);
        }
        let page = self.client.followers(self.next.as_deref()).await?;
        // Stop on the end marker, and defensively if the cursor does not advance.
        if page.next_openid.is_none() || page.next_openid == self.next {
            self.done = true;
        }
        self.next = page.next_openid;
        if page.openids.is_empty() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some(page.openids))
    }
}

impl WechatClient {
    /// `GET /cgi-bin/user/info`; `lang` defaults to `zh_CN`.
    pub async fn user_info(&self, openid: &str, lang: Option<&str>) -> Result<UserInfo> {
        let lang = lang.unwrap_or("zh_CN");
        self.get("/cgi-bin/user/info", &[("openid", openid), ("lang", lang)])
            .await
    }

    /// `POST /cgi-bin/user/info/batchget`, split into calls of 100.
    pub async fn user_info_batch(
        &self,
        openids: &[String],
        lang: Option<&str>,
    ) -> Result<Vec<UserInfo>> {
        let lang = lang.unwrap_or("zh_CN");
        let mut out = Vec::with_capacity(openids.len());
        for chunk in openids.chunks(BATCH_MAX) {
            let list: Vec<_> = chunk
                .iter()
                .map(|o| json!({"openid": o, "lang": lang}))
                .collect();
            let resp: BatchResponse = self
                .post(
                    "/cgi-bin/user/info/batchget",
                    &json!({ "user_list": list }),
                    CallOpts::IDEMPOTENT,
                )
                .await?;
            out.extend(resp.user_info_list);
        }
        Ok(out)
    }

    /// `GET /cgi-bin/user/get`: one page of followers starting after `next_openid`.
    pub async fn followers(&self, next_openid: Option<&str>) -> Result<FollowerPage> {
        let next = next_openid.unwrap_or_default();
        let raw: RawPage = self
            .get("/cgi-bin/user/get", &[("next_openid", next)])
            .await?;
        Ok(raw.into())
    }

    /// A pager over all followers.
    pub fn follower_pages(&self) -> FollowerPager {
        FollowerPager {
            client: self.clone(),
            next: None,
            done: false,
        }
    }

    /// All follower OpenIDs (every page).
    pub async fn all_followers(&self) -> Result<Vec<String>> {
        let mut pager = self.follower_pages();
        let mut all = Vec::new();
        while let Some(ids) = pager.next_page().await? {
            all.extend(ids);
        }
        Ok(all)
    }

    /// `POST /cgi-bin/user/tag/get`: one page of a tag's members.
    pub async fn tag_members(
        &self,
        tag_id: i64,
        next_openid: Option<&str>,
    ) -> Result<FollowerPage> {
        let body = json!({"tagid": tag_id, "next_openid": next_openid.unwrap_or_default()});
        let raw: RawPage = self
            .post("/cgi-bin/user/tag/get", &body, CallOpts::IDEMPOTENT)
            .await?;
        Ok(raw.into())
    }
}
