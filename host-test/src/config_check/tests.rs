// SPDX-License-Identifier: Apache-2.0
//! `shroud config check` on good and bad files of every kind, and on every
//! file shipped in envoy-config/.

use super::*;
use std::path::PathBuf;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check_fixture(name: &str) -> CheckReport {
    let path = root().join("tests/config-check").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    check(name, &text)
}

#[test]
fn detects_each_kind() {
    for (name, kind, configs) in [
        ("good-plain.json", FileKind::PluginConfig, 1),
        ("good-envoy.yaml", FileKind::Envoy, 1),
        ("good-istio.yaml", FileKind::Istio, 1),
        ("good-kong.yml", FileKind::Kong, 2),
    ] {
        let text = std::fs::read_to_string(root().join("tests/config-check").join(name)).unwrap();
        let inspection = inspect(&text).unwrap();
        assert_eq!(inspection.kind, kind, "{name}");
        assert_eq!(inspection.configs.len(), configs, "{name}");
    }
}

#[test]
fn good_files_pass() {
    for name in [
        "good-plain.json",
        "good-envoy.yaml",
        "good-istio.yaml",
        "good-kong.yml",
    ] {
        let report = check_fixture(name);
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        assert!(
            report.notes.iter().any(|n| n.ends_with("ok")),
            "{name}: {:?}",
            report.notes
        );
    }
}

/// Each error names the file, where the config sits and the JSON path.
#[test]
fn bad_files_name_file_location_and_path() {
    let http_filter =
        "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0]";
    let cases: [(&str, String); 7] = [
        (
            "bad-plain.json",
            "bad-plain.json: profiles.default.actions.email: unknown variant `mask2`".into(),
        ),
        (
            "bad-envoy.yaml",
            format!(
                "bad-envoy.yaml: {http_filter} plugin config: profiles.default.actions.email: unknown variant `mask2`"
            ),
        ),
        (
            "bad-envoy-struct.yaml",
            format!("bad-envoy-struct.yaml: {http_filter} plugin config: configuration must be a type.googleapis.com/google.protobuf.StringValue"),
        ),
        (
            "bad-istio.yaml",
            "bad-istio.yaml: WasmPlugin egress/shroud spec.pluginConfig plugin config: limits.max_body: unknown field `max_body`".into(),
        ),
        (
            "bad-kong.yml",
            "bad-kong.yml: services[0].filter_chains[0].filters[0].config plugin config: detectors.custom[0].pattern:".into(),
        ),
        (
            "bad-kong-structure.yml",
            "bad-kong-structure.yml: services[0].filter_chains[0].enabled: must be a boolean".into(),
        ),
        (
            "bad-kong-structure.yml",
            "bad-kong-structure.yml: services[0].filter_chains[0].filters[0].name: \"shroud\" is no module".into(),
        ),
    ];
    for (name, want) in cases {
        let report = check_fixture(name);
        assert!(
            report.errors.iter().any(|e| e.starts_with(&want)),
            "{name}: want {want:?}, got {:?}",
            report.errors
        );
    }
}

#[test]
fn fail_open_is_flagged() {
    let text = std::fs::read_to_string(root().join("tests/config-check/good-istio.yaml"))
        .unwrap()
        .replace("FAIL_CLOSE", "FAIL_OPEN");
    let report = check("x.yaml", &text);
    assert!(report.errors.is_empty());
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("warning: WasmPlugin egress/shroud: failStrategy FAIL_OPEN")),
        "{:?}",
        report.notes
    );
}

#[test]
fn broken_json_keeps_the_engines_position() {
    let report = check("c.json", "{\"limits\": {\"max_body_bytes\": }}");
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].contains("line 1 column"),
        "{:?}",
        report.errors
    );
}

#[test]
fn multi_document_yaml_numbers_documents() {
    let one = std::fs::read_to_string(root().join("tests/config-check/good-istio.yaml")).unwrap();
    let two = std::fs::read_to_string(root().join("tests/config-check/bad-istio.yaml")).unwrap();
    let report = check("both.yaml", &format!("{one}\n---\n{two}"));
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].starts_with("both.yaml: document 2: WasmPlugin"),
        "{:?}",
        report.errors
    );
}

/// Every file shipped in envoy-config/ passes `shroud config check`.
#[test]
fn shipped_gateway_files_pass() {
    let mut checked = 0;
    let mut dirs = vec![root().join("envoy-config")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            // Dashboards are no gateway configs.
            let dashboard = path.to_string_lossy().contains("grafana")
                || path.to_string_lossy().contains("dashboard");
            if dashboard || !["json", "yaml", "yml"].contains(&ext) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let report = check(&path.display().to_string(), &text);
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} files checked");
}

/// Kong finds a filter by its module's file name: the shipped Kong files
/// name the filter the build produces (`shroud_filter.wasm`), and every
/// chain carries a Shroud config.
#[test]
fn kong_filter_name_is_the_module_name() {
    let manifest = std::fs::read_to_string(root().join("filter/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("name = \"shroud-filter\""),
        "crate renamed?"
    );
    assert_eq!(KONG_FILTER_NAME, "shroud-filter".replace('-', "_"));
    let conf = std::fs::read_to_string(root().join("envoy-config/kong/kong.conf")).unwrap();
    assert!(conf.contains(&format!("{KONG_FILTER_NAME}.wasm")));
    let text = std::fs::read_to_string(root().join("envoy-config/kong/kong.yml")).unwrap();
    let inspection = inspect(&text).unwrap();
    assert_eq!(inspection.kind, FileKind::Kong);
    assert!(inspection.errors.is_empty(), "{:?}", inspection.errors);
    assert_eq!(inspection.configs.len(), 2, "{:?}", inspection.configs);
}

#[test]
fn kong_chain_structure_hard_negatives() {
    for (yaml, want) in [
        (
            "filter_chains: [{name: c}]",
            "filter_chains[0].filters: required",
        ),
        (
            "filter_chains: [{name: c, filters: [{name: shroud_filter}], plugins: []}]",
            "filter_chains[0].plugins: unknown filter chain field",
        ),
        (
            "filter_chains: [{name: c, filters: [{name: shroud_filter, conf: '{}'}]}]",
            "filter_chains[0].filters[0].conf: unknown filter field",
        ),
        (
            "filter_chains: [{name: c, filters: [{config: '{}'}]}]",
            "filter_chains[0].filters[0].name: required",
        ),
        (
            "filter_chains: [{name: c, filters: [{name: shroud_filter, config: 5}]}]",
            "filter_chains[0].filters[0].config plugin config: config must be",
        ),
    ] {
        let report = check("k.yml", &format!("_format_version: \"3.0\"\n{yaml}\n"));
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.starts_with(&format!("k.yml: {want}"))),
            "{yaml}: want {want:?}, got {:?}",
            report.errors
        );
    }
}
