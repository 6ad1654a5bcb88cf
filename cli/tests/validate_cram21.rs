//! `genoflow validate` on CRAM 2.1: a whole file is not supported (exit 2, saying how to convert
//! it), never called invalid; a damaged one is invalid (exit 1).

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn genoflow(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_genoflow"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The smallest whole CRAM 2.1 file (tests/data/cram).
fn cram21() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/cram/cram21-header-only.cram");
    std::fs::read(path).unwrap()
}

#[test]
fn a_whole_cram_2_1_file_exits_2_as_unsupported_and_a_cut_one_1_as_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.cram");
    let cut = dir.path().join("cut.cram");
    let bytes = cram21();
    std::fs::write(&whole, &bytes).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let debian =
        std::path::Path::new("/usr/share/samtools/test/quickcheck/6.quickcheck.cram21.ok.cram");
    let mut files = vec![whole.clone()];
    if debian.exists() {
        files.push(debian.to_owned());
    }
    for file in &files {
        let (code, _, stderr) = genoflow(&["validate", file.to_str().unwrap()]);
        assert_eq!(code, 2, "{}: {stderr}", file.display());
        assert!(
            stderr.contains("CRAM 2.1 is not supported") && stderr.contains("samtools view -C"),
            "{stderr}"
        );
    }
    let (code, stdout, _) = genoflow(&["validate", "--json", whole.to_str().unwrap()]);
    assert_eq!(code, 2);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (report["valid"].clone(), report["unsupported"].clone()),
        (false.into(), true.into())
    );

    let (code, _, stderr) = genoflow(&["validate", cut.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cut short"), "{stderr}");
}
