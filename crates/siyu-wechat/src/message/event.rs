//! Typed Official Account events (`MsgType=event`).

use crate::error::Result;
use crate::message::fields::{self, num, num_or_default, opt, req_num, text, Fields};
use crate::xml::Element;

/// The `EventKey` prefix of a parametric-QR subscribe.
pub const QRSCENE_PREFIX: &str = "qrscene_";

/// Payload of `scancode_push` / `scancode_waitmsg` (`ScanCodeInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanCodeInfo {
    /// Menu key (`EventKey`).
    pub key: String,
    /// `ScanType`, e.g. `qrcode` or `barcode`.
    pub scan_type: String,
    /// `ScanResult`, the decoded content.
    pub scan_result: String,
}

/// Payload of the `pic_*` menu events (`SendPicsInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct SendPicsInfo {
    /// Menu key (`EventKey`).
    pub key: String,
    /// `Count` of pictures.
    pub count: u32,
    /// `PicList/item/PicMd5Sum` values.
    pub pic_md5_sums: Vec<String>,
}

/// Payload of `location_select` (`SendLocationInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct SendLocationInfo {
    /// Menu key (`EventKey`).
    pub key: String,
    /// `Location_X` (latitude).
    pub latitude: Option<f64>,
    /// `Location_Y` (longitude).
    pub longitude: Option<f64>,
    /// `Scale` (map zoom).
    pub scale: Option<String>,
    /// `Label` (address).
    pub label: String,
    /// `Poiname`, when the user picked a POI.
    pub poi_name: Option<String>,
}

/// `MASSSENDJOBFINISH`: the final result of a mass send.
#[derive(Debug, Clone, PartialEq)]
pub struct MassSendJobFinish {
    /// `MsgID` (capital D), equal to the `msg_id` returned by the send call.
    pub msg_id: u64,
    /// `Status`, e.g. `send success`, `send fail`, `err(N)`.
    pub status: String,
    /// `TotalCount`.
    pub total_count: u64,
    /// `FilterCount` (after filtering by tag / quota).
    pub filter_count: u64,
    /// `SentCount`.
    pub sent_count: u64,
    /// `ErrorCount`.
    pub error_count: u64,
}

/// A verification / renewal notice (`qualification_verify_*`, `naming_verify_*`,
/// `annual_renew`, `verify_expired`).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyNotice {
    /// `ExpiredTime` (unix seconds), when present.
    pub expired_time: Option<i64>,
    /// `FailTime` (unix seconds), when present.
    pub fail_time: Option<i64>,
    /// `FailReason`, when present.
    pub fail_reason: Option<String>,
}

