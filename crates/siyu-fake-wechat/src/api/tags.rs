//! User tags (WECHAT.md 2.4): create / get / update / delete, batch (un)tagging, a user's
//! tag ids and a tag's members.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value};

use super::{int_field, ok, openid_page, str_field, Req};
use crate::errors::{
    fail, ApiError, ApiResult, INVALID_OPENID_LIST_SIZE, INVALID_TAG_ID, INVALID_TAG_NAME, SYS_TAG,
    TAG_NAME_TOO_LONG, TOO_MANY_TAGS, USER_TAG_LIMIT,
};
use crate::records::TagRecord;
use crate::state::World;

/// Tags 0, 1 and 2 are reserved and cannot be changed.
const RESERVED: [i64; 3] = [0, 1, 2];
/// At most 100 tags per account.
const MAX_TAGS: usize = 100;
/// Tag names are at most 30 bytes.
const NAME_MAX: usize = 30;
/// At most 50 OpenIDs per batch call.
const BATCH_MAX: usize = 50;
/// A user carries at most 20 tags.
const USER_MAX_TAGS: usize = 20;
/// A tag with more members cannot be deleted directly (45057).
const DELETE_MAX_MEMBERS: usize = 100_000;

#[derive(Debug)]
struct TagData {
    name: String,
    members: Vec<String>,
    set: HashSet<String>,
}

/// All tags: the reserved 星标组 (id 2) and created ones from id 100.
#[derive(Debug)]
pub(crate) struct Tags {
    map: BTreeMap<i64, TagData>,
    next_id: i64,
}

impl Default for Tags {
    fn default() -> Self {
        let star = TagData {
            name: "星标组".into(),
            members: Vec::new(),
            set: HashSet::new(),
        };
        Tags {
            map: BTreeMap::from([(2, star)]),
            next_id: 100,
        }
    }
}

