use super::*;

fn xml(body: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oU1]]></FromUserName>\
         <CreateTime>1700000000</CreateTime>{body}</xml>"
    )
}

fn parse(body: &str) -> Message {
    Message::parse_str(&xml(body)).unwrap()
}

fn event(body: &str) -> Event {
    parse(&format!("<MsgType><![CDATA[event]]></MsgType>{body}"))
        .event()
        .cloned()
        .unwrap()
}

#[test]
fn text_with_emoji_and_header() {
    let m = parse("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 😀 <&>]]></Content><MsgId>4363689963896700987</MsgId>");
    assert_eq!(m.header.to_user_name, "gh_1");
    assert_eq!(m.header.from_user_name, "oU1");
    assert_eq!(m.header.create_time, 1_700_000_000);
    assert_eq!(m.header.msg_id, Some(4_363_689_963_896_700_987));
    assert_eq!(
        m.kind,
        MessageKind::Text {
            content: "你好 😀 <&>".into()
        }
    );
    assert_eq!(m.dedupe_key(), "msg:4363689963896700987");
}

#[test]
fn media_messages() {
    let m = parse("<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://p]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>1</MsgId><MsgDataId>2247483650</MsgDataId><Idx>1</Idx>");
    assert_eq!(
        m.kind,
        MessageKind::Image {
            pic_url: "http://p".into(),
            media_id: "m1".into()
        }
    );
    assert_eq!(m.field("MsgDataId"), Some("2247483650"));
    let m = parse("<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[v]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[语音]]></Recognition><MsgId>2</MsgId>");
    assert_eq!(
        m.kind,
        MessageKind::Voice {
            media_id: "v".into(),
            format: "amr".into(),
            recognition: Some("语音".into())
        }
    );
    let m = parse("<MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[v]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId><MsgId>3</MsgId>");
    assert_eq!(
        m.kind,
        MessageKind::Video {
            media_id: "v".into(),
            thumb_media_id: "t".into()
        }
    );
    let m = parse("<MsgType><![CDATA[shortvideo]]></MsgType><MediaId><![CDATA[v]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId><MsgId>4</MsgId>");
    assert_eq!(
        m.kind,
        MessageKind::ShortVideo {
            media_id: "v".into(),
            thumb_media_id: "t".into()
        }
    );
}

#[test]
fn location_and_link() {
    let m = parse("<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label><MsgId>5</MsgId>");
    assert_eq!(
        m.kind,
        MessageKind::Location {
            latitude: 23.134521,
            longitude: 113.358803,
            scale: Some("20".into()),
            label: "位置信息".into()
        }
    );
    let m = parse("<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><Url><![CDATA[https://x]]></Url><MsgId>6</MsgId>");
    assert_eq!(
        m.kind,
        MessageKind::Link {
            title: "t".into(),
            description: "d".into(),
            url: "https://x".into()
        }
    );
}

#[test]
fn subscribe_variants() {
    assert_eq!(
        event("<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey>"),
        Event::Subscribe {
            event_key: None,
            scene: None,
            ticket: None
        }
    );
    assert_eq!(
        event("<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"),
        Event::Subscribe {
            event_key: Some("qrscene_123123".into()),
            scene: Some("123123".into()),
            ticket: Some("TICKET".into())
        }
    );
    assert_eq!(
        event("<Event><![CDATA[unsubscribe]]></Event>"),
        Event::Unsubscribe
    );
    assert_eq!(
        event("<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123123]]></EventKey><Ticket><![CDATA[T]]></Ticket>"),
        Event::Scan { scene: "123123".into(), ticket: Some("T".into()) }
    );
}

#[test]
fn menu_events() {
    assert_eq!(
        event("<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[K1]]></EventKey>"),
        Event::Click { key: "K1".into() }
    );
    assert_eq!(
        event("<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://q]]></EventKey><MenuId>123</MenuId>"),
        Event::View { url: "https://q".into(), menu_id: Some("123".into()) }
    );
    assert_eq!(
        event("<Event><![CDATA[view_miniprogram]]></Event><EventKey><![CDATA[pages/i]]></EventKey><MenuId>9</MenuId>"),
        Event::ViewMiniprogram { page_path: "pages/i".into(), menu_id: Some("9".into()) }
    );
    let scan = "<EventKey><![CDATA[s]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>";
    let info = ScanCodeInfo {
        key: "s".into(),
        scan_type: "qrcode".into(),
        scan_result: "1".into(),
    };
    assert_eq!(
        event(&format!("<Event><![CDATA[scancode_push]]></Event>{scan}")),
        Event::ScancodePush(info.clone())
    );
    assert_eq!(
        event(&format!(
            "<Event><![CDATA[scancode_waitmsg]]></Event>{scan}"
        )),
        Event::ScancodeWaitmsg(info)
    );
    let pics = "<EventKey><![CDATA[p]]></EventKey><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[b]]></PicMd5Sum></item></PicList></SendPicsInfo>";
    let info = SendPicsInfo {
        key: "p".into(),
        count: 2,
        pic_md5_sums: vec!["a".into(), "b".into()],
    };
    assert_eq!(
        event(&format!("<Event><![CDATA[pic_sysphoto]]></Event>{pics}")),
        Event::PicSysphoto(info.clone())
    );
    assert_eq!(
        event(&format!(
            "<Event><![CDATA[pic_photo_or_album]]></Event>{pics}"
        )),
        Event::PicPhotoOrAlbum(info.clone())
    );
    assert_eq!(
        event(&format!("<Event><![CDATA[pic_weixin]]></Event>{pics}")),
        Event::PicWeixin(info)
    );
    let loc = event("<Event><![CDATA[location_select]]></Event><EventKey><![CDATA[l]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[广州]]></Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo>");
    assert_eq!(
        loc,
        Event::LocationSelect(SendLocationInfo {
            key: "l".into(),
            latitude: Some(23.0),
            longitude: Some(113.0),
            scale: Some("15".into()),
            label: "广州".into(),
            poi_name: None
        })
    );
}

