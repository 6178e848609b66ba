// SPDX-License-Identifier: Apache-2.0
//! Walker tests: per surface, exactly which fields are visited and that only
//! those change; shape errors name their pointer; properties over arbitrary
//! documents.

mod anthropic;
mod common;
mod mcp;
mod openai_chat;
mod openai_responses;
mod properties;
