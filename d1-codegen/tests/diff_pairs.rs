//! `d1_codegen::diff` on the committed spec pairs of `tests/diff-pairs/<case>/{old,new}/`: one
//! change kind per case, and the verdict for each side. The same pairs are checked against two
//! independent tools in `diff_oracles.rs`.

use d1_codegen::diff::{self, Kind, Verdict};
use std::path::Path;

const B: Verdict = Verdict::Breaking;
const C: Verdict = Verdict::Compatible;

/// One change a case must report: kind, client users, server implementers, and text the Rust item contains.
type Expected = (Kind, Verdict, Verdict, &'static str);

/// case → the changes it must report.
/// Generated structs and enums are `#[non_exhaustive]` (`diff::EXHAUSTIVE_TYPES` is `false`):
/// a new optional field or enum value breaks nobody's code, a new response status only the
/// server implementers who must now produce it.
const EXPECTED: &[(&str, &[Expected])] = &[
    ("add-optional-property", &[(Kind::FieldAdded, C, C, "OperationCard::end_time")]),
    ("add-required-property", &[(Kind::FieldAdded, B, C, "OperationRequest::reason_code")]),
    ("remove-property", &[(Kind::FieldRemoved, B, B, "OperationCard::start_time")]),
    ("add-enum-value", &[(Kind::ValueAdded, C, C, "in_v1_card::Status::Failed")]),
    ("remove-enum-value", &[(Kind::ValueRemoved, B, B, "in_v1_card::Status::Pending")]),
    ("add-operation", &[(Kind::OperationAdded, C, B, "InV1CardApi::resume")]),
    ("remove-operation", &[(Kind::OperationRemoved, B, B, "InV1CardApi::get_operation")]),
    ("tighten-pattern", &[(Kind::ConstraintTightened, B, C, "in_v1_card::CardId")]),
    ("tighten-max-length", &[(Kind::ConstraintTightened, B, C, "in_v1_card::Reason")]),
    ("change-type", &[(Kind::TypeChanged, B, B, "OperationCard::start_time")]),
    ("add-error-response", &[(Kind::ResponseAdded, C, B, "SuspendResponse")]),
    // The header is declared once and used by both operations.
    (
        "make-parameter-required",
        &[
            (Kind::ParameterNowRequired, B, B, "GetOperationRequest::correlation_id"),
            (Kind::ParameterNowRequired, B, B, "SuspendRequest::correlation_id"),
        ],
    ),
    ("rename-schema", &[(Kind::TypeRenamed, B, B, "in_v1_card::SuspendRequest")]),
];

fn pairs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff-pairs")
}

fn report(case: &str) -> diff::Report {
    let dir = pairs().join(case);
    let ir = |side: &str| {
        d1_codegen::Config::new()
            .specs_dir(dir.join(side))
            .display_root(dir.join(side))
            .ir()
            .unwrap_or_else(|e| panic!("{case}/{side}: {e}"))
    };
    let ((old, options), (new, _)) = (ir("old"), ir("new"));
    diff::compare(&old, &new, &options)
}

#[test]
fn every_case_reports_its_change_with_both_verdicts() {
    let mut failures = Vec::new();
    for (case, expected) in EXPECTED {
        let report = report(case);
        let got: Vec<_> = report.changes.iter().map(|c| (c.kind, c.client, c.server, c.item.as_str())).collect();
        let matches = got.len() == expected.len()
            && expected.iter().zip(&got).all(|(e, g)| e.0 == g.0 && e.1 == g.1 && e.2 == g.2 && g.3.contains(e.3));
        if !matches {
            failures.push(format!("{case}:\n  expected {expected:?}\n  got      {got:?}\n{}", report.markdown()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_committed_case_is_listed() {
    let mut cases: Vec<String> = std::fs::read_dir(pairs())
        .expect("tests/diff-pairs")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|(c, _)| c.to_string()).collect();
    listed.sort();
    assert_eq!(cases, listed);
}

#[test]
fn same_specs_report_no_change() {
    let dir = pairs().join("rename-schema/old");
    let (ir, options) = d1_codegen::Config::new().specs_dir(&dir).ir().expect("specs");
    let report = diff::compare(&ir, &ir, &options);
    assert!(report.changes.is_empty(), "{report:?}");
    assert!(!report.is_breaking());
    assert!(report.markdown().contains("No change"));
}

#[test]
fn markdown_names_item_pointer_and_verdicts() {
    let md = report("make-parameter-required").markdown();
    assert!(md.contains("**2 breaking for client users**, **2 breaking for server implementers**"), "{md}");
    assert!(md.contains("`d1_server::in_v1_card::GetOperationRequest::correlation_id`"), "{md}");
    assert!(
        md.contains("#/paths/~1issuers~1{issuerId}~1cards~1{cardId}~1operations~1{operationId}/get/parameters`"),
        "{md}"
    );
}

#[test]
fn spec_text_cannot_break_out_of_a_table_cell() {
    assert_eq!(diff::code("a|b"), "`a\\|b`");
    assert_eq!(diff::code("x`y"), "``x`y``");
    assert_eq!(diff::code("`x"), "`` `x ``");
    assert_eq!(diff::code("a\nb"), "`a b`");
}

/// Rules no committed pair exercises, on edited copies of one IR.
#[test]
fn api_and_operation_changes_on_edited_irs() {
    let dir = pairs().join("add-operation/new");
    let (ir, options) = d1_codegen::Config::new().specs_dir(&dir).ir().expect("specs");
    let verdicts = |old: &d1_codegen::ir::Ir, new: &d1_codegen::ir::Ir| -> Vec<(Kind, Verdict, Verdict)> {
        diff::compare(old, new, &options).changes.iter().map(|c| (c.kind, c.client, c.server)).collect()
    };

    let mut without = ir.clone();
    without.apis.clear();
    assert_eq!(verdicts(&ir, &without), [(Kind::ApiRemoved, B, B)]);
    assert_eq!(verdicts(&without, &ir), [(Kind::ApiAdded, C, C)]);

    let mut renamed = ir.clone();
    renamed.apis[0].operations[0].name = "pause".to_string();
    assert_eq!(verdicts(&ir, &renamed), [(Kind::OperationRenamed, B, B)]);

    // A loosened constraint breaks nobody.
    let mut looser = ir.clone();
    let reason = looser.types.iter_mut().find(|t| t.name == "Reason").expect("Reason");
    let d1_codegen::ir::TypeKind::Newtype(newtype) = &mut reason.kind else { panic!("Reason is a newtype") };
    newtype.constraints.max_length = Some(128);
    assert_eq!(verdicts(&ir, &looser), [(Kind::ConstraintLoosened, C, C)]);
    assert_eq!(verdicts(&looser, &ir), [(Kind::ConstraintTightened, B, C)]);
}
