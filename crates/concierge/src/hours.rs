//! Business hours: weekly opening times and holidays in the company's time
//! zone, whether a person is there now, and when one will be.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One opening period of a weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningPeriod {
    /// `mon` … `sun`.
    #[schema(pattern = "^(mon|tue|wed|thu|fri|sat|sun)$")]
    pub day: String,
    /// Opening time, `HH:MM`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub open: String,
    /// Closing time, `HH:MM`, after `open`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub close: String,
}

/// A checked period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open {
    /// The weekday.
    pub day: Weekday,
    /// From.
    pub open: NaiveTime,
    /// Until.
    pub close: NaiveTime,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

impl OpeningPeriod {
    /// The period checked, or what is wrong with it.
    pub fn check(&self) -> Result<Open, String> {
        let day = DAYS
            .iter()
            .find(|(k, _)| *k == self.day)
            .map(|(_, d)| *d)
            .ok_or_else(|| format!("`{}` is not a weekday (mon … sun)", self.day))?;
        let t = |s: &str| {
            let exact = s.len() == 5 && s.as_bytes()[2] == b':';
            NaiveTime::parse_from_str(s, "%H:%M")
                .ok()
                .filter(|_| exact)
                .ok_or_else(|| format!("`{s}` is not a time (HH:MM)"))
        };
        let (open, close) = (t(&self.open)?, t(&self.close)?);
        if close <= open {
            return Err(format!("closes at {} before it opens at {}", self.close, self.open));
        }
        Ok(Open { day, open, close })
    }
}

/// A company's hours: no periods means always open.
#[derive(Debug, Clone, Default)]
pub struct Hours {
    /// Weekly periods.
    pub periods: Vec<Open>,
    /// Closed all day.
    pub holidays: Vec<NaiveDate>,
    /// The company's time zone.
    pub tz: Option<Tz>,
}

impl Hours {
    fn tz(&self) -> Tz {
        self.tz.unwrap_or(chrono_tz::Asia::Kolkata)
    }

    /// Whether someone is there at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        if self.periods.is_empty() {
            return true;
        }
        let local = now.with_timezone(&self.tz());
        if self.holidays.contains(&local.date_naive()) {
            return false;
        }
        let t = local.time();
        self.periods.iter().any(|p| p.day == local.weekday() && p.open <= t && t < p.close)
    }

    /// The next time someone is there after `now` (within four weeks),
    /// in the company's time zone; `None` when always open or never.
    pub fn next_open(&self, now: DateTime<Utc>) -> Option<DateTime<Tz>> {
        if self.periods.is_empty() {
            return None;
        }
        let tz = self.tz();
        let local = now.with_timezone(&tz);
        for offset in 0..28 {
            let date = local.date_naive() + Duration::days(offset);
            if self.holidays.contains(&date) {
                continue;
            }
            let mut opens: Vec<NaiveTime> =
                self.periods.iter().filter(|p| p.day == date.weekday()).map(|p| p.open).collect();
            opens.sort();
            for o in opens {
                if let Some(at) = tz.from_local_datetime(&date.and_time(o)).earliest()
                    && at > local
                {
                    return Some(at);
                }
            }
        }
        None
    }

    /// "today at 09:00", "tomorrow at 09:00" or "on Monday 14 Dec at
    /// 09:00" (with the zone's abbreviation), for telling a customer.
    pub fn describe_next(&self, now: DateTime<Utc>) -> Option<String> {
        let at = self.next_open(now)?;
        let today = now.with_timezone(&self.tz()).date_naive();
        let day = if at.date_naive() == today {
            "today".to_string()
        } else if Some(at.date_naive()) == today.succ_opt() {
            "tomorrow".to_string()
        } else {
            format!("on {}", at.format("%A %-d %b"))
        };
        Some(format!("{day} at {} ({})", at.format("%H:%M"), at.format("%Z")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> Hours {
        let p =
            |d: &str| OpeningPeriod { day: d.into(), open: "09:00".into(), close: "18:00".into() };
        Hours {
            periods: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| p(d).check().unwrap_or_else(|e| panic!("{e}")))
                .collect(),
            holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap_or_default()],
            tz: Some(chrono_tz::Asia::Kolkata),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn open_in_the_company_zone() {
        let h = hours();
        // Monday 7 Dec 2026, 10:00 IST = 04:30 UTC.
        assert!(h.is_open(at("2026-12-07T04:30:00Z")));
        // 19:00 IST.
        assert!(!h.is_open(at("2026-12-07T13:30:00Z")));
        // Saturday.
        assert!(!h.is_open(at("2026-12-12T06:00:00Z")));
        // Christmas, a Friday.
        assert!(!h.is_open(at("2026-12-25T06:00:00Z")));
        assert!(Hours::default().is_open(at("2026-12-12T06:00:00Z")));
    }

    #[test]
    fn tells_when_someone_will_reply() {
        let h = hours();
        assert_eq!(
            h.describe_next(at("2026-12-07T13:30:00Z")).as_deref(),
            Some("tomorrow at 09:00 (IST)")
        );
        assert_eq!(
            h.describe_next(at("2026-12-07T02:00:00Z")).as_deref(),
            Some("today at 09:00 (IST)")
        );
        // Thursday 24 Dec evening: Friday is a holiday, the weekend closed.
        assert_eq!(
            h.describe_next(at("2026-12-24T14:00:00Z")).as_deref(),
            Some("on Monday 28 Dec at 09:00 (IST)")
        );
    }

    #[test]
    fn refuses_bad_periods() {
        let p =
            OpeningPeriod { day: "someday".into(), open: "09:00".into(), close: "18:00".into() };
        assert!(p.check().is_err());
        let p = OpeningPeriod { day: "mon".into(), open: "18:00".into(), close: "09:00".into() };
        assert!(p.check().is_err());
    }
}
