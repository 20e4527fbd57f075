//! The deliveries a run sends: planned, then encrypted and signed before the clock starts.

use super::*;

// ---------------------------------------------------------------------------------------
// The deliveries and their requests.

/// One delivery from WeChat: a subscribe (no message id) or a text.
pub(super) struct Delivery {
    pub(super) openid: String,
    pub(super) msg_id: Option<u64>,
    pub(super) create_time: i64,
}

/// `count` deliveries: every tenth a subscribe from a new fan, the others texts from fans who
/// already followed. `tag` keeps ids and openids apart between runs against one database.
pub(super) fn plan(count: usize, tag: u64) -> Vec<Delivery> {
    let mut rng = StdRng::seed_from_u64(tag);
    let create_time = unix_now();
    let mut fans = 0u64;
    (0..count)
        .map(|i| {
            let (fan, msg_id) = if i % SUBSCRIBE_EVERY == 0 {
                fans += 1;
                (fans - 1, None)
            } else {
                (rng.gen_range(0..fans), Some(tag * 1_000_000_000 + i as u64))
            };
            Delivery {
                openid: format!("oSiyuBench{tag:03}_{fan:014}"),
                msg_id,
                create_time,
            }
        })
        .collect()
}

/// The plaintext XML WeChat would encrypt for `d`.
pub(super) fn inner_xml(d: &Delivery) -> String {
    let head = format!(
        "<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName><FromUserName><![CDATA[{}]]></FromUserName><CreateTime>{}</CreateTime>",
        d.openid, d.create_time
    );
    match d.msg_id {
        None => format!("{head}<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>"),
        Some(id) => format!("{head}<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[请问今天几点营业？想订两杯拿铁 #{id}]]></Content><MsgId>{id}</MsgId></xml>"),
    }
}

/// A request ready to send: the signed query, the encrypted body, and what it carries.
pub(super) struct Prepared {
    pub(super) uri: String,
    pub(super) query: CallbackQuery,
    pub(super) body: Bytes,
    pub(super) subscribe: bool,
}

pub(super) fn crypto() -> Result<WechatCrypto, String> {
    WechatCrypto::new(TOKEN, AES_KEY, APP_ID).map_err(|e| format!("bench credentials: {e}"))
}

/// Encrypts and signs `deliveries` for `path` as WeChat does in safe mode, stamped now.
pub(super) fn encode(deliveries: &[Delivery], path: &str) -> Result<Arc<Vec<Prepared>>, String> {
    let crypto = crypto()?;
    let ts = unix_now().to_string();
    let prepared = deliveries.iter().enumerate().map(|(i, d)| {
        let nonce = (1_000_000_007 + i).to_string();
        let encrypt = crypto.encrypt(&inner_xml(d)).map_err(|e| e.to_string())?;
        let query = CallbackQuery {
            signature: url_signature(TOKEN, &ts, &nonce),
            msg_signature: Some(msg_signature(TOKEN, &ts, &nonce, &encrypt)),
            timestamp: ts.clone(),
            nonce,
            openid: Some(d.openid.clone()),
            encrypt_type: Some("aes".into()),
            echostr: None,
        };
        let uri = format!(
            "{path}?signature={}&timestamp={ts}&nonce={}&openid={}&encrypt_type=aes&msg_signature={}",
            query.signature,
            query.nonce,
            d.openid,
            query.msg_signature.as_deref().unwrap_or_default()
        );
        let body = format!("<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
        Ok(Prepared {
            uri,
            query,
            body: Bytes::from(body),
            subscribe: d.msg_id.is_none(),
        })
    });
    Ok(Arc::new(prepared.collect::<Result<_, String>>()?))
}

pub(super) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
