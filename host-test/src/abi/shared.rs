// SPDX-License-Identifier: Apache-2.0
//! Shared data and shared queues (spec: "Shared key-value store", "Shared
//! queues"). One VM here, so "shared" means shared by every context of the
//! module. Writes carry a CAS: 0 writes unconditionally, any other value
//! must match the current one (`CasMismatch` otherwise).

use super::{HostState, Status, memory, status};
use std::collections::{BTreeMap, VecDeque};
use wasmtime::{Caller, Linker};

#[derive(Debug, Default)]
pub struct SharedData {
    /// key → (value, cas)
    pub entries: BTreeMap<String, (Vec<u8>, u32)>,
    next_cas: u32,
}

#[derive(Debug, Default)]
pub struct Queues {
    /// Index = id − 1: (vm id, name, items).
    pub all: Vec<(String, String, VecDeque<Vec<u8>>)>,
    /// Queues that got an item; `ProxyHost` tells the root via
    /// `proxy_on_queue_ready`.
    pub ready: VecDeque<u32>,
}

/// The VM id this host reports (Envoy's `vm_id` of the plugin).
pub const VM_ID: &str = "shroud";

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_shared_data",
        |mut caller: Caller<'_, HostState>,
         key: i32,
         key_len: i32,
         ptr_out: i32,
         size_out: i32,
         cas_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_get_shared_data") {
                    return Err(s.into());
                }
                let key = memory::read_string(&mut caller, key, key_len)?;
                let (value, cas) = caller
                    .data()
                    .shared
                    .entries
                    .get(&key)
                    .cloned()
                    .ok_or(Status::NotFound)?;
                memory::give(&mut caller, &value, ptr_out, size_out)?;
                memory::write_u32(&mut caller, cas_out, cas)
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_shared_data",
        |mut caller: Caller<'_, HostState>,
         key: i32,
         key_len: i32,
         value: i32,
         value_len: i32,
         cas: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_set_shared_data") {
                    return Err(s.into());
                }
                let key = memory::read_string(&mut caller, key, key_len)?;
                let value = memory::read(&mut caller, value, value_len)?;
                let shared = &mut caller.data_mut().shared;
                let current = shared.entries.get(&key).map(|(_, c)| *c);
                if cas != 0 && current.is_some_and(|c| c != cas as u32) {
                    return Err(Status::CasMismatch.into());
                }
                shared.next_cas = shared.next_cas.wrapping_add(1).max(1);
                let next = shared.next_cas;
                shared.entries.insert(key, (value, next));
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_register_shared_queue",
        |mut caller: Caller<'_, HostState>, name: i32, name_len: i32, id_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_register_shared_queue") {
                    return Err(s.into());
                }
                let name = memory::read_string(&mut caller, name, name_len)?;
                let queues = &mut caller.data_mut().queues;
                let id = match find(queues, VM_ID, &name) {
                    Some(id) => id,
                    None => {
                        queues.all.push((VM_ID.to_string(), name, VecDeque::new()));
                        queues.all.len() as u32
                    }
                };
                memory::write_u32(&mut caller, id_out, id)
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_resolve_shared_queue",
        |mut caller: Caller<'_, HostState>,
         vm: i32,
         vm_len: i32,
         name: i32,
         name_len: i32,
         id_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_resolve_shared_queue") {
                    return Err(s.into());
                }
                let vm = memory::read_string(&mut caller, vm, vm_len)?;
                let name = memory::read_string(&mut caller, name, name_len)?;
                let vm = if vm.is_empty() { VM_ID.to_string() } else { vm };
                let id = find(&caller.data().queues, &vm, &name).ok_or(Status::NotFound)?;
                memory::write_u32(&mut caller, id_out, id)
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_enqueue_shared_queue",
        |mut caller: Caller<'_, HostState>, id: i32, ptr: i32, len: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_enqueue_shared_queue") {
                    return Err(s.into());
                }
                let item = memory::read(&mut caller, ptr, len)?;
                let queues = &mut caller.data_mut().queues;
                let index = (id as u32).checked_sub(1).ok_or(Status::NotFound)? as usize;
                let queue = queues.all.get_mut(index).ok_or(Status::NotFound)?;
                queue.2.push_back(item);
                queues.ready.push_back(id as u32);
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_dequeue_shared_queue",
        |mut caller: Caller<'_, HostState>, id: i32, ptr_out: i32, size_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_dequeue_shared_queue") {
                    return Err(s.into());
                }
                let queues = &mut caller.data_mut().queues;
                let index = (id as u32).checked_sub(1).ok_or(Status::NotFound)? as usize;
                let queue = queues.all.get_mut(index).ok_or(Status::NotFound)?;
                let item = queue.2.pop_front().ok_or(Status::Empty)?;
                memory::give(&mut caller, &item, ptr_out, size_out)
            })())
        },
    )?;
    Ok(())
}

fn find(queues: &Queues, vm: &str, name: &str) -> Option<u32> {
    queues
        .all
        .iter()
        .position(|(v, n, _)| v == vm && n == name)
        .map(|i| i as u32 + 1)
}
