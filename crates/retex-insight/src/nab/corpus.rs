//! Reading the Numenta Anomaly Benchmark's files from text: a data series (`timestamp,value`), a detector's
//! results (`timestamp,value,anomaly_score,...`), the label windows (`combined_windows.json`) and the compact
//! score file the tests rebuild published results from. The caller reads the files; errors name the line.

use std::collections::BTreeMap;

/// A timestamp as microseconds since 1970-01-01 00:00 (the corpus has no time zones), so that NAB's two
/// spellings, `2014-04-10 07:15:00` in the data and `2014-04-10 07:15:00.000000` in the windows, compare equal.
pub type Timestamp = i64;

/// What is wrong with a NAB text and on which line (1-based; 0 when the text as a whole is wrong).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct NabParseError {
    pub line: usize,
    pub problem: String,
}

fn invalid(line: usize, problem: impl Into<String>) -> NabParseError {
    NabParseError {
        line,
        problem: problem.into(),
    }
}

/// One series of a NAB file: its timestamps, values and (for results files) a detector's anomaly scores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub timestamps: Vec<Timestamp>,
    pub values: Vec<f64>,
    /// Empty for a data file; one per row for a results file.
    pub anomaly_scores: Vec<f64>,
}

/// A label window: its first and last timestamps, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimits {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Writes a timestamp as `YYYY-MM-DD HH:MM:SS` (with `.ffffff` when it has a fraction), for messages.
pub fn format_timestamp(timestamp: Timestamp) -> String {
    let micros = timestamp.rem_euclid(1_000_000);
    let seconds = timestamp.div_euclid(1_000_000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's `civil_from_days`.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    let mut text = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if micros != 0 {
        text.push_str(&format!(".{micros:06}"));
    }
    text
}

fn number(text: &str, low: i64, high: i64) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let value: i64 = text.parse().ok()?;
    (low..=high).contains(&value).then_some(value)
}

/// Parses `YYYY-MM-DD HH:MM:SS` with an optional fraction of up to six digits.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let (date, time) = text.trim().split_once(' ')?;
    let mut date_parts = date.split('-');
    let year = number(date_parts.next()?, 1, 9999)?;
    let month = number(date_parts.next()?, 1, 12)?;
    let day = number(date_parts.next()?, 1, 31)?;
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, fraction),
        None => (time, ""),
    };
    let mut clock_parts = clock.split(':');
    let hour = number(clock_parts.next()?, 0, 23)?;
    let minute = number(clock_parts.next()?, 0, 59)?;
    let second = number(clock_parts.next()?, 0, 60)?;
    if date_parts.next().is_some() || clock_parts.next().is_some() || fraction.len() > 6 {
        return None;
    }
    let mut micros = 0;
    if !fraction.is_empty() {
        micros = number(fraction, 0, 999_999)? * 10_i64.pow(6 - fraction.len() as u32);
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(seconds * 1_000_000 + micros)
}

fn column(header: &[&str], name: &str) -> Result<usize, NabParseError> {
    match header.iter().position(|field| field.trim() == name) {
        Some(index) => Ok(index),
        None => Err(invalid(1, format!("header has no `{name}` column"))),
    }
}

fn float_field(fields: &[&str], index: usize, name: &str, line: usize) -> Result<f64, NabParseError> {
    let Some(text) = fields.get(index) else {
        return Err(invalid(line, format!("missing `{name}`")));
    };
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(invalid(line, format!("`{name}` is not a finite number: {text:?}"))),
    }
}

