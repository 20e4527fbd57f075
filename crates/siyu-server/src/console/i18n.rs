//! Console text in Simplified Chinese (the default) and English.

use std::collections::BTreeMap;

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Parses `zh` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code stored in cookies and on staff records.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The HTML `lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// `(key, 中文, English)` for every string the console shows.
const MESSAGES: &[(&str, &str, &str)] = &[
    ("app_name", "私域", "siyu"),
    (
        "tagline",
        "微信私域电商平台",
        "Private-domain commerce on WeChat",
    ),
    ("switch_lang", "English", "中文"),
    ("nav_dashboard", "概览", "Dashboard"),
    ("nav_staff", "员工", "Staff"),
    ("nav_audit", "审计日志", "Audit log"),
    ("nav_settings", "设置", "Settings"),
    ("nav_platform", "平台商户", "Merchants"),
    ("logout", "退出登录", "Sign out"),
    ("login_title", "登录商户后台", "Sign in to the console"),
    ("login", "账号", "Login"),
    ("password", "密码", "Password"),
    ("sign_in", "登录", "Sign in"),
    ("login_failed", "账号或密码错误", "Wrong login or password"),
    (
        "login_throttled",
        "尝试次数过多，请 15 分钟后再试",
        "Too many attempts; try again in 15 minutes",
    ),
    ("dashboard_title", "概览", "Dashboard"),
    ("welcome", "欢迎回来", "Welcome back"),
    ("count_fans", "关注中的粉丝", "Following fans"),
    ("count_staff", "在职员工", "Active staff"),
    ("count_keys", "有效 API 密钥", "Active API keys"),
    ("count_audit", "近 7 天操作", "Actions in 7 days"),
    ("count_jobs", "排队中的任务", "Queued jobs"),
    (
        "dashboard_next",
        "接入公众号、创建渠道二维码后，粉丝与订单数据将显示在这里。",
        "Fans and orders appear here once an Official Account and channel QR codes are connected.",
    ),
    ("staff_title", "员工", "Staff"),
    ("role", "角色", "Role"),
    ("role_owner", "店主", "Owner"),
    ("role_operator", "运营", "Operator"),
    ("role_clerk", "店员/导购", "Clerk"),
    ("role_platform_admin", "平台管理员", "Platform admin"),
    ("created_at", "创建时间", "Created"),
    ("status", "状态", "Status"),
    ("active", "正常", "Active"),
    ("disabled", "已停用", "Disabled"),
    ("disable", "停用", "Disable"),
    ("add_staff", "添加员工", "Add staff"),
    ("create", "创建", "Create"),
    ("audit_title", "审计日志", "Audit log"),
    ("time", "时间", "Time"),
    ("actor", "操作者", "Actor"),
    ("action", "操作", "Action"),
    ("target", "对象", "Target"),
    ("detail", "详情", "Detail"),
    ("load_more", "加载更多", "Load more"),
    ("no_entries", "暂无记录", "No entries yet"),
    ("settings_title", "设置", "Settings"),
    ("merchant_name", "商户名称", "Merchant name"),
    ("save", "保存", "Save"),
    ("saved", "已保存", "Saved"),
    ("api_keys", "API 密钥", "API keys"),
    ("label", "备注", "Label"),
    ("prefix", "前缀", "Prefix"),
    ("last_used", "最近使用", "Last used"),
    ("revoke", "吊销", "Revoke"),
    ("revoked", "已吊销", "Revoked"),
    ("new_key", "新建密钥", "New key"),
    (
        "key_once",
        "请立即复制保存，此密钥只显示这一次：",
        "Copy it now; this key is shown only once:",
    ),
    ("tenant_id", "商户 ID", "Merchant ID"),
    ("platform_title", "平台商户", "Merchants on this platform"),
    ("add_merchant", "新增商户", "Add merchant"),
    (
        "merchant_created",
        "商户已创建。其 API 密钥（只显示一次）：",
        "Merchant created. Its API key (shown once):",
    ),
    ("staff_count", "员工数", "Staff"),
    ("error_title", "出错了", "Something went wrong"),
    ("back", "返回", "Back"),
    (
        "forbidden",
        "您的角色无权执行此操作",
        "Your role does not allow this",
    ),
    ("never", "从未", "Never"),
    ("nav_wechat", "公众号", "Official Accounts"),
    ("nav_fans", "粉丝", "Fans"),
    ("wechat_title", "公众号", "Official Accounts"),
    ("account_name", "名称", "Name"),
    ("wechat_mode", "消息加解密方式", "Encryption mode"),
    ("mode_plain", "明文模式", "Plain"),
    ("mode_compatible", "兼容模式", "Compatible"),
    ("mode_safe", "安全模式", "Safe"),
    ("callback_url", "服务器地址 (URL)", "Server URL"),
    ("no_accounts", "尚未接入公众号", "No Official Account connected yet"),
    ("connect_account", "接入公众号", "Connect an Official Account"),
    ("connect_hint", "在公众号后台「设置与开发 → 基本配置 → 服务器配置」中找到这些值；保存后把上方的服务器地址填回后台。", "Find these values in WeChat's admin under Settings & Development → Basic configuration → Server configuration; then paste the server URL shown above back there."),
    ("welcome_text", "关注欢迎语", "Welcome message"),
    ("fans_title", "粉丝", "Fans"),
    ("fans_total", "客户总数", "Customers"),
    ("fans_following", "关注中", "following"),
    ("fan", "粉丝", "Fan"),
    ("following", "关注中", "Following"),
    ("not_following", "已取关", "Unfollowed"),
    ("first_channel", "首次渠道", "First channel"),
    ("last_channel", "最近渠道", "Last channel"),
    ("last_interaction", "最近互动", "Last interaction"),
    ("no_fans", "还没有粉丝互动", "No fan has interacted yet"),
    ("last_location", "最近位置", "Last location"),
    ("follow_history", "关注记录", "Follow history"),
    ("follow", "关注", "Followed"),
    ("unfollow", "取消关注", "Unfollowed"),
    ("conversation", "消息记录", "Conversation"),
    ("msg_type", "类型", "Type"),
    ("content", "内容", "Content"),
    ("menu_title", "自定义菜单", "Custom menu"),
    ("nav_channels", "渠道二维码", "Channel QR codes"),
    ("nav_vouchers", "优惠券", "Vouchers"),
    ("nav_me", "我的二维码", "My QR code"),
    ("me_title", "我的导购二维码", "My associate QR code"),
    ("me_hint", "顾客扫你的二维码关注，就算你带来的粉丝。", "Fans who follow by scanning your code are yours."),
    ("me_make", "生成我的二维码", "Create my QR code"),
    ("my_fans", "我带来的粉丝", "Fans I brought"),
    ("nav_redeem", "核销", "Redeem"),
    ("redeem_title", "核销优惠券", "Redeem a voucher"),
    ("redeem_hint", "扫描顾客的券码二维码（扫码枪会自动填入），或手动输入券码。", "Scan the customer's voucher QR (a scanner types it in) or type the code."),
    ("redeem_ok", "核销成功", "Redeemed"),
    ("redeem_button", "核销", "Redeem"),
    ("voucher_code", "券码", "Voucher code"),
    ("store_name", "门店", "Store"),
    ("spend_yuan", "消费金额（元，可选）", "Bill (yuan, optional)"),
    ("vouchers_title", "优惠券", "Vouchers"),
    ("voucher_name", "名称", "Name"),
    ("voucher_benefit", "优惠", "Benefit"),
    ("voucher_min_spend", "最低消费（元）", "Minimum spend (yuan)"),
    ("voucher_issued", "已发放 / 总量", "Issued / stock"),
    ("voucher_limit", "每人限领", "Per person"),
    ("voucher_new", "新建优惠券", "New voucher"),
    ("voucher_kind", "类型", "Kind"),
    ("voucher_value", "面额（元）/ 折扣（%）/ 赠品", "Amount (yuan) / percent / item"),
    ("voucher_stock", "总量", "Stock"),
    ("kind_amount_off", "满减券", "Amount off"),
    ("kind_percent_off", "折扣券", "Percent off"),
    ("kind_free_item", "赠品券", "Free item"),
    ("redemptions_30d", "近 30 天核销（按门店与店员）", "Redemptions in 30 days (by store and clerk)"),
    ("redeemed_by", "核销人", "Redeemed by"),
    ("count", "次数", "Count"),
    ("channels_title", "渠道二维码", "Channel QR codes"),
    ("channels_hint", "每个触点（包装、吊牌、海报、桌台、导购……）一个二维码：看清哪个渠道带来了哪些粉丝、留下了多少、有多少仍然活跃。", "One QR code per touchpoint (package, tag, poster, table, associate…): see which channel brought which fans, how many stayed and how many are active."),
    ("channel_name", "渠道名称", "Channel"),
    ("channel_kind", "类型", "Kind"),
    ("channel_cost", "投放成本（元）", "Cost (yuan)"),
    ("channel_days", "临时码有效天数（留空为永久码）", "Temporary code, days (empty: permanent)"),
    ("add_channel", "新建渠道", "New channel"),
    ("no_channels", "还没有渠道二维码", "No channel QR codes yet"),
    ("channel_fans", "该渠道带来的粉丝", "Fans this channel brought"),
    ("download_png", "下载 PNG（印刷尺寸）", "Download PNG (print size)"),
    ("stat_scans", "扫码", "Scans"),
    ("stat_follows", "新关注", "New follows"),
    ("stat_unfollows", "已取关", "Unfollowed"),
    ("stat_retained_7d", "7 日留存", "Retained 7 days"),
    ("stat_retained_30d", "30 日留存", "Retained 30 days"),
    ("stat_active", "活跃粉丝", "Active fans"),
    ("stat_cost_per_fan", "每留存粉丝成本", "Cost per retained fan"),
    ("kind_package", "包装", "Package"),
    ("kind_tag", "吊牌", "Tag"),
    ("kind_poster", "海报", "Poster"),
    ("kind_table", "桌台", "Table"),
    ("kind_store", "门店", "Store"),
    ("kind_associate", "导购", "Associate"),
    ("kind_event", "活动", "Event"),
    ("kind_ad", "广告", "Ad"),
    ("kind_online", "线上", "Online"),
    ("replies_edit", "自动回复", "Auto-replies"),
    ("replies_title", "自动回复与知识库", "Auto-replies and knowledge base"),
    ("replies_try", "试一试", "Try it"),
    ("replies_try_hint", "输入粉丝可能发送的问题", "Type what a fan might send"),
    ("replies_try_button", "测试", "Test"),
    ("replies_rules", "关键词回复", "Keyword replies"),
    ("replies_match", "匹配方式", "Match"),
    ("match_exact", "全匹配", "Exact"),
    ("match_contains", "包含", "Contains"),
    ("match_regex", "正则", "Regex"),
    ("replies_keywords", "关键词", "Keywords"),
    ("replies_reply", "回复内容", "Reply"),
    ("replies_priority", "优先级", "Priority"),
    ("replies_kb", "常见问题知识库", "FAQ knowledge base"),
    ("replies_questions", "问题", "Questions"),
    ("replies_questions_hint", "问题（每行一种问法，问法越多越容易匹配）", "Questions (one phrasing per line; more phrasings match more fans)"),
    ("replies_answer", "答案", "Answer"),
    ("replies_fallback", "无法匹配时", "When nothing matches"),
    ("replies_fallback_hint", "兜底回复（留空则不回复）", "Fallback reply (empty: no reply)"),
    ("replies_transfer", "转人工客服", "Transfer to customer service"),
    ("replies_saved", "已保存", "Saved"),
    ("delete", "删除", "Delete"),
    ("source_rule", "命中关键词规则", "Keyword rule"),
    ("source_knowledge", "知识库答案", "Knowledge base"),
    ("source_fallback", "兜底回复", "Fallback"),
    ("source_nothing", "不回复", "No reply"),
    ("menu_hint", "最多 3 个一级菜单，每个最多 5 个子菜单；一级菜单名称最多 16 字节（约 5 个汉字），子菜单最多 60 字节。填写子菜单后，一级菜单只作为分组。", "Up to 3 top-level buttons with up to 5 sub-buttons each; top-level names up to 16 bytes (about 5 Chinese characters), sub-button names up to 60 bytes. A top-level button with sub-buttons only groups them."),
    ("menu_published", "最近发布到微信", "Last published to WeChat"),
    ("menu_button", "一级菜单", "Button"),
    ("menu_sub", "子菜单", "Sub-button"),
    ("menu_name", "名称", "Name"),
    ("menu_type", "类型", "Type"),
    ("menu_value", "Key 或网址", "Key or URL"),
    ("menu_save", "保存并发布", "Save and publish"),
    ("menu_saved", "已保存，正在发布到微信", "Saved; publishing to WeChat"),
    ("menu_edit", "编辑菜单", "Edit menu"),
    ("sync_followers", "同步已有粉丝", "Import existing followers"),
    ("sync_started", "已开始同步粉丝", "Follower import started"),
    ("menu_kind_click", "点击推事件", "Click (event)"),
    ("menu_kind_view", "跳转网页", "Open web page"),
    ("menu_kind_scancode_push", "扫码推事件", "Scan code"),
    ("menu_kind_scancode_waitmsg", "扫码带提示", "Scan code and wait"),
    ("menu_kind_pic_sysphoto", "系统拍照发图", "Take photo"),
    ("menu_kind_pic_photo_or_album", "拍照或相册发图", "Photo or album"),
    ("menu_kind_pic_weixin", "微信相册发图", "WeChat album"),
    ("menu_kind_location_select", "发送位置", "Send location"),
    ("menu_kind_media_id", "下发素材", "Send material"),
    ("menu_kind_article_id", "发布后的图文", "Published article"),
];

/// The console's messages in `lang`, keyed for templates (`{{ t.key }}`).
pub fn messages(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    MESSAGES
        .iter()
        .map(|(k, zh, en)| (*k, if lang == Lang::Zh { *zh } else { *en }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let keys: std::collections::BTreeSet<_> = MESSAGES.iter().map(|m| m.0).collect();
        assert_eq!(keys.len(), MESSAGES.len(), "duplicate message key");
        for (k, zh, en) in MESSAGES {
            assert!(!zh.is_empty() && !en.is_empty(), "{k} lacks a translation");
        }
        assert_eq!(messages(Lang::Zh)["nav_staff"], "员工");
        assert_eq!(messages(Lang::En)["nav_staff"], "Staff");
    }
}