#[test]
fn location_event() {
    assert_eq!(
        event("<Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>"),
        Event::Location { latitude: 23.137466, longitude: 113.352425, precision: 119.38504 }
    );
}

#[test]
fn job_finish_events() {
    assert_eq!(
        event("<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>"),
        Event::TemplateSendJobFinish { msg_id: 200_163_836, status: "success".into() }
    );
    let e = event("<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1988</MsgID><Status><![CDATA[send success]]></Status><TotalCount>100</TotalCount><FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount><CopyrightCheckResult><Count>0</Count><ResultList/><CheckState>1</CheckState></CopyrightCheckResult>");
    assert_eq!(
        e,
        Event::MassSendJobFinish(MassSendJobFinish {
            msg_id: 1988,
            status: "send success".into(),
            total_count: 100,
            filter_count: 80,
            sent_count: 75,
            error_count: 5
        })
    );
    let p = event("<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status><article_id><![CDATA[b5O2]]></article_id></PublishEventInfo>");
    assert_eq!(
        p,
        Event::PublishJobFinish {
            publish_id: "2247503051".into(),
            publish_status: 0,
            article_id: Some("b5O2".into())
        }
    );
}

#[test]
fn subscribe_message_kf_and_verify_events() {
    let e = event("<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List><TemplateId><![CDATA[T1]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List><List><TemplateId><![CDATA[T2]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent>");
    let Event::SubscribeMsgPopup(items) = e else {
        panic!("{e:?}")
    };
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["SubscribeStatusString"], "reject");
    assert_eq!(
        event("<Event><![CDATA[kf_switch_session]]></Event><FromKfAccount><![CDATA[a@x]]></FromKfAccount><ToKfAccount><![CDATA[b@x]]></ToKfAccount>"),
        Event::KfSwitchSession { from_kf_account: "a@x".into(), to_kf_account: "b@x".into() }
    );
    let v = event("<Event><![CDATA[qualification_verify_fail]]></Event><FailTime>1442401122</FailTime><FailReason><![CDATA[by time]]></FailReason>");
    assert_eq!(
        v,
        Event::Verify {
            name: "qualification_verify_fail".into(),
            notice: VerifyNotice {
                expired_time: None,
                fail_time: Some(1_442_401_122),
                fail_reason: Some("by time".into())
            }
        }
    );
}

#[test]
fn unknown_types_are_kept_raw() {
    let m = parse("<MsgType><![CDATA[miniprogrampage]]></MsgType><Title><![CDATA[t]]></Title><MsgId>7</MsgId>");
    let MessageKind::Unknown { fields } = &m.kind else {
        panic!()
    };
    assert_eq!(fields["Title"], "t");
    let e = event(
        "<Event><![CDATA[brand_new_event]]></Event><EventKey><![CDATA[k]]></EventKey><Foo>1</Foo>",
    );
    let Event::Other {
        event,
        event_key,
        fields,
    } = e
    else {
        panic!()
    };
    assert_eq!(
        (event.as_str(), event_key.as_deref(), fields["Foo"].as_str()),
        ("brand_new_event", Some("k"), "1")
    );
}

#[test]
fn event_dedupe_key_uses_sender_time_event_and_key() {
    let m = parse("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[K]]></EventKey>");
    assert_eq!(m.dedupe_key(), "event:oU1:1700000000:CLICK:K");
    let m = parse("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>9</MsgID><Status>x</Status>");
    assert_eq!(
        m.dedupe_key(),
        "event:oU1:1700000000:TEMPLATESENDJOBFINISH:"
    );
}

#[test]
fn header_errors() {
    assert!(matches!(
        Message::parse_str("<xml><FromUserName>a</FromUserName></xml>"),
        Err(WechatError::MissingField("ToUserName"))
    ));
    let bad_time = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>x</CreateTime><MsgType>text</MsgType></xml>";
    assert!(matches!(
        Message::parse_str(bad_time),
        Err(WechatError::InvalidField("CreateTime"))
    ));
}