impl Tags {
    /// The ids of the tags `openid` carries.
    pub(crate) fn ids_of(&self, openid: &str) -> Vec<i64> {
        self.map
            .iter()
            .filter(|(_, t)| t.set.contains(openid))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Snapshot for inspection.
    pub(crate) fn records(&self) -> Vec<TagRecord> {
        self.map
            .iter()
            .map(|(id, t)| TagRecord {
                id: *id,
                name: t.name.clone(),
                members: t.members.clone(),
            })
            .collect()
    }

    /// 45157 empty or duplicate, 45158 over 30 bytes.
    fn check_name(&self, name: Option<&str>, except: Option<i64>) -> Result<String, ApiError> {
        let name = name.map(str::trim).unwrap_or_default();
        if name.is_empty() {
            return fail(INVALID_TAG_NAME);
        }
        if name.len() > NAME_MAX {
            return fail(TAG_NAME_TOO_LONG);
        }
        if self
            .map
            .iter()
            .any(|(id, t)| t.name == name && Some(*id) != except)
        {
            return fail(INVALID_TAG_NAME);
        }
        Ok(name.to_owned())
    }

    /// The id if such a tag exists, else 45159.
    pub(crate) fn existing(&self, id: Option<i64>) -> Result<i64, ApiError> {
        match id {
            Some(id) if self.map.contains_key(&id) => Ok(id),
            _ => fail(INVALID_TAG_ID),
        }
    }

    /// 45058 for the reserved tags, 45159 for unknown ones.
    fn modifiable(&self, id: Option<i64>) -> Result<i64, ApiError> {
        if id.is_some_and(|id| RESERVED.contains(&id)) {
            return fail(SYS_TAG);
        }
        self.existing(id)
    }
}

/// `POST /cgi-bin/tags/create {"tag":{"name":…}}` → `{"tag":{"id":…,"name":…}}`.
pub(crate) fn create(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let name = w
        .tags
        .check_name(body.get("tag").and_then(|t| str_field(t, "name")), None)?;
    if w.tags
        .map
        .keys()
        .filter(|id| !RESERVED.contains(id))
        .count()
        >= MAX_TAGS
    {
        return fail(TOO_MANY_TAGS);
    }
    let id = w.tags.next_id;
    w.tags.next_id += 1;
    let data = TagData {
        name: name.clone(),
        members: Vec::new(),
        set: HashSet::new(),
    };
    w.tags.map.insert(id, data);
    Ok(json!({"tag": {"id": id, "name": name}}))
}

/// `GET|POST /cgi-bin/tags/get` → `{"tags":[{"id","name","count"}]}`.
pub(crate) fn list(w: &mut World, _: &Req<'_>) -> ApiResult {
    let tags: Vec<Value> = w
        .tags
        .map
        .iter()
        .map(|(id, t)| json!({"id": id, "name": t.name, "count": t.members.len()}))
        .collect();
    Ok(json!({ "tags": tags }))
}

/// `POST /cgi-bin/tags/update {"tag":{"id":…,"name":…}}`.
pub(crate) fn update(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let tag = body.get("tag").cloned().unwrap_or_default();
    let id = w.tags.modifiable(int_field(&tag, "id"))?;
    let name = w.tags.check_name(str_field(&tag, "name"), Some(id))?;
    if let Some(t) = w.tags.map.get_mut(&id) {
        t.name = name;
    }
    Ok(ok())
}

/// `POST /cgi-bin/tags/delete {"tag":{"id":…}}`.
pub(crate) fn delete(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let tag = body.get("tag").cloned().unwrap_or_default();
    let id = w.tags.modifiable(int_field(&tag, "id"))?;
    if w.tags
        .map
        .get(&id)
        .is_some_and(|t| t.members.len() > DELETE_MAX_MEMBERS)
    {
        return fail(45057);
    }
    w.tags.map.remove(&id);
    Ok(ok())
}

/// `POST /cgi-bin/tags/members/batchtagging {"openid_list":[…≤50],"tagid":…}`.
pub(crate) fn batch_tag(w: &mut World, r: &Req<'_>) -> ApiResult {
    batch(w, r, true)
}

/// `POST /cgi-bin/tags/members/batchuntagging` (same shape).
pub(crate) fn batch_untag(w: &mut World, r: &Req<'_>) -> ApiResult {
    batch(w, r, false)
}

/// Validates the whole batch first, so a rejected call changes nothing.
fn batch(w: &mut World, r: &Req<'_>, add: bool) -> ApiResult {
    let body = r.json()?;
    let list = body
        .get("openid_list")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty() && l.len() <= BATCH_MAX)
        .ok_or_else(|| ApiError::new(INVALID_OPENID_LIST_SIZE))?;
    let id = w.tags.existing(int_field(&body, "tagid"))?;
    let mut openids = Vec::with_capacity(list.len());
    for item in list {
        let openid = item.as_str().unwrap_or_default();
        w.require_known(openid)?;
        let carries = w.tags.ids_of(openid);
        if add && !carries.contains(&id) && carries.len() >= USER_MAX_TAGS {
            return fail(USER_TAG_LIMIT);
        }
        openids.push(openid.to_owned());
    }
    if let Some(tag) = w.tags.map.get_mut(&id) {
        for openid in openids {
            if add && tag.set.insert(openid.clone()) {
                tag.members.push(openid);
            } else if !add && tag.set.remove(&openid) {
                tag.members.retain(|m| *m != openid);
            }
        }
    }
    Ok(ok())
}

/// `POST /cgi-bin/tags/getidlist {"openid":…}` → `{"tagid_list":[…]}`.
pub(crate) fn id_list(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let openid = str_field(&body, "openid").unwrap_or_default();
    w.require_known(openid)?;
    Ok(json!({"tagid_list": w.tags.ids_of(openid)}))
}

/// `POST /cgi-bin/user/tag/get {"tagid":…,"next_openid":…}`: members in tagging order,
/// paged like `user/get`.
pub(crate) fn members(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let id = w.tags.existing(int_field(&body, "tagid"))?;
    let Some(tag) = w.tags.map.get(&id) else {
        return fail(INVALID_TAG_ID);
    };
    let all = tag.members.iter().map(String::as_str);
    let position = |o: &str| tag.members.iter().position(|m| m == o);
    let (page, _) = openid_page(
        all,
        str_field(&body, "next_openid"),
        position,
        w.config.page_size,
    )?;
    Ok(page)
}
