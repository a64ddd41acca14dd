//! The System.map / `/proc/kallsyms` reader (gzip detected by content).
#![no_main]

use layout_expert::profile::system_map::SystemMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = SystemMap::parse("fuzz.map", data) {
        let _ = map.sorted_unique().count();
        let _ = map.address("init_task");
    }
});