/// Every event WeChat documents for Official Accounts; anything else is [`Event::Other`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `subscribe`. From a parametric QR code the `EventKey` is `qrscene_<scene>`;
    /// `scene` then holds `<scene>` with the prefix stripped.
    Subscribe {
        /// Raw `EventKey` (may be e.g. `qrscene_42` or `scanbarcode|…`).
        event_key: Option<String>,
        /// The QR scene, when `EventKey` starts with `qrscene_`.
        scene: Option<String>,
        /// `Ticket` of the QR code.
        ticket: Option<String>,
    },
    /// `unsubscribe` (any reply is never delivered).
    Unsubscribe,
    /// `SCAN`: an existing follower scanned a parametric QR code.
    Scan {
        /// `EventKey`: the scene (no prefix).
        scene: String,
        /// `Ticket` of the QR code.
        ticket: Option<String>,
    },
    /// `LOCATION`: periodic location report.
    Location {
        /// `Latitude`.
        latitude: f64,
        /// `Longitude`.
        longitude: f64,
        /// `Precision`.
        precision: f64,
    },
    /// `CLICK` on a menu button.
    Click {
        /// `EventKey` = the button key.
        key: String,
    },
    /// `VIEW`: a menu link was opened.
    View {
        /// `EventKey` = the URL.
        url: String,
        /// `MenuId`, when present.
        menu_id: Option<String>,
    },
    /// `view_miniprogram`: a menu mini-program button was opened.
    ViewMiniprogram {
        /// `EventKey` = the page path.
        page_path: String,
        /// `MenuId`, when present.
        menu_id: Option<String>,
    },
    /// `scancode_push`.
    ScancodePush(ScanCodeInfo),
    /// `scancode_waitmsg`.
    ScancodeWaitmsg(ScanCodeInfo),
    /// `pic_sysphoto`.
    PicSysphoto(SendPicsInfo),
    /// `pic_photo_or_album`.
    PicPhotoOrAlbum(SendPicsInfo),
    /// `pic_weixin`.
    PicWeixin(SendPicsInfo),
    /// `location_select`.
    LocationSelect(SendLocationInfo),
    /// `TEMPLATESENDJOBFINISH`: delivery result of a template message.
    TemplateSendJobFinish {
        /// `MsgID` (= the `msgid` returned by the send call).
        msg_id: u64,
        /// `Status`: `success`, `failed:user block`, `failed: system failed`, ….
        status: String,
    },
    /// `MASSSENDJOBFINISH`.
    MassSendJobFinish(MassSendJobFinish),
    /// `PUBLISHJOBFINISH` (publishing API).
    PublishJobFinish {
        /// `PublishEventInfo/publish_id`.
        publish_id: String,
        /// `PublishEventInfo/publish_status` (0 = success).
        publish_status: i64,
        /// `PublishEventInfo/article_id`, when published.
        article_id: Option<String>,
    },
    /// `subscribe_msg_popup_event`: one entry per template in `SubscribeMsgPopupEvent/List`.
    SubscribeMsgPopup(Vec<Fields>),
    /// `subscribe_msg_change_event` (`SubscribeMsgChangeEvent/List`).
    SubscribeMsgChange(Vec<Fields>),
    /// `subscribe_msg_sent_event` (`SubscribeMsgSentEvent/List`).
    SubscribeMsgSent(Vec<Fields>),
    /// `kf_create_session`.
    KfCreateSession {
        /// `KfAccount`.
        kf_account: String,
    },
    /// `kf_close_session`.
    KfCloseSession {
        /// `KfAccount`.
        kf_account: String,
    },
    /// `kf_switch_session`.
    KfSwitchSession {
        /// `FromKfAccount`.
        from_kf_account: String,
        /// `ToKfAccount`.
        to_kf_account: String,
    },
    /// Verification and renewal notices; `name` is the lower-cased event.
    Verify {
        /// The event name, e.g. `qualification_verify_success`.
        name: String,
        /// Details.
        notice: VerifyNotice,
    },
    /// Any other event, kept raw.
    Other {
        /// `Event` exactly as sent.
        event: String,
        /// `EventKey`, when present.
        event_key: Option<String>,
        /// All top-level leaf fields.
        fields: Fields,
    },
}

