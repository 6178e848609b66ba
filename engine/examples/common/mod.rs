// SPDX-License-Identifier: Apache-2.0
//! What the engine's examples share: the request they pose as, and the
//! digest that shows a faster engine gives the same answer.

use shroud_engine::RequestInfo;

/// An OpenAI chat completions call with no headers, route name or profile.
pub fn openai_chat() -> RequestInfo<'static> {
    RequestInfo {
        path: "/v1/chat/completions",
        authority: "api.openai.com",
        headers: &[],
        route_name: None,
        route_profile: None,
    }
}

/// FNV-1a of `bytes`, continuing from `h` (start: 0xcbf2_9ce4_8422_2325).
pub fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