/// Reads a NAB CSV: the `timestamp` and `value` columns, and `anomaly_score` when `with_anomaly_scores`
/// (a results file). Timestamps need not increase: one file of the corpus repeats an hour (a clock change).
pub fn parse_series_csv(text: &str, with_anomaly_scores: bool) -> Result<Series, NabParseError> {
    let mut lines = text.lines();
    let Some(header_line) = lines.next() else {
        return Err(invalid(0, "empty file"));
    };
    let header: Vec<&str> = header_line.trim_start_matches('\u{feff}').split(',').collect();
    let timestamp_column = column(&header, "timestamp")?;
    let value_column = column(&header, "value")?;
    let score_column = if with_anomaly_scores {
        Some(column(&header, "anomaly_score")?)
    } else {
        None
    };
    let mut series = Series::default();
    for (index, line_text) in lines.enumerate() {
        let line = index + 2;
        if line_text.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line_text.split(',').collect();
        let timestamp_text = fields.get(timestamp_column).copied().unwrap_or("");
        let Some(timestamp) = parse_timestamp(timestamp_text) else {
            return Err(invalid(line, format!("bad timestamp {timestamp_text:?}")));
        };
        series.timestamps.push(timestamp);
        series.values.push(float_field(&fields, value_column, "value", line)?);
        if let Some(score_column) = score_column {
            let score = float_field(&fields, score_column, "anomaly_score", line)?;
            if !(0.0..=1.0).contains(&score) {
                return Err(invalid(line, format!("anomaly_score {score} is outside [0, 1]")));
            }
            series.anomaly_scores.push(score);
        }
    }
    Ok(series)
}

/// Reads `combined_windows.json`: for each data file (`realTraffic/speed_7578.csv`), its windows in order.
pub fn parse_windows_json(text: &str) -> Result<BTreeMap<String, Vec<WindowLimits>>, NabParseError> {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => return Err(invalid(error.line(), error.to_string())),
    };
    let Some(files) = value.as_object() else {
        return Err(invalid(1, "expected an object of file names"));
    };
    let mut windows = BTreeMap::new();
    for (file, limits_list) in files {
        let Some(limits_list) = limits_list.as_array() else {
            return Err(invalid(0, format!("{file}: expected a list of windows")));
        };
        let mut file_windows = Vec::new();
        for limits in limits_list {
            let pair = limits.as_array().map(Vec::as_slice).unwrap_or_default();
            let parsed: Vec<Timestamp> = pair.iter().filter_map(|text| parse_timestamp(text.as_str()?)).collect();
            let [start, end] = parsed[..] else {
                return Err(invalid(0, format!("{file}: a window is not two timestamps: {limits}")));
            };
            if end < start || file_windows.last().is_some_and(|last: &WindowLimits| last.end >= start) {
                return Err(invalid(
                    0,
                    format!("{file}: windows must be ordered and apart: {limits}"),
                ));
            }
            file_windows.push(WindowLimits { start, end });
        }
        windows.insert(file.clone(), file_windows);
    }
    Ok(windows)
}

/// Reads the compact score file: per series, a line `= name` followed by one line of space-separated
/// scores, each the shortest text that parses back to the same `f64`, without the leading zero of a fraction
/// (`1`, `.5`, `.617299730383`).
pub fn parse_compact_scores(text: &str) -> Result<Vec<(String, Vec<f64>)>, NabParseError> {
    let mut series: Vec<(String, Vec<f64>)> = Vec::new();
    for (index, line_text) in text.lines().enumerate() {
        let line = index + 1;
        if line_text.starts_with('#') || line_text.is_empty() {
            continue;
        }
        if let Some(name) = line_text.strip_prefix("= ") {
            series.push((name.to_owned(), Vec::new()));
            continue;
        }
        let Some((_, scores)) = series.last_mut() else {
            return Err(invalid(line, "scores before the first `= name` line"));
        };
        for word in line_text.split(' ') {
            match word.parse::<f64>() {
                Ok(score) if (0.0..=1.0).contains(&score) => scores.push(score),
                _ => return Err(invalid(line, format!("bad score {word:?}"))),
            }
        }
    }
    Ok(series)
}

/// Writes what [`parse_compact_scores`] reads.
pub fn format_compact_scores(series: &[(String, Vec<f64>)]) -> String {
    let mut text = String::new();
    for (name, scores) in series {
        text.push_str("= ");
        text.push_str(name);
        text.push('\n');
        let mut words = Vec::with_capacity(scores.len());
        for score in scores {
            let word = score.to_string();
            match word.strip_prefix('0') {
                Some(fraction) if fraction.starts_with('.') => words.push(fraction.to_owned()),
                _ => words.push(word),
            }
        }
        text.push_str(&words.join(" "));
        text.push('\n');
    }
    text
}
