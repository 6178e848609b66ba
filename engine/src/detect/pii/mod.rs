// SPDX-License-Identifier: Apache-2.0
//! Personal data detectors: each type pairs a shape with a validation
//! (checksum, number plan, address range or context words), because a bare
//! regex for "digits that look like a phone" flags every order id and
//! timestamp in a prompt.
//!
//! Decisions that are not obvious from the code:
//! - IP addresses: only public ones are reported by default. Private,
//!   loopback, link-local, unique-local AND documentation/benchmarking
//!   ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 198.18/15,
//!   2001:db8::/32, 3fff::/20) are reported only with
//!   `report_private_ips`; non-host addresses (unspecified, broadcast,
//!   multicast, reserved — which also covers netmasks) never are.
//!   A dotted quad glued to a letter (`v1.2.3.4`), inside a longer dotted
//!   run (`1.2.3.4.5`) or right after `version`/`build`/`release` is a
//!   version, not an address.
//! - `git@github.com:org/repo` is a user at a host, not an email: an address
//!   followed by `:` and more text, or the user part of a URL (`ssh://git@…`),
//!   is not reported.
//! - A 12-digit INN with valid checksums is reported anywhere (score 0.7);
//!   a 10-digit one only next to a context word, because one random
//!   10-digit number in ten (timestamps, phone numbers) passes its single
//!   check digit. Any INN next to a context word scores 0.9.
//! - MAC addresses in the dash and Cisco dot forms need at least one hex
//!   letter (an all-decimal `12-34-56-78-90-12` is more likely a number);
//!   all-zero and broadcast addresses are not personal and are skipped.
//! - SNILS numbers up to 001-001-998 have no checksum and are skipped.
//! - Phone numbers without a separator or `+` (`4155550132`), US SSNs and
//!   SNILS without separators, passport numbers and dates of birth are only
//!   reported next to a context word.

mod bounds;
mod card;
mod context_prefilter;
mod dob;
mod email;
mod iban;
mod network;
mod passport;
mod phone;
mod ru;
mod ssn;
#[cfg(test)]
mod tests;

use super::catalog::TypeInfo;
use super::prefilter::LiteralRegistry;
use super::{Candidate, Detector};
use crate::config::DetectorsConfig;
use crate::error::ConfigError;
use crate::finding::Category;
#[cfg(test)]
pub(crate) use bounds::digit_sequences;
use std::borrow::Cow;

pub(crate) fn types() -> Vec<TypeInfo> {
    let pii = |id, validator, example| TypeInfo {
        id,
        category: Category::Pii,
        validator,
        example,
    };
    vec![
        pii(email::ID, "shape+tld", "jane.doe@example.com"),
        pii(phone::ID, "format", "+1 415 555 0132"),
        pii(card::ID, "luhn+iin", "4539 1488 0343 6467"),
        pii(iban::ID, "mod97+length", "DE50 5260 1815 9083 0166 13"),
        pii(ssn::ID, "area/group/serial", "536-22-1847"),
        pii(network::IPV4_ID, "range", "84.17.52.193"),
        pii(network::IPV6_ID, "range", "2a01:4f8:c17:3b2e::1d4"),
        pii(network::MAC_ID, "shape", "3c:22:fb:91:0e:7a"),
        pii(ru::INN_ID, "checksum", "ИНН 500938471020"),
        pii(ru::SNILS_ID, "checksum", "154-823-907 80"),
        pii(passport::ID, "context", "passport 4514 582931"),
        pii(dob::ID, "context", "DOB: 1987-04-12"),
    ]
}

/// The enabled PII detectors; the context words' literals are registered in
/// the scanner's shared walk.
pub(crate) fn build(
    cfg: &DetectorsConfig,
    registry: &mut LiteralRegistry,
) -> Result<Vec<Box<dyn Detector>>, ConfigError> {
    let enabled = |id: &str| !cfg.disabled.iter().any(|d| d == id);
    let mut out: Vec<Box<dyn Detector>> = Vec::new();
    if enabled(email::ID) {
        out.push(Box::new(email::EmailDetector::new()?));
    }
    if enabled(phone::ID) {
        out.push(Box::new(phone::PhoneDetector::new()));
    }
    if enabled(card::ID) {
        out.push(Box::new(card::CardDetector));
    }
    if enabled(iban::ID) {
        out.push(Box::new(iban::IbanDetector));
    }
    if enabled(ssn::ID) {
        out.push(Box::new(ssn::SsnDetector::new()?));
    }
    if enabled(network::IPV4_ID) {
        out.push(Box::new(network::Ipv4Detector::new(cfg.report_private_ips)));
    }
    if enabled(network::IPV6_ID) {
        out.push(Box::new(network::Ipv6Detector::new(cfg.report_private_ips)));
    }
    if enabled(network::MAC_ID) {
        out.push(Box::new(network::MacDetector::new()?));
    }
    if enabled(ru::INN_ID) {
        out.push(Box::new(ru::InnDetector::new()));
    }
    if enabled(ru::SNILS_ID) {
        out.push(Box::new(ru::SnilsDetector::new()?));
    }
    if enabled(passport::ID) {
        out.push(Box::new(passport::PassportDetector::new(registry)?));
    }
    if enabled(dob::ID) {
        out.push(Box::new(dob::DobDetector::new(registry)?));
    }
    Ok(out)
}

/// A PII candidate of type `kind` over `start..end`.
fn candidate(start: usize, end: usize, kind: &'static str, score: f64, priority: u8) -> Candidate {
    Candidate {
        start,
        end,
        category: Category::Pii,
        kind: Cow::Borrowed(kind),
        score,
        priority,
    }
}

/// Lower-case context words as `has_context` wants them.
fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_lowercase()).collect()
}

/// Config path named when a built-in pattern fails to compile (a bug).
fn builtin_path(id: &str) -> String {
    format!("detectors.builtin.{id}")
}