/// Parses the event-specific part of `<xml>` (the header is parsed by the caller).
pub(crate) fn parse_event(el: &Element) -> Result<Event> {
    let raw = text(el, "Event");
    let key = || text(el, "EventKey");
    Ok(match raw.to_ascii_lowercase().as_str() {
        "subscribe" => {
            let event_key = opt(el, "EventKey");
            let scene = event_key
                .as_deref()
                .and_then(|k| k.strip_prefix(QRSCENE_PREFIX))
                .map(str::to_owned);
            Event::Subscribe {
                event_key,
                scene,
                ticket: opt(el, "Ticket"),
            }
        }
        "unsubscribe" => Event::Unsubscribe,
        "scan" => Event::Scan {
            scene: key(),
            ticket: opt(el, "Ticket"),
        },
        "location" => Event::Location {
            latitude: num_or_default(el, "Latitude")?,
            longitude: num_or_default(el, "Longitude")?,
            precision: num_or_default(el, "Precision")?,
        },
        "click" => Event::Click { key: key() },
        "view" => Event::View {
            url: key(),
            menu_id: opt(el, "MenuId"),
        },
        "view_miniprogram" => Event::ViewMiniprogram {
            page_path: key(),
            menu_id: opt(el, "MenuId"),
        },
        "scancode_push" => Event::ScancodePush(scan_code(el)),
        "scancode_waitmsg" => Event::ScancodeWaitmsg(scan_code(el)),
        "pic_sysphoto" => Event::PicSysphoto(pics(el)?),
        "pic_photo_or_album" => Event::PicPhotoOrAlbum(pics(el)?),
        "pic_weixin" => Event::PicWeixin(pics(el)?),
        "location_select" => Event::LocationSelect(location_select(el)?),
        "templatesendjobfinish" => Event::TemplateSendJobFinish {
            msg_id: req_num(el, "MsgID")?,
            status: text(el, "Status"),
        },
        "masssendjobfinish" => Event::MassSendJobFinish(MassSendJobFinish {
            msg_id: req_num(el, "MsgID")?,
            status: text(el, "Status"),
            total_count: num_or_default(el, "TotalCount")?,
            filter_count: num_or_default(el, "FilterCount")?,
            sent_count: num_or_default(el, "SentCount")?,
            error_count: num_or_default(el, "ErrorCount")?,
        }),
        "publishjobfinish" => publish(el)?,
        "subscribe_msg_popup_event" => {
            Event::SubscribeMsgPopup(lists(el, "SubscribeMsgPopupEvent"))
        }
        "subscribe_msg_change_event" => {
            Event::SubscribeMsgChange(lists(el, "SubscribeMsgChangeEvent"))
        }
        "subscribe_msg_sent_event" => Event::SubscribeMsgSent(lists(el, "SubscribeMsgSentEvent")),
        "kf_create_session" => Event::KfCreateSession {
            kf_account: text(el, "KfAccount"),
        },
        "kf_close_session" => Event::KfCloseSession {
            kf_account: text(el, "KfAccount"),
        },
        "kf_switch_session" => Event::KfSwitchSession {
            from_kf_account: text(el, "FromKfAccount"),
            to_kf_account: text(el, "ToKfAccount"),
        },
        name @ ("qualification_verify_success"
        | "qualification_verify_fail"
        | "naming_verify_success"
        | "naming_verify_fail"
        | "annual_renew"
        | "verify_expired") => Event::Verify {
            name: name.to_owned(),
            notice: VerifyNotice {
                expired_time: num(el, "ExpiredTime")?,
                fail_time: num(el, "FailTime")?,
                fail_reason: opt(el, "FailReason"),
            },
        },
        _ => Event::Other {
            event: raw,
            event_key: opt(el, "EventKey"),
            fields: el.leaf_fields(),
        },
    })
}

fn scan_code(el: &Element) -> ScanCodeInfo {
    let info = el.child("ScanCodeInfo");
    let get = |n: &str| {
        info.and_then(|i| i.child_text(n))
            .unwrap_or_default()
            .to_owned()
    };
    ScanCodeInfo {
        key: text(el, "EventKey"),
        scan_type: get("ScanType"),
        scan_result: get("ScanResult"),
    }
}

fn pics(el: &Element) -> Result<SendPicsInfo> {
    let info = el.child("SendPicsInfo");
    let list = info.and_then(|i| i.child("PicList"));
    Ok(SendPicsInfo {
        key: text(el, "EventKey"),
        count: match info {
            Some(i) => num_or_default(i, "Count")?,
            None => 0,
        },
        pic_md5_sums: fields::items(list)
            .into_iter()
            .filter_map(|mut f| f.remove("PicMd5Sum"))
            .collect(),
    })
}

fn location_select(el: &Element) -> Result<SendLocationInfo> {
    let empty = Element::default();
    let info = el.child("SendLocationInfo").unwrap_or(&empty);
    Ok(SendLocationInfo {
        key: text(el, "EventKey"),
        latitude: num(info, "Location_X")?,
        longitude: num(info, "Location_Y")?,
        scale: opt(info, "Scale"),
        label: text(info, "Label"),
        poi_name: opt(info, "Poiname"),
    })
}

fn publish(el: &Element) -> Result<Event> {
    let empty = Element::default();
    let info = el.child("PublishEventInfo").unwrap_or(&empty);
    Ok(Event::PublishJobFinish {
        publish_id: text(info, "publish_id"),
        publish_status: num_or_default(info, "publish_status")?,
        article_id: opt(info, "article_id"),
    })
}

/// `<Wrapper><List>…</List><List>…</List></Wrapper>` → one field map per `List`.
fn lists(el: &Element, wrapper: &str) -> Vec<Fields> {
    el.child(wrapper)
        .map(|w| w.children_named("List").map(Element::leaf_fields).collect())
        .unwrap_or_default()
}
