//! Tests of the tabular loaders: every quirk on small inline files, and the real fetched files
//! when present (skipped with a note otherwise: CI does not fetch them).

use std::path::{Path, PathBuf};

use super::*;
use crate::data::idx::test_dir;
use crate::error::DataError;
use crate::{Grouped, GroupedSplit};

/// Three training rows: a `?` category, no trailing '.', a trailing blank line.
const ADULT_TRAIN: &str = "\
39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K
50, ?, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, Black, Female, 0, 0, 13, United-States, >50K
28, Private, 338409, Masters, 14, Married-civ-spouse, Prof-specialty, Wife, White, Female, 0, 0, 40, Cuba, <=50K

";

/// Two test rows: the `|` comment line, labels with '.', categories unseen in training
/// (`11th`, `Sales`, `Peru`, ...), blank lines.
const ADULT_TEST: &str = "\
|1x3 Cross validator
25, Private, 226802, 11th, 7, Never-married, Sales, Own-child, Other, Male, 0, 0, 40, Peru, <=50K.

38, Private, 89814, HS-grad, 9, Married-civ-spouse, Prof-specialty, Husband, White, Male, 0, 0, 50, United-States, >50K.

";

fn write_adult(dir: &Path, train: &str, test: &str) {
    std::fs::write(dir.join("adult.data"), train).unwrap();
    std::fs::write(dir.join("adult.test"), test).unwrap();
}

