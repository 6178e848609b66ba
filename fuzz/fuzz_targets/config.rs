// SPDX-License-Identifier: Apache-2.0
//! Config parsing on arbitrary bytes: never panics; every error names a
//! path and says what is wrong; an accepted config survives a round trip
//! through its own JSON form; validation and compilation fail with errors,
//! not panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shroud_engine::{Config, ConfigError, Engine};

fn check_error(err: &ConfigError, stage: &str) {
    assert!(
        !err.path.is_empty(),
        "{stage}: error without a path: {err:?}"
    );
    assert!(
        !err.message.is_empty(),
        "{stage}: error without a message: {err:?}"
    );
    assert!(
        err.to_string().starts_with(&err.path),
        "{stage}: the message does not lead with the path: {err}"
    );
}

fuzz_target!(|data: &[u8]| {
    let config = match Config::from_json(data) {
        Ok(config) => config,
        Err(err) => return check_error(&err, "parse"),
    };
    // The config's own JSON form parses back to the same config.
    let json = config.to_pretty_json();
    let again = Config::from_json(json.as_bytes())
        .unwrap_or_else(|err| panic!("own JSON rejected: {err}\n{json}"));
    assert!(again == config, "round trip changed the config:\n{json}");
    if let Err(err) = config.validate() {
        return check_error(&err, "validate");
    }
    // Compiling builds every detector and regex (milliseconds): bounded to
    // small inputs so one exec stays short.
    if data.len() < 4096
        && let Err(err) = Engine::from_config(config)
    {
        check_error(&err, "compile");
    }
});
