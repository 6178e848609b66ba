// SPDX-License-Identifier: Apache-2.0
//! Configuration (spec: "Configuration"): in ABI 0.2.1 the VM and plugin
//! configurations are buffers (`VmConfiguration` = 6, `PluginConfiguration`
//! = 7) read with `proxy_get_buffer_bytes`; `buffers.rs` serves them from
//! here. There are no host calls of its own.

use super::HostState;
use wasmtime::Linker;

pub const VM_CONFIGURATION: i32 = 6;
pub const PLUGIN_CONFIGURATION: i32 = 7;

/// The configuration buffer of `buffer_type`, if it is one.
pub fn buffer(state: &HostState, buffer_type: i32) -> Option<&[u8]> {
    match buffer_type {
        VM_CONFIGURATION => Some(&state.vm_config),
        PLUGIN_CONFIGURATION => Some(&state.plugin_config),
        _ => None,
    }
}

pub fn add_to_linker(_linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    Ok(())
}
