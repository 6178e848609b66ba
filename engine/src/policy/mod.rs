// SPDX-License-Identifier: Apache-2.0
//! Policy: turns findings into decisions on real API payloads.

mod select;

pub use select::RequestInfo;
pub(crate) use select::select_profile;