#[test]
fn adult_handles_comment_trailing_dot_missing_and_blank_lines() {
    let dir = test_dir("adult");
    write_adult(&dir, ADULT_TRAIN, ADULT_TEST);
    let s = Adult::load(&dir, Protected::Sex).unwrap();
    assert_eq!((s.train.data.n, s.test.data.n), (3, 2));
    assert_eq!(s.train.data.labels, vec![0, 1, 0]);
    assert_eq!(s.test.data.labels, vec![0, 1]);
    assert_eq!(s.train.names, vec!["Female", "Male"]);
    assert_eq!(s.train.groups, vec![1, 0, 0]);
    assert_eq!(s.test.groups, vec![1, 1]);
    // 6 continuous + workclass {?, Private, State-gov} + education 2 + marital 2 +
    // occupation 3 + relationship 3 + race 2 + sex 2 + country 2.
    assert_eq!(s.train.data.d, 6 + 3 + 2 + 2 + 3 + 3 + 2 + 2 + 2);
    // Training continuous columns are standardised: age 39, 50, 28 -> mean 39.
    let age: Vec<f32> = (0..3).map(|i| s.train.data.row(i)[0]).collect();
    assert!(
        age[0].abs() < 1e-6 && (age[1] + age[2]).abs() < 1e-6,
        "{age:?}"
    );
    let std = (age.iter().map(|a| a * a).sum::<f32>() / 3.0).sqrt();
    assert!((std - 1.0).abs() < 1e-5, "{std}");
    // The '?' workclass is a category: one indicator set in every training row.
    let workclass = |g: &Grouped, i: usize| g.data.row(i)[1..4].to_vec();
    assert_eq!(workclass(&s.train, 1), vec![1.0, 0.0, 0.0]);
    // Test age 25 uses the training mean and std.
    let expect = (25.0 - 39.0) / (242.0f32 / 3.0).sqrt();
    assert!((s.test.data.row(0)[0] - expect).abs() < 1e-5);
    // Categories unseen in training are all zeros in their blocks: test row 0 has five
    // (education `11th`, occupation `Sales`, relationship `Own-child`, race `Other`, country
    // `Peru`), row 1 one (education `HS-grad`); every training row has exactly one indicator
    // per categorical column (8 of them).
    let continuous = [0, 4, 7, 20, 21, 22];
    let ones = |g: &Grouped, i: usize| {
        let row = g.data.row(i);
        (0..row.len())
            .filter(|j| !continuous.contains(j) && row[*j] == 1.0)
            .count()
    };
    assert_eq!(ones(&s.test, 0), 8 - 5);
    assert_eq!(ones(&s.test, 1), 8 - 1);
    assert!((0..3).all(|i| ones(&s.train, i) == 8));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn adult_groups_by_race_and_can_drop_the_protected_feature() {
    let dir = test_dir("adult-race");
    write_adult(&dir, ADULT_TRAIN, ADULT_TEST);
    let s = Adult::load(&dir, Protected::Race).unwrap();
    assert_eq!(s.train.names.len(), 5);
    assert_eq!(s.train.groups, vec![0, 1, 0]);
    assert_eq!(s.test.groups, vec![4, 0]);
    let kept = s.train.data.d;
    let dropped = Adult::load_with(&dir, Protected::Race, ProtectedFeature::Drop).unwrap();
    assert_eq!(dropped.train.data.d, kept - 2); // White, Black
    assert_eq!(dropped.train.groups, s.train.groups);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The error of loading Adult with `bad` as the training file.
fn adult_error(bad: &str, protected: Protected) -> (DataError, PathBuf) {
    let dir = test_dir("adult-bad");
    write_adult(&dir, bad, ADULT_TEST);
    let e = Adult::load(&dir, protected).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    (e, dir.join("adult.data"))
}

#[test]
fn adult_bad_lines_name_file_line_and_field() {
    let line2 = |s: &str| {
        format!(
            "{}{s}\n",
            ADULT_TRAIN.lines().next().unwrap().to_owned() + "\n"
        )
    };
    // A missing field on line 2.
    let (e, file) = adult_error(&line2("50, Private, 1, Bachelors, 13"), Protected::Sex);
    assert!(
        matches!(
            e,
            DataError::FieldCount {
                line: 2,
                expected: 15,
                found: 5,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains(&format!("{}:2", file.display())),
        "{e}"
    );
    // A number that is not one.
    let bad_age = ADULT_TRAIN
        .lines()
        .nth(1)
        .unwrap()
        .replacen("50", "fifty", 1);
    let (e, _) = adult_error(&line2(&bad_age), Protected::Sex);
    let msg = e.to_string();
    assert!(
        msg.contains("adult.data:2") && msg.contains("`age`") && msg.contains("\"fifty\""),
        "{msg}"
    );
    // A label that is neither.
    let bad_label = ADULT_TRAIN.lines().nth(1).unwrap().replace(">50K", "50K+");
    let (e, _) = adult_error(&line2(&bad_label), Protected::Sex);
    assert!(
        e.to_string().contains("`income`") && e.to_string().contains(":2:"),
        "{e}"
    );
    // A group value outside the known ones (and an empty field).
    let bad_race = ADULT_TRAIN
        .lines()
        .nth(1)
        .unwrap()
        .replace("Black", "Martian");
    let (e, _) = adult_error(&line2(&bad_race), Protected::Race);
    let msg = e.to_string();
    assert!(
        msg.contains("`race`") && msg.contains("expected one of White"),
        "{msg}"
    );
    let empty = ADULT_TRAIN.lines().nth(1).unwrap().replace("Husband", "");
    let (e, _) = adult_error(&line2(&empty), Protected::Sex);
    assert!(e.to_string().contains("`relationship`"), "{e}");
}

#[test]
fn missing_directory_or_file_names_the_fetch_command() {
    let dir = test_dir("tabular-missing");
    let e = Adult::load(dir.join("nope"), Protected::Sex).unwrap_err();
    assert!(matches!(e, DataError::NotFetched { .. }), "{e}");
    assert!(e.to_string().contains("`rein data fetch adult`"), "{e}");
    std::fs::write(dir.join("adult.data"), ADULT_TRAIN).unwrap();
    let e = Adult::load(&dir, Protected::Sex).unwrap_err().to_string();
    assert!(
        e.contains("adult.test") && e.contains("rein data fetch adult"),
        "{e}"
    );
    let e = Compas::load(dir.join("nope"), Protected::Race, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`rein data fetch compas`"), "{e}");
    let e = Compas::load(&dir, Protected::Race, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("compas-scores-two-years.csv") && e.contains("rein data fetch compas"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A COMPAS header: the used columns, COMPAS's own scores, a repeated `priors_count`.
const COMPAS_HEADER: &str = "id,name,sex,age,age_cat,race,juv_fel_count,decile_score,\
juv_misd_count,juv_other_count,priors_count,days_b_screening_arrest,c_charge_degree,\
c_charge_desc,is_recid,score_text,priors_count,two_year_recid";

/// One COMPAS row with the given fields.
#[allow(clippy::too_many_arguments)]
fn compas_row(
    sex: &str,
    race: &str,
    age: u32,
    priors: u32,
    days: &str,
    degree: &str,
    desc: &str,
    is_recid: i32,
    score: &str,
    label: u32,
) -> String {
    format!(
        "1,\"doe, jane\",{sex},{age},25 - 45,{race},0,7,1,0,{priors},{days},{degree},{desc},\
{is_recid},{score},99,{label}"
    )
}

/// Twelve rows, six of which ProPublica's filter drops; CRLF line ends; quoted fields with a
/// comma and with an escaped quote.
fn compas_csv() -> String {
    let rows = [
        compas_row(
            "Male",
            "African-American",
            30,
            2,
            "-1",
            "F",
            "\"Poss 3,4 MDMA\"",
            1,
            "High",
            1,
        ),
        compas_row(
            "Female",
            "Caucasian",
            40,
            0,
            "0",
            "M",
            "Battery",
            0,
            "Low",
            0,
        ),
        compas_row(
            "Male",
            "Hispanic",
            22,
            5,
            "30",
            "F",
            "\"a \"\"b\"\", c\"",
            1,
            "Medium",
            1,
        ),
        compas_row(
            "Female",
            "African-American",
            50,
            1,
            "-30",
            "M",
            "Theft",
            0,
            "Low",
            0,
        ),
        compas_row("Male", "Asian", 35, 3, "1", "F", "Theft", 0, "Low", 0),
        compas_row(
            "Male",
            "Caucasian",
            27,
            4,
            "2",
            "F",
            "Theft",
            1,
            "Medium",
            1,
        ),
        compas_row("Male", "Caucasian", 33, 0, "", "F", "Theft", 0, "Low", 0), // no days: drop
        compas_row("Male", "Caucasian", 33, 0, "31", "F", "Theft", 0, "Low", 0), // drop
        compas_row("Male", "Caucasian", 33, 0, "-31", "F", "Theft", 0, "Low", 0), // drop
        compas_row("Male", "Caucasian", 33, 0, "0", "F", "Theft", -1, "Low", 0), // drop
        compas_row("Male", "Caucasian", 33, 0, "0", "O", "Theft", 0, "Low", 0), // drop
        compas_row("Male", "Caucasian", 33, 0, "0", "F", "Theft", 0, "N/A", 0), // drop
    ];
    let mut text = COMPAS_HEADER.to_owned() + "\r\n";
    for r in rows {
        text += &r;
        text += "\r\n";
    }
    text
}

fn compas_parse(text: &str, protected: Protected) -> Result<Vec<super::encoder::Row>, DataError> {
    super::compas::parse_rows(text.as_bytes(), Path::new("c.csv"), protected)
}

#[test]
fn compas_filters_reads_quoted_fields_and_groups() {
    let rows = compas_parse(&compas_csv(), Protected::Race).unwrap();
    assert_eq!(rows.len(), 6);
    // Header is line 1: rows start at line 2 and keep their file lines.
    assert_eq!(
        rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6, 7]
    );
    assert_eq!(
        rows.iter().map(|r| r.label).collect::<Vec<_>>(),
        [1, 0, 1, 0, 0, 1]
    );
    // African-American 0, Caucasian 1, every other race 2.
    assert_eq!(
        rows.iter().map(|r| r.group).collect::<Vec<_>>(),
        [0, 1, 2, 0, 2, 1]
    );
    let by_sex = compas_parse(&compas_csv(), Protected::Sex).unwrap();
    assert_eq!(
        by_sex.iter().map(|r| r.group).collect::<Vec<_>>(),
        [1, 0, 1, 0, 1, 1]
    );
    // priors_count is the first column of that name (the second holds 99).
    use super::encoder::Value;
    assert_eq!(rows[0].values[1], Value::Number(2.0));
}

#[test]
fn compas_load_splits_by_label_and_fits_on_train_only() {
    let dir = test_dir("compas");
    std::fs::write(dir.join("compas-scores-two-years.csv"), compas_csv()).unwrap();
    let s: GroupedSplit =
        Compas::load_with(&dir, Protected::Sex, ProtectedFeature::Keep, 0.5, 3).unwrap();
    assert_eq!(s.train.data.n + s.test.data.n, 6);
    // Stratified: half of each class (3 zeros, 3 ones) in the test part.
    assert_eq!(s.test.data.class_counts(), vec![2, 2]);
    assert_eq!(s.train.data.class_counts(), vec![1, 1]);
    // Training ages are standardised with the training rows alone.
    let mean: f32 = (0..s.train.data.n).map(|i| s.train.data.row(i)[0]).sum();
    assert!(mean.abs() < 1e-5, "{mean}");
    assert_eq!(s.train.names, vec!["Female", "Male"]);
    // Same seed, same split; the protected feature can be dropped.
    let again = Compas::load_with(&dir, Protected::Sex, ProtectedFeature::Keep, 0.5, 3).unwrap();
    assert_eq!(again, s);
    let dropped = Compas::load_with(&dir, Protected::Sex, ProtectedFeature::Drop, 0.5, 3).unwrap();
    assert!(dropped.train.data.d < s.train.data.d);
    let e = Compas::load_with(&dir, Protected::Sex, ProtectedFeature::Keep, 1.0, 3).unwrap_err();
    assert!(matches!(e, DataError::InvalidArgument { .. }), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn compas_bad_rows_name_file_line_and_field() {
    let good = compas_csv();
    // A non-numeric priors_count on line 3.
    let bad = good.replacen("Caucasian,0,7,1,0,0,", "Caucasian,0,7,1,0,many,", 1);
    let e = compas_parse(&bad, Protected::Race).unwrap_err().to_string();
    assert!(
        e.contains("c.csv:3") && e.contains("`priors_count`") && e.contains("many"),
        "{e}"
    );
    // A non-integer filter column.
    let bad = good.replacen(",-30,", ",minus thirty,", 1);
    let e = compas_parse(&bad, Protected::Race).unwrap_err().to_string();
    assert!(
        e.contains("c.csv:5") && e.contains("`days_b_screening_arrest`"),
        "{e}"
    );
    // A label that is not 0/1.
    let bad = good.replacen("Battery,0,Low,99,0", "Battery,0,Low,99,2", 1);
    let e = compas_parse(&bad, Protected::Race).unwrap_err().to_string();
    assert!(
        e.contains("c.csv:3") && e.contains("`two_year_recid`"),
        "{e}"
    );
    // A short row, and a header without a needed column.
    let bad = good.replacen("\r\n1,", "\r\n1,2\r\n1,", 1);
    let e = compas_parse(&bad, Protected::Race).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::FieldCount {
                line: 2,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
    let bad = good.replacen("age_cat", "age_group", 1);
    let e = compas_parse(&bad, Protected::Race).unwrap_err().to_string();
    assert!(e.contains("`age_cat`"), "{e}");
    // An unknown sex.
    let bad = good.replacen(",Female,", ",F,", 1);
    let e = compas_parse(&bad, Protected::Sex).unwrap_err().to_string();
    assert!(e.contains("`sex`") && e.contains("Female, Male"), "{e}");
}

/// `data/fetched/<name>` of the workspace, or `None` (with a printed note) if not fetched.
fn fetched(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/fetched")
        .join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} absent; run `rein data fetch {name}`",
            dir.display()
        );
        None
    }
}

/// Rows of class 1 in each group.
fn positives_per_group(g: &Grouped) -> Vec<usize> {
    let mut counts = vec![0; g.group_count()];
    for (&group, &label) in g.groups.iter().zip(&g.data.labels) {
        counts[group] += label;
    }
    counts
}

#[test]
fn fetched_adult_has_the_known_counts() {
    let Some(dir) = fetched("adult") else { return };
    let (s, names) = Adult::load_with_names(&dir, Protected::Sex, ProtectedFeature::Keep).unwrap();
    assert_eq!(names.len(), s.train.data.d);
    assert_eq!(&names[..2], ["age", "workclass=?"]);
    assert!(
        names
            .iter()
            .any(|n| n == "native-country=Holand-Netherlands")
    );
    assert_eq!((s.train.data.n, s.test.data.n), (32_561, 16_281));
    assert_eq!(s.train.data.class_counts(), vec![24_720, 7_841]);
    assert_eq!(s.test.data.class_counts(), vec![12_435, 3_846]);
    assert_eq!(s.train.group_sizes(), vec![10_771, 21_790]);
    assert_eq!(s.test.group_sizes(), vec![5_421, 10_860]);
    assert_eq!(s.train.data.d, 108);
    // Positives per group, as counted independently from the raw file: Female 1179, Male 6662.
    assert_eq!(positives_per_group(&s.train), vec![1_179, 6_662]);
    assert!(
        s.train
            .data
            .features()
            .iter()
            .chain(s.test.data.features().iter())
            .all(|v| v.is_finite())
    );
    let r = Adult::load(&dir, Protected::Race).unwrap();
    assert_eq!(r.train.group_sizes(), vec![27_816, 3_124, 1_039, 311, 271]);
    assert_eq!(r.test.group_sizes(), vec![13_946, 1_561, 480, 159, 135]);
}

#[test]
fn fetched_compas_has_the_known_counts() {
    let Some(dir) = fetched("compas") else { return };
    let s = Compas::load(&dir, Protected::Race, 0).unwrap();
    let all = |f: fn(&Grouped) -> Vec<usize>| -> Vec<usize> {
        f(&s.train)
            .iter()
            .zip(f(&s.test))
            .map(|(a, b)| a + b)
            .collect()
    };
    assert_eq!(s.train.data.n + s.test.data.n, 6_172);
    assert_eq!(all(|g| g.data.class_counts()), vec![3_363, 2_809]);
    assert_eq!(all(Grouped::group_sizes), vec![3_175, 2_103, 894]);
    let pos = positives_per_group(&s.train)
        .into_iter()
        .zip(positives_per_group(&s.test));
    assert_eq!(
        pos.map(|(a, b)| a + b).collect::<Vec<_>>(),
        vec![1_661, 822, 326]
    );
    // round(0.2 * 3363) + round(0.2 * 2809) test rows.
    assert_eq!((s.train.data.n, s.test.data.n), (4_937, 1_235));
    assert_eq!(s.train.data.d, 18);
    let (_, names) =
        Compas::load_with_names(&dir, Protected::Race, ProtectedFeature::Drop, 0.2, 0).unwrap();
    assert_eq!(names.len(), 18 - 6);
    assert!(names.iter().all(|n| !n.starts_with("race=")), "{names:?}");
    assert!(names.iter().any(|n| n == "c_charge_degree=M"), "{names:?}");
    let sex = Compas::load(&dir, Protected::Sex, 0).unwrap();
    let sizes: Vec<usize> = sex
        .train
        .group_sizes()
        .iter()
        .zip(sex.test.group_sizes())
        .map(|(a, b)| a + b)
        .collect();
    assert_eq!(sizes, vec![1_175, 4_997]);
}
