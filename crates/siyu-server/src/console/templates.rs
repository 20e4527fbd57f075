//! Console templates, embedded in the binary and rendered with minijinja.

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::error::ApiError;

/// The compiled template set.
pub struct Templates {
    env: Environment<'static>,
}

const FILES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("staff.html", include_str!("../../templates/staff.html")),
    ("audit.html", include_str!("../../templates/audit.html")),
    (
        "audit_rows.html",
        include_str!("../../templates/audit_rows.html"),
    ),
    (
        "settings.html",
        include_str!("../../templates/settings.html"),
    ),
    (
        "platform.html",
        include_str!("../../templates/platform.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
    ("wechat.html", include_str!("../../templates/wechat.html")),
    ("fans.html", include_str!("../../templates/fans.html")),
    ("fan.html", include_str!("../../templates/fan.html")),
    (
        "membership.html",
        include_str!("../../templates/membership.html"),
    ),
    ("member.html", include_str!("../../templates/member.html")),
    ("h5_card.html", include_str!("../../templates/h5_card.html")),
    ("imports.html", include_str!("../../templates/imports.html")),
    (
        "conflicts.html",
        include_str!("../../templates/conflicts.html"),
    ),
    (
        "import_result.html",
        include_str!("../../templates/import_result.html"),
    ),
    ("menu.html", include_str!("../../templates/menu.html")),
    ("replies.html", include_str!("../../templates/replies.html")),
    (
        "channels.html",
        include_str!("../../templates/channels.html"),
    ),
    ("redeem.html", include_str!("../../templates/redeem.html")),
    (
        "vouchers.html",
        include_str!("../../templates/vouchers.html"),
    ),
    ("channel.html", include_str!("../../templates/channel.html")),
    ("me.html", include_str!("../../templates/me.html")),
    (
        "segments.html",
        include_str!("../../templates/segments.html"),
    ),
    (
        "segment_count.html",
        include_str!("../../templates/segment_count.html"),
    ),
    ("pushes.html", include_str!("../../templates/pushes.html")),
    ("push.html", include_str!("../../templates/push.html")),
    ("draws.html", include_str!("../../templates/draws.html")),
    ("draw.html", include_str!("../../templates/draw.html")),
    ("h5_draw.html", include_str!("../../templates/h5_draw.html")),
    (
        "h5_voucher.html",
        include_str!("../../templates/h5_voucher.html"),
    ),
    (
        "try_result.html",
        include_str!("../../templates/try_result.html"),
    ),
];

impl Templates {
    /// Loads every template; a syntax error here is a bug caught by the first test.
    pub fn load() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        // Printing a missing variable or message key is an error, not a silently empty string;
        // `{% if x %}` on an absent optional value is still allowed.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        for (name, src) in FILES {
            env.add_template(name, src)?;
        }
        Ok(Self { env })
    }

    /// Renders `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, ApiError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| {
                tracing::error!(template = name, error = %e, "template failed");
                ApiError::Internal
            })
    }
}

/// Formats Unix milliseconds as `YYYY-MM-DD HH:MM` in China Standard Time (UTC+8).
pub fn format_time(ms: i64) -> String {
    let t = siyu_domain::calendar::china_time(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_china_time() {
        assert_eq!(format_time(0), "1970-01-01 08:00");
        assert_eq!(format_time(1_795_420_800_000), "2026-11-23 16:00");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 08:00");
    }

    #[test]
    fn templates_compile() {
        Templates::load().unwrap();
    }
}
